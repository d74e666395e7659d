//! Mask-weighted background blur at half resolution (`shaders/blur.wgsl`): separable Gaussian
//! passes, ping-pong between two half-size textures. Each tap is weighted by (1 − person) and the
//! missing weight is filled with the centre colour, so the person does not bleed into the blurred
//! background.

mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

/// Taps each side of one pass, at most: wider blurs take more passes.
pub const MAX_TAPS_PER_PASS: i32 = 32;

/// Horizontal + vertical pass pairs the blur runs at most, whatever radius reaches the render
/// side (σ grows with √passes, so the work grows with the radius squared: without a cap a radius
/// of 100,000 px asked for 2.4 million pass pairs and stalled the app).
pub const MAX_PASS_PAIRS: u32 = 16;

/// The widest radius the blur renders (in full-resolution pixels); wider ones are drawn at this
/// radius. [`MAX_PASS_PAIRS`] passes of [`MAX_TAPS_PER_PASS`] taps (3σ each, at half resolution)
/// compose to 3σ = 32·√16 half-resolution pixels = 256 px.
pub const MAX_RADIUS: f32 = 256.0;

/// How a radius is blurred: per-pass σ and taps (half-resolution pixels) and how many
/// horizontal+vertical pass pairs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlurPlan {
    pub sigma: f32,
    pub taps: i32,
    pub iterations: u32,
}

impl BlurPlan {
    /// `None` when the radius is too small to blur anything. Radii beyond [`MAX_RADIUS`] are
    /// drawn at [`MAX_RADIUS`].
    pub fn for_radius(radius: f32) -> Option<Self> {
        if !radius.is_finite() || radius < 1.0 {
            return None;
        }
        // 3σ = radius at full resolution; half that at half resolution.
        let sigma = radius.min(MAX_RADIUS) / 6.0;
        let needed = ((3.0 * sigma / MAX_TAPS_PER_PASS as f32).powi(2).ceil() as u32)
            .clamp(1, MAX_PASS_PAIRS);
        // n passes of σ/√n compose to one of σ.
        let sigma = sigma / (needed as f32).sqrt();
        Some(Self {
            sigma,
            // At the cap 3σ may round a hair over the last tap; the kernel ends there.
            taps: ((3.0 * sigma).ceil() as i32).clamp(1, MAX_TAPS_PER_PASS),
            iterations: needed,
        })
    }
}

/// Size of the half-resolution buffers for a frame (rounded up).
pub fn half_size(width: u32, height: u32) -> (u32, u32) {
    (width.div_ceil(2), height.div_ceil(2))
}
