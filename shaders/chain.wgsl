// What every effects-chain stage binds: up to four input textures, a linear clamp sampler, and the
// chain's uniform (derived from BackdropSettings at extract time; see src/effects/chain.rs).
#define_import_path bevy_backdrop::chain

struct ChainUniform {
    // Background colour (gamma-encoded RGB, a = 1) for Background::Color.
    background_color: vec4<f32>,
    // 0: probability, 1: one logit, 2: two-class logits (background, person).
    output_kind: u32,
    // Joint bilateral: sigma space (model pixels), sigma colour (colour distance).
    sigma_space: f32,
    sigma_color: f32,
    // Blur: Gaussian sigma and taps each side of one pass, in half-resolution pixels.
    blur_sigma: f32,
    blur_taps: i32,
    // Composite: coverage smoothstep edges (0 <= low < high < 1).
    coverage_low: f32,
    coverage_high: f32,
    // 0: none, 1: blur, 2: colour, 3: picture (image or video frame, tex_d).
    background: u32,
    // 0: final picture, 1: decoded mask, 2: refined mask, 3: blurred background.
    view: u32,
    // Light wrap strength (0: off) and mode (0: screen, 1: linear dodge).
    wrap_strength: f32,
    wrap_mode: u32,
    // Temporal: weight of the history where the frame is still (0: off), and how fast motion
    // (colour change) hands over to the new mask.
    temporal_smoothing: f32,
    temporal_sensitivity: f32,
}

@group(0) @binding(0) var tex_a: texture_2d<f32>;
@group(0) @binding(1) var tex_b: texture_2d<f32>;
@group(0) @binding(2) var tex_c: texture_2d<f32>;
@group(0) @binding(3) var tex_d: texture_2d<f32>;
@group(0) @binding(4) var linear_sampler: sampler;
@group(0) @binding(5) var<uniform> chain: ChainUniform;

// The reference demo's Gaussian: exp(-x² / (8σ²)), an effective standard deviation of 2σ.
fn bilateral_gauss(x: f32, sigma: f32) -> f32 {
    return exp(-(x * x) / (8.0 * sigma * sigma));
}

// Half-resolution size of a frame (rounded up, as the Rust side allocates it).
fn half_size(frame: vec2<u32>) -> vec2<f32> {
    return vec2<f32>((frame + vec2<u32>(1u)) / 2u);
}
