//! Mask-weighted background blur at half resolution (`shaders/blur.wgsl`): separable Gaussian
//! passes, ping-pong between two half-size textures. Each tap is weighted by (1 − person) and the
//! missing weight is filled with the centre colour, so the person does not bleed into the blurred
//! background.

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::renderer::RenderContext;

use crate::effects::chain::{ChainPass, ChainViewQuery, StageParams, add_stage, timed};
use crate::effects::temporal::TemporalHistories;
use pipeline::BlurPipeline;

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

/// The passes' time span in render diagnostics (all iterations together).
pub const SPAN: &str = "backdrop_blur";

/// The stage on the chain cameras: its shader, pipelines and passes.
pub struct BlurPlugin;

impl Plugin for BlurPlugin {
    fn build(&self, app: &mut App) {
        add_stage::<BlurPipeline, _>(
            app,
            (
                pipeline::SHADER,
                include_bytes!("../../../shaders/blur.wgsl"),
            ),
            pipeline::init,
            blur_passes.in_set(ChainPass::Blur),
        );
    }
}

/// The frame → its mask-weighted blur at half resolution: pass pairs ping-ponging between the
/// two half-size textures (the result ends in `blur_b`).
fn blur_passes(
    view: ChainViewQuery<BlurPipeline>,
    mut stage: StageParams,
    histories: Res<TemporalHistories>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (target, textures, pipelines, passes, index) = view.into_inner();
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let mask = histories.mask_for(entity, passes, textures);
    let (a, b) = (&textures.blur_a, &textures.blur_b);
    if passes.blur_iterations == 0 {
        return;
    }
    // In the order of `BlurPipeline::keys`.
    let [from_frame, horizontal, vertical] = pipelines.ids[..] else {
        return;
    };
    timed(&mut ctx, SPAN, |ctx| {
        for iteration in 0..passes.blur_iterations {
            let (pipeline, source) = if iteration == 0 {
                (from_frame, target.main_texture_view())
            } else {
                (horizontal, b)
            };
            pass.draw(
                ctx,
                "backdrop_blur_h",
                pipeline,
                [source, mask, mask, mask],
                a,
            );
            pass.draw(ctx, "backdrop_blur_v", vertical, [a, mask, mask, mask], b);
        }
    });
}
