// Mask-weighted background blur, one separable pass at half resolution. Each tap's Gaussian
// weight is scaled by (1 − person) at the tap; the weight that goes missing is given to the
// centre colour, so the person never bleeds into the blurred background (no halo).
//   colour_source: colour source (the frame for the first pass, else the previous half-res pass)
//   refined_mask: refined mask (frame resolution)
// BLUR_TAPS (a pipeline specialisation, see chain.wgsl): taps each side of the centre.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{linear_sampler, chain, half_size}

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var colour_source: texture_2d<f32>;
@group(0) @binding(1) var refined_mask: texture_2d<f32>;

const TAPS: i32 = #{BLUR_TAPS};

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
#ifdef FROM_FRAME
    let out_size = half_size(textureDimensions(colour_source));
#else
    let out_size = vec2<f32>(textureDimensions(colour_source));
#endif
#ifdef VERTICAL
    let direction = vec2<f32>(0.0, 1.0 / out_size.y);
#else
    let direction = vec2<f32>(1.0 / out_size.x, 0.0);
#endif
    let centre = textureSampleLevel(colour_source, linear_sampler, in.uv, 0.0).rgb;
    let inv_two_var = 1.0 / (2.0 * chain.blur_sigma * chain.blur_sigma);
    var total = 0.0;
    var kept = 0.0;
    var sum = vec3<f32>(0.0);
    for (var k = -TAPS; k <= TAPS; k++) {
        let offset = f32(k);
        let g = exp(-offset * offset * inv_two_var);
        let uv = in.uv + direction * offset;
        let background = 1.0 - clamp(textureSampleLevel(refined_mask, linear_sampler, uv, 0.0).r, 0.0, 1.0);
        let colour = textureSampleLevel(colour_source, linear_sampler, uv, 0.0).rgb;
        total += g;
        kept += g * background;
        sum += g * background * colour;
    }
    return vec4<f32>((sum + (total - kept) * centre) / total, 1.0);
}
