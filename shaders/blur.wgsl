// Mask-weighted background blur whose cost does not grow with the radius: a pyramid of the frame
// premultiplied by the background weight w = 1 − person, (colour·w, w), made straight from the
// frame at the level the composite reads (level 2, a quarter of the frame, with a 4×4 box; level
// 1 with a 2×2 box for the narrowest blurs), halved further level by level with a 4-tap binomial
// filter, a small separable Gaussian at the coarsest level, and that level read back up to the
// first with a cubic B-spline. The composite samples the first level and divides colour by
// weight (normalised convolution: the person never bleeds into the blurred background). The
// variances of the steps add up to the radius's Gaussian (σ = radius / 3);
// src/effects/blur/mod.rs plans them. Nothing lies beyond the frame's edge: samples there are
// zero (no weight), so the division renormalises near the edge instead of repeating the edge's
// pixels.
// One shader, six passes (pipeline specialisations):
//   BLUR_QUARTER_FROM_FRAME: the frame (colour_source) → level 2 (quarter size): each 4×4 block
//     of frame texels as four bilinear samples, one at the centre of each 2×2 quarter (a fetch
//     per frame texel, and no level-1 texture written and read again), each weighted by the
//     refine's model at the level-2 texel (mask_source: the guided coefficients or the
//     bilateral's mask, see chain.wgsl's refine_fit) applied to the quarter's colour.
//   BLUR_DOWN_FROM_FRAME: the frame → level 1 (half size), for the narrowest blurs: each 2×2
//     block averaged by one bilinear sample at its centre, weighted the same way.
//   BLUR_DOWN: level j − 1 (colour_source) → level j.
//   BLUR_GAUSSIAN (+ BLUR_VERTICAL): the Gaussian at the coarsest level, one direction,
//     BLUR_TAPS texels each side (a constant loop bound), σ in the chain uniform, its weights by
//     products (no exp per tap).
//   BLUR_UP: the coarsest level (colour_source) read at the first level's texels with a cubic
//     B-spline (four bilinear samples).

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{linear_sampler, chain, refine_fit, refined_mask, inside_share}

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var colour_source: texture_2d<f32>;
@group(0) @binding(1) var mask_source: texture_2d<f32>;

// Offsets of the binomial [1 3 3 1] / 8 taps, in source texels from the output texel's centre.
const DOWN_OFFSET: f32 = 0.75;

#ifdef BLUR_DOWN_FROM_FRAME
@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    // One bilinear sample at the level-1 texel's centre: the 2×2 block of frame texels under it,
    // averaged (a box, [1 1] / 2 each way). The refine's model there, applied to that colour,
    // gives the block's weight.
    let fit = refine_fit(textureSampleLevel(mask_source, linear_sampler, in.uv, 0.0));
    let colour = textureSampleLevel(colour_source, linear_sampler, in.uv, 0.0).rgb;
    let inside = inside_share(in.uv, vec2<f32>(textureDimensions(colour_source)));
    let weight = (1.0 - refined_mask(fit, colour)) * inside;
    return vec4<f32>(colour * weight, weight);
}
#endif

#ifdef BLUR_QUARTER_FROM_FRAME
@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    // The refine's model at the level-2 texel (the model varies at about this resolution),
    // applied to each quarter's colour.
    let fit = refine_fit(textureSampleLevel(mask_source, linear_sampler, in.uv, 0.0));
    let size = vec2<f32>(textureDimensions(colour_source));
    let step = 1.0 / size;
    var sum = vec4<f32>(0.0);
    for (var k = 0; k < 4; k++) {
        let uv = in.uv + step * vec2<f32>(f32(k & 1) * 2.0 - 1.0, f32(k >> 1u) * 2.0 - 1.0);
        let colour = textureSampleLevel(colour_source, linear_sampler, uv, 0.0).rgb;
        let weight = (1.0 - refined_mask(fit, colour)) * inside_share(uv, size);
        sum += vec4<f32>(colour * weight, weight);
    }
    return sum * 0.25;
}
#endif

#ifdef BLUR_DOWN
@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let size = vec2<f32>(textureDimensions(colour_source));
    let step = DOWN_OFFSET / size;
    var sum = vec4<f32>(0.0);
    for (var k = 0; k < 4; k++) {
        let uv = in.uv + step * vec2<f32>(f32(k & 1) * 2.0 - 1.0, f32(k >> 1u) * 2.0 - 1.0);
        sum += textureSampleLevel(colour_source, linear_sampler, uv, 0.0) * inside_share(uv, size);
    }
    return sum * 0.25;
}
#endif

#ifdef BLUR_GAUSSIAN
const TAPS: i32 = #{BLUR_TAPS};

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
#ifdef BLUR_VERTICAL
    let direction = vec2<i32>(0, 1);
#else
    let direction = vec2<i32>(1, 0);
#endif
    let centre = vec2<i32>(in.position.xy);
    let size = vec2<i32>(textureDimensions(colour_source));
    // g(k) = exp(−k² / 2σ²) = r^(k²) with r = g(1), by products alone (an exp per tap costs
    // more than the tap on a software rasteriser): g(k + 1) = g(k) · r^(2k + 1).
    let r = exp(-1.0 / (2.0 * chain.blur_sigma * chain.blur_sigma));
    var g = 1.0;
    var step = r;
    var total = 1.0;
    var sum = tap(centre, size);
    for (var k = 1; k <= TAPS; k++) {
        g *= step;
        step *= r * r;
        sum += g * (tap(centre + direction * k, size) + tap(centre - direction * k, size));
        total += 2.0 * g;
    }
    return sum / total;
}

// colour_source's texel, zero beyond its edge (the kernel's total is not changed there).
fn tap(texel: vec2<i32>, size: vec2<i32>) -> vec4<f32> {
    let inside = all(texel >= vec2<i32>(0)) && all(texel < size);
    let value = textureLoad(colour_source, clamp(texel, vec2<i32>(0), size - 1), 0);
    return select(vec4<f32>(0.0), value, inside);
}
#endif

#ifdef BLUR_UP
@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let size = vec2<f32>(textureDimensions(colour_source));
    let p = in.uv * size - 0.5;
    let i = floor(p);
    let f = p - i;
    let f2 = f * f;
    let f3 = f2 * f;
    let w0 = (1.0 - 3.0 * f + 3.0 * f2 - f3) / 6.0;
    let w1 = (4.0 - 6.0 * f2 + 3.0 * f3) / 6.0;
    let w2 = (1.0 + 3.0 * f + 3.0 * f2 - 3.0 * f3) / 6.0;
    let w3 = f3 / 6.0;
    let g0 = w0 + w1;
    let g1 = w2 + w3;
    let uv0 = (i - 0.5 + w1 / g0) / size;
    let uv1 = (i + 1.5 + w3 / g1) / size;
    let top = g0.x * bilinear_or_zero(uv0, size)
        + g1.x * bilinear_or_zero(vec2<f32>(uv1.x, uv0.y), size);
    let bottom = g0.x * bilinear_or_zero(vec2<f32>(uv0.x, uv1.y), size)
        + g1.x * bilinear_or_zero(uv1, size);
    return g0.y * top + g1.y * bottom;
}

// colour_source sampled bilinearly at uv, zero beyond its edge.
fn bilinear_or_zero(uv: vec2<f32>, size: vec2<f32>) -> vec4<f32> {
    return textureSampleLevel(colour_source, linear_sampler, uv, 0.0) * inside_share(uv, size);
}
#endif
