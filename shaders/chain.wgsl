// What every effects-chain stage binds: up to four input textures (bindings 0–3, which each stage
// declares itself under the names of what it reads there), a linear clamp sampler, and the chain's
// uniform (derived from BackdropSettings at extract time; see src/effects/chain.rs).
//
// Choices between code paths (output kind, view, background, wrap mode, refine, blur pass and
// taps, guided window) are pipeline
// specialisations (shader defs), never branches or loop bounds on uniform values: Mesa's lavapipe
// (22.x, Debian 12's) re-compiles a shader whose control flow depends on uniform values alone
// with those values inlined, every time it is bound, and keeps every copy — about 0.7 MB of
// driver memory and a shader compile per frame. Uniforms hold only the continuous values.
#define_import_path bevy_backdrop::chain

struct ChainUniform {
    // Background colour (gamma-encoded RGB, a = 1) for Background::Color.
    background_color: vec4<f32>,
    // Joint bilateral: sigma space (model pixels), sigma colour (colour distance).
    sigma_space: f32,
    sigma_color: f32,
    // Blur: σ of the Gaussian at the pyramid's coarsest level, in that level's pixels.
    blur_sigma: f32,
    // Composite: coverage smoothstep edges (0 <= low < high < 1).
    coverage_low: f32,
    coverage_high: f32,
    // Light wrap strength (0: off).
    wrap_strength: f32,
    // Temporal: weight of the history where the frame is still (0: off), and how fast motion
    // (colour change) hands over to the new mask.
    temporal_smoothing: f32,
    temporal_sensitivity: f32,
    // Guided filter: regularisation (a colour variance).
    guided_epsilon: f32,
}

@group(0) @binding(4) var linear_sampler: sampler;
@group(0) @binding(5) var<uniform> chain: ChainUniform;

// The reference demo's Gaussian: exp(-x² / (8σ²)), an effective standard deviation of 2σ.
fn bilateral_gauss(x: f32, sigma: f32) -> f32 {
    return exp(-(x * x) / (8.0 * sigma * sigma));
}

// How much of a bilinear sample's footprint at uv lies inside a texture of `size` texels: a
// sample times this is the sample with nothing outside the texture (zero there, rather than the
// edge texel repeated). For premultiplied (colour·w, w) values this is the frame's edge as a
// normalised convolution sees it: pixels beyond it have no weight.
fn inside_share(uv: vec2<f32>, size: vec2<f32>) -> f32 {
    let x = uv * size;
    let inside = clamp(x + 0.5, vec2<f32>(0.0), vec2<f32>(1.0)) * clamp(size + 0.5 - x, vec2<f32>(0.0), vec2<f32>(1.0));
    return inside.x * inside.y;
}

// The refine's linear model (a.rgb, b) from a bilinear sample of what the refine wrote (the
// stage samples its own binding; WGSL helpers here take values, not textures): the mask at a
// point is then clamp(a·colour + b, 0, 1) with the frame's colour there (refined_mask). A
// pipeline specialisation, one def per value of the Rust enum `RefineMethod`: the guided
// filter's coefficients as they are, or the joint bilateral's mask as a model without colour
// (a = 0, b = the mask).
#ifdef REFINE_GUIDED
fn refine_fit(sampled: vec4<f32>) -> vec4<f32> {
    return sampled;
}
#else ifdef REFINE_BILATERAL
fn refine_fit(sampled: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(0.0, 0.0, 0.0, sampled.r);
}
#endif

// The refined mask where the frame's colour is `colour`, from the model refine_fit gives.
fn refined_mask(fit: vec4<f32>, colour: vec3<f32>) -> f32 {
    return clamp(dot(fit.rgb, colour) + fit.a, 0.0, 1.0);
}
