// Mask-weighted background blur, one separable pass at half resolution. Each tap's Gaussian
// weight is scaled by (1 − person) at the tap; the weight that goes missing is given to the
// centre colour, so the person never bleeds into the blurred background (no halo).
//   tex_a: colour source (the frame for the first pass, else the previous half-res pass)
//   tex_b: refined mask (frame resolution)
// BLUR_TAPS (a pipeline specialisation, see chain.wgsl): taps each side of the centre.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{tex_a, tex_b, linear_sampler, chain, half_size}

const TAPS: i32 = #{BLUR_TAPS};

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
#ifdef FROM_FRAME
    let out_size = half_size(textureDimensions(tex_a));
#else
    let out_size = vec2<f32>(textureDimensions(tex_a));
#endif
#ifdef VERTICAL
    let direction = vec2<f32>(0.0, 1.0 / out_size.y);
#else
    let direction = vec2<f32>(1.0 / out_size.x, 0.0);
#endif
    let centre = textureSampleLevel(tex_a, linear_sampler, in.uv, 0.0).rgb;
    let inv_two_var = 1.0 / (2.0 * chain.blur_sigma * chain.blur_sigma);
    var total = 0.0;
    var kept = 0.0;
    var sum = vec3<f32>(0.0);
    for (var k = -TAPS; k <= TAPS; k++) {
        let offset = f32(k);
        let g = exp(-offset * offset * inv_two_var);
        let uv = in.uv + direction * offset;
        let background = 1.0 - clamp(textureSampleLevel(tex_b, linear_sampler, uv, 0.0).r, 0.0, 1.0);
        let colour = textureSampleLevel(tex_a, linear_sampler, uv, 0.0).rgb;
        total += g;
        kept += g * background;
        sum += g * background * colour;
    }
    return vec4<f32>((sum + (total - kept) * centre) / total, 1.0);
}
