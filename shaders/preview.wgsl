// Preview composite: the frame, with the background (mask → 0) dimmed. A stand-in until the
// effects chain's composite stage lands. Values are gamma-encoded (the chain composites in sRGB).

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput

struct PreviewUniform {
    // 0: untouched frame, 1: background black.
    dim: f32,
#ifdef SIXTEEN_BYTE_ALIGNMENT
    _webgl2_padding: vec3<f32>,
#endif
}

@group(0) @binding(0) var frame_texture: texture_2d<f32>;
@group(0) @binding(1) var frame_sampler: sampler;
@group(0) @binding(2) var mask_texture: texture_2d<f32>;
@group(0) @binding(3) var mask_sampler: sampler;
@group(0) @binding(4) var<uniform> settings: PreviewUniform;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let frame = textureSample(frame_texture, frame_sampler, in.uv);
    let person = clamp(textureSample(mask_texture, mask_sampler, in.uv).r, 0.0, 1.0);
    let keep = mix(1.0 - settings.dim, 1.0, person);
    return vec4<f32>(frame.rgb * keep, frame.a);
}
