// The window's one pass (src/display/pass.rs): every pixel of the window, written once. Inside the
// picture's rectangle (aspect kept, centred) the picture sampled bilinearly, black around it, and
// the overlay's layer (egui, drawn into the window camera's main texture) over both.
//   picture: the shown image (a chain's target: sRGB-encoded values in an Rgba8Unorm texture).
//   overlay: the window camera's main texture, egui's premultiplied colour over transparent
//   black: linear where the main texture is sRGB (as a window's is), sRGB-encoded otherwise.
// Pipeline specialisations: TARGET_SRGB (the target encodes: hand it decoded values; without it
// the target keeps what it is handed, sRGB-encoded values, as the WebGL2 page's window does, see
// web/present.js), OVERLAY (egui drew something this frame; without it the layer is not read),
// OVERLAY_LINEAR (the layer's values are linear: blended in linear light, as egui blends in an
// sRGB target).

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::srgb::{srgb_decoded, srgb_encoded}

struct Display {
    // The picture's rectangle in window pixels: its top-left corner and its size.
    picture_min: vec2<f32>,
    picture_size: vec2<f32>,
}

@group(0) @binding(0) var picture: texture_2d<f32>;
@group(0) @binding(1) var picture_sampler: sampler;
@group(0) @binding(2) var overlay: texture_2d<f32>;
@group(0) @binding(3) var<uniform> display: Display;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let uv = (in.position.xy - display.picture_min) / max(display.picture_size, vec2<f32>(1e-6));
    let inside = all(uv >= vec2<f32>(0.0)) && all(uv <= vec2<f32>(1.0));
    let sampled = textureSampleLevel(picture, picture_sampler, clamp(uv, vec2<f32>(0.0), vec2<f32>(1.0)), 0.0).rgb;
    // sRGB-encoded, as the picture holds it.
    let colour = select(vec3<f32>(0.0), sampled, inside);
#ifdef OVERLAY
    return vec4<f32>(with_overlay(colour, textureLoad(overlay, vec2<i32>(in.position.xy), 0)), 1.0);
#else ifdef TARGET_SRGB
    return vec4<f32>(srgb_decoded(colour), 1.0);
#else
    return vec4<f32>(colour, 1.0);
#endif
}

#ifdef OVERLAY
// egui's layer over the picture's sRGB-encoded colour, as the target takes it.
fn with_overlay(colour: vec3<f32>, layer: vec4<f32>) -> vec3<f32> {
#ifdef OVERLAY_LINEAR
    let linear = layer.rgb + (1.0 - layer.a) * srgb_decoded(colour);
#ifdef TARGET_SRGB
    return linear;
#else
    // Where egui drew nothing the picture stays as it is (no decode and encode).
    return select(srgb_encoded(linear), colour, layer.a <= 0.0);
#endif
#else
    let encoded = layer.rgb + (1.0 - layer.a) * colour;
#ifdef TARGET_SRGB
    return srgb_decoded(encoded);
#else
    return encoded;
#endif
#endif
}
#endif
