// Guided-filter refine (a fast guided filter with the frame's colour as the guide; the math and
// its reference are in src/effects/guided/reference.rs), at model resolution: over the (2r+1)²
// window of the guide (rgb: the frame over each model pixel, a: the mask, smoothed over time when
// temporal runs), a = (Σ_I + ε·U)⁻¹ · cov(I, p), b = mean(p) − a·mean(I); writes (a.rgb, b).
// GUIDED_RADIUS (a pipeline specialisation) is r: a constant loop bound. The frame-resolution
// passes apply the coefficients per pixel, q = clamp(a·I + b, 0, 1) with the pixel's own colour
// (guided_mask in chain.wgsl).

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::chain

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var guide: texture_2d<f32>;

const RADIUS: i32 = #{GUIDED_RADIUS};

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let centre = vec2<i32>(in.position.xy);
    let last = vec2<i32>(textureDimensions(guide)) - 1;
    var mean = vec3<f32>(0.0);
    var mask = 0.0;
    var cross = vec3<f32>(0.0);
    // rr, rg, rb and gg, gb, bb
    var second_a = vec3<f32>(0.0);
    var second_b = vec3<f32>(0.0);
    for (var dy = -RADIUS; dy <= RADIUS; dy++) {
        for (var dx = -RADIUS; dx <= RADIUS; dx++) {
            let texel = textureLoad(guide, clamp(centre + vec2<i32>(dx, dy), vec2<i32>(0), last), 0);
            let colour = texel.rgb;
            mean += colour;
            cross += colour * texel.a;
            mask += texel.a;
            second_a += colour.r * colour;
            second_b += vec3<f32>(colour.g * colour.g, colour.g * colour.b, colour.b * colour.b);
        }
    }
    let n = f32((2 * RADIUS + 1) * (2 * RADIUS + 1));
    mean /= n;
    mask /= n;
    let cov = cross / n - mean * mask;
    let e = chain.guided_epsilon;
    let s00 = second_a.x / n - mean.r * mean.r + e;
    let s01 = second_a.y / n - mean.r * mean.g;
    let s02 = second_a.z / n - mean.r * mean.b;
    let s11 = second_b.x / n - mean.g * mean.g + e;
    let s12 = second_b.y / n - mean.g * mean.b;
    let s22 = second_b.z / n - mean.b * mean.b + e;
    // The inverse by cofactors (the matrix is symmetric).
    let c00 = s11 * s22 - s12 * s12;
    let c01 = s02 * s12 - s01 * s22;
    let c02 = s01 * s12 - s02 * s11;
    let c11 = s00 * s22 - s02 * s02;
    let c12 = s01 * s02 - s00 * s12;
    let c22 = s00 * s11 - s01 * s01;
    let det = s00 * c00 + s01 * c01 + s02 * c02;
    let a = vec3<f32>(
        c00 * cov.r + c01 * cov.g + c02 * cov.b,
        c01 * cov.r + c11 * cov.g + c12 * cov.b,
        c02 * cov.r + c12 * cov.g + c22 * cov.b,
    ) / det;
    let b = mask - dot(a, mean);
    return vec4<f32>(a, b);
}
