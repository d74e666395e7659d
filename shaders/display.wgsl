// The window's one pass (src/display/pass.rs): every pixel of the window, written once. Inside the
// picture's rectangle (aspect kept, centred) the picture sampled bilinearly, black around it, and
// the overlay's layer (egui, drawn into the window camera's main texture) over both.
//   picture: the shown image (a chain's target: sRGB-encoded values in an Rgba8Unorm texture).
//   overlay: the window camera's main texture, egui's premultiplied colour over transparent
//   black, in the window's colour space (linear when the window is sRGB).
// Pipeline specialisations: TARGET_SRGB (the window encodes: hand it decoded values), OVERLAY
// (egui drew something this frame; without it the layer is not read).

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::srgb::srgb_decoded

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
    var colour = select(vec3<f32>(0.0), sampled, inside);
#ifdef TARGET_SRGB
    colour = srgb_decoded(colour);
#endif
#ifdef OVERLAY
    let layer = textureLoad(overlay, vec2<i32>(in.position.xy), 0);
    colour = layer.rgb + (1.0 - layer.a) * colour;
#endif
    return vec4<f32>(colour, 1.0);
}
