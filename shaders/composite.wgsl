// Composite, the chain's one frame-resolution pass: the refined mask at the pixel (the guided
// filter's coefficients applied to its colour, or the joint bilateral's mask), the blurred
// background (the blur's result at a quarter or half of the frame, colour divided by weight),
// then m' = smoothstep(low, high, m); light wrap
// lw = strength · (1 − max(0, m − high)/(1 − high)) · background, added to the frame by screen or
// linear dodge; out = mix(background, frame', m'). The background is the frame itself (none), the
// blurred frame, a colour, or a picture cover-cropped to the frame. Other views show a stage's
// output for inspection and tests.
//   frame_texture: frame, mask_source: see chain.wgsl's refine_fit, blurred_or_guide: the
//   blur's result (premultiplied colour, weight), or the guide (model size, the decoded
//   mask in alpha) for the decoded-mask view; background_picture: the background picture.
// Pipeline specialisations (see chain.wgsl), one def per value of a Rust enum: the view
// (`ChainView`), what is behind the person (`BackgroundKind`), the light wrap's blend (`WrapMode`),
// and the refine (`RefineMethod`, in chain.wgsl). Each is tested by name; a test checks the names
// against the enums.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput
#import bevy_backdrop::chain::{linear_sampler, chain, refine_fit, refined_mask, inside_share}
#import bevy_backdrop::srgb::srgb_decoded

// Inputs: the chain layout's texture slots, named for this stage (see src/effects/chain.rs).
@group(0) @binding(0) var frame_texture: texture_2d<f32>;
@group(0) @binding(1) var mask_source: texture_2d<f32>;
@group(0) @binding(2) var blurred_or_guide: texture_2d<f32>;
@group(0) @binding(3) var background_picture: texture_2d<f32>;

// Below this blurred weight the background is mostly the pixel itself (deep inside a person,
// where no background is near): the division would amplify nothing but rounding.
const MIN_WEIGHT: f32 = 0.02;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let shown = picture(in);
#ifdef OUTPUT_SRGB
    // The picture is in sRGB-encoded values; an sRGB target encodes what it is handed.
    return vec4<f32>(srgb_decoded(shown.rgb), shown.a);
#else
    return shown;
#endif
}

// What the view shows at the pixel, sRGB-encoded (as the frame is).
fn picture(in: FullscreenVertexOutput) -> vec4<f32> {
    let pixel = vec2<i32>(in.position.xy);
    let frame = textureLoad(frame_texture, pixel, 0);
#ifdef VIEW_DECODED_MASK
    let decoded = textureSampleLevel(blurred_or_guide, linear_sampler, in.uv, 0.0).a;
    return vec4<f32>(vec3<f32>(clamp(decoded, 0.0, 1.0)), 1.0);
#else ifdef VIEW_BLURRED_BACKGROUND
    return vec4<f32>(blurred_background(in.uv, frame.rgb), 1.0);
#else ifdef VIEW_REFINED_MASK
    return vec4<f32>(vec3<f32>(person_at(in.uv, frame.rgb)), 1.0);
#else ifdef BACKGROUND_NONE
    // The final view with nothing behind the person: the frame as it is (also while no mask is
    // there yet).
    return frame;
#else ifdef VIEW_FINAL
    let person = person_at(in.uv, frame.rgb);
    // All person: neither the background nor the light it wraps shows (coverage 1, wrap 0), so
    // the pixel is the frame's, and the background is not read.
    if person >= 1.0 {
        return frame;
    }
#ifdef BACKGROUND_BLUR
    let background = blurred_background(in.uv, frame.rgb);
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

// The refined mask at uv, for the pixel's colour.
fn person_at(uv: vec2<f32>, colour: vec3<f32>) -> f32 {
    let fit = refine_fit(textureSampleLevel(mask_source, linear_sampler, uv, 0.0));
    return refined_mask(fit, colour);
}

// The blurred background at uv: the blur's result (premultiplied colour, weight), colour divided
// by weight; where almost no background weight is near, the pixel's own colour fills in.
fn blurred_background(uv: vec2<f32>, own: vec3<f32>) -> vec3<f32> {
    let size = vec2<f32>(textureDimensions(blurred_or_guide));
    let sum = textureSampleLevel(blurred_or_guide, linear_sampler, uv, 0.0) * inside_share(uv, size);
    return (sum.rgb + max(MIN_WEIGHT - sum.a, 0.0) * own) / max(sum.a, MIN_WEIGHT);
}

// The picture scaled to cover the frame (aspect kept, centred, overflow cropped).
fn cover_uv(uv: vec2<f32>) -> vec2<f32> {
    let frame = vec2<f32>(textureDimensions(frame_texture));
    let picture = vec2<f32>(textureDimensions(background_picture));
    let scale = max(frame.x / picture.x, frame.y / picture.y);
    let shown = picture * scale;
    return (uv * frame + (shown - frame) * 0.5) / shown;
}
