// Composite: m' = smoothstep(low, high, m) of the refined mask; light wrap
// lw = strength · (1 − max(0, m − high)/(1 − high)) · background, added to the frame by screen or
// linear dodge; out = mix(background, frame', m'). The background is the frame itself (none), the
// blurred frame, a colour, or a picture cover-cropped to the frame. Other views show a stage's
// output for inspection and tests.
//   frame_texture: frame, refined_mask: refined mask (frame size), blurred_or_decoded: blurred background (half size), or the
//   guide (model size, the decoded mask in alpha) for the decoded-mask view; background_picture: the background picture.
// Pipeline specialisations (see chain.wgsl), one def per value of a Rust enum: the view
// (`ChainView`), what is behind the person (`BackgroundKind`), the light wrap's blend (`WrapMode`).
// Each is tested by name below; a test checks the names against the enums.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{linear_sampler, chain}

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var frame_texture: texture_2d<f32>;
@group(0) @binding(1) var refined_mask: texture_2d<f32>;
@group(0) @binding(2) var blurred_or_decoded: texture_2d<f32>;
@group(0) @binding(3) var background_picture: texture_2d<f32>;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let pixel = vec2<i32>(in.position.xy);
    let frame = textureLoad(frame_texture, pixel, 0);
    let person = textureLoad(refined_mask, pixel, 0).r;
#ifdef VIEW_DECODED_MASK
    let decoded = textureSampleLevel(blurred_or_decoded, linear_sampler, in.uv, 0.0).a;
    return vec4<f32>(vec3<f32>(clamp(decoded, 0.0, 1.0)), 1.0);
#else ifdef VIEW_REFINED_MASK
    return vec4<f32>(vec3<f32>(clamp(person, 0.0, 1.0)), 1.0);
#else ifdef VIEW_BLURRED_BACKGROUND
    return vec4<f32>(textureSampleLevel(blurred_or_decoded, linear_sampler, in.uv, 0.0).rgb, 1.0);
#else ifdef BACKGROUND_NONE
    return frame;
#else ifdef VIEW_FINAL
#ifdef BACKGROUND_BLUR
    let background = textureSampleLevel(blurred_or_decoded, linear_sampler, in.uv, 0.0).rgb;
#else ifdef BACKGROUND_COLOR
    let background = chain.background_color.rgb;
#else ifdef BACKGROUND_PICTURE
    let background = textureSampleLevel(background_picture, linear_sampler, cover_uv(in.uv), 0.0).rgb;
#endif
    let high = chain.coverage_high;
    let wrap = chain.wrap_strength * (1.0 - max(0.0, person - high) / (1.0 - high));
    let light = wrap * background;
#ifdef WRAP_LINEAR_DODGE
    let lit = min(frame.rgb + light, vec3<f32>(1.0));
#else ifdef WRAP_SCREEN
    let lit = 1.0 - (1.0 - frame.rgb) * (1.0 - light);
#endif
    let coverage = smoothstep(chain.coverage_low, high, person);
    return vec4<f32>(mix(background, lit, coverage), frame.a);
#endif
}

// The picture scaled to cover the frame (aspect kept, centred, overflow cropped).
fn cover_uv(uv: vec2<f32>) -> vec2<f32> {
    let frame = vec2<f32>(textureDimensions(frame_texture));
    let picture = vec2<f32>(textureDimensions(background_picture));
    let scale = max(frame.x / picture.x, frame.y / picture.y);
    let shown = picture * scale;
    return (uv * frame + (shown - frame) * 0.5) / shown;
}
