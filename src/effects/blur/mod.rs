//! Mask-weighted background blur whose cost does not grow with the radius (`shaders/blur.wgsl`):
//! the frame premultiplied by the background weight `w = 1 − person`, `(colour·w, w)`, made into
//! a pyramid straight from the frame at the level the composite reads (a 4×4 box for level 2, a
//! quarter of the frame; a 2×2 box for level 1 in the narrowest blurs), halved further with a
//! 4-tap binomial filter, a small separable Gaussian at the coarsest level, that level read back
//! up to level 2 with a cubic B-spline, and (in the composite) level 2 sampled bilinearly, its
//! colour divided by its weight — normalised convolution, so the person does not bleed into the
//! blurred background (no halo). The level and the Gaussian are chosen so that the variances of
//! the steps add up to the radius's Gaussian; a wider radius only adds a smaller level, so radius
//! 200 costs about what radius 18 does.

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::renderer::RenderContext;

use crate::effects::chain::{ChainPass, ChainViewQuery, StageParams, add_stage};
use pipeline::BlurPipeline;

/// The widest radius the blur renders (in full-resolution pixels); wider ones are drawn at this
/// radius.
pub const MAX_RADIUS: f32 = 256.0;

/// Pyramid levels at most: level 6 is 1/64 of the frame, enough for [`MAX_RADIUS`].
pub const MAX_LEVELS: u32 = 6;

/// The Gaussian at the coarsest level stays at most this wide (σ in that level's pixels): a
/// wider one means one more level instead, so its taps (3σ each side) stay few.
pub const MAX_LEVEL_SIGMA: f32 = 2.5;

/// Variance (in frame pixels², per axis) of level 1 made from the frame: the box [1 1] / 2
/// (exactly that where the frame's side is even; an odd side shifts the bilinear sample a little
/// off the block's centre, and the CPU reference samples where the shader does).
const FIRST_DOWN_VARIANCE: f32 = 0.25;
/// Variance (in frame pixels², per axis) of level 2 made from the frame: the box [1 1 1 1] / 4,
/// (4² − 1) / 12 (exactly that where the frame's side is a multiple of 4).
const QUARTER_VARIANCE: f32 = 1.25;
/// Variance (in level-(j) pixels², per axis) of each further halving: the binomial [1 3 3 1] / 8.
const DOWN_VARIANCE: f32 = 0.75;
/// The level the composite reads (bilinearly): level 2 (a quarter of the frame) once the pyramid
/// is that deep, level 1 for the narrowest blurs. It is the first level drawn, straight from the
/// frame; deeper levels are read back up to it.
pub const READ_LEVEL: u32 = 2;

/// Variance (in the coarsest level's pixels², per axis) of the cubic B-spline that reads it back
/// up to [`READ_LEVEL`] (when the pyramid is deeper).
const BSPLINE_VARIANCE: f32 = 1.0 / 3.0;
/// Variance (in the read level's pixels², per axis) of the composite's bilinear read.
const BILINEAR_VARIANCE: f32 = 1.0 / 6.0;
/// Variance (in frame pixels², per axis) that reading the read level's tent at frame pixel
/// centres adds to the tent's own (a sampled tent of width s has s²/6 + 1/12, averaged over where
/// the detail falls between the level's texels).
const SAMPLING_VARIANCE: f32 = 1.0 / 12.0;

/// How a radius is blurred: pyramid levels (level 1 is half the frame), and the Gaussian at the
/// coarsest level (σ in its pixels; 0 taps: the pyramid alone is already as wide).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlurPlan {
    pub levels: u32,
    pub sigma: f32,
    pub taps: u32,
}

impl BlurPlan {
    /// `None` when the radius is too small to blur anything. Radii beyond [`MAX_RADIUS`] are
    /// drawn at [`MAX_RADIUS`]; below ≈ 2.9 px the pyramid alone is wider than asked for, and that
    /// is what is drawn.
    pub fn for_radius(radius: f32) -> Option<Self> {
        if !radius.is_finite() || radius < 1.0 {
            return None;
        }
        // 3σ = radius, in frame pixels.
        let variance = (radius.min(MAX_RADIUS) / 3.0).powi(2);
        let mut plan = None;
        for levels in 1..=MAX_LEVELS {
            let residual = (variance - Self::pyramid_variance(levels)).max(0.0);
            let scale = 4f32.powi(levels as i32);
            let sigma = (residual / scale).sqrt();
            plan = Some(Self {
                levels,
                sigma,
                taps: (3.0 * sigma).ceil() as u32,
            });
            if sigma <= MAX_LEVEL_SIGMA {
                break;
            }
        }
        plan
    }

    /// The variance (frame pixels², per axis) the pyramid to `levels` and the reads back add,
    /// without the Gaussian: 1/4 for level 1 alone; else 5/4 for level 2 + Σ_2≤j<k 0.75·4^j for
    /// the halvings below it, + 4^k/3 for the B-spline up to the read level (when deeper); + 4^r/6
    /// + 1/12 for the composite's bilinear read of level r at the frame's pixels.
    pub fn pyramid_variance(levels: u32) -> f32 {
        let scale = 4f32.powi(levels as i32);
        let read = Self::read_level_of(levels);
        let up = if levels > read {
            BSPLINE_VARIANCE * scale
        } else {
            0.0
        };
        let read_scale = 4f32.powi(read as i32);
        let halvings = if levels < 2 {
            FIRST_DOWN_VARIANCE
        } else {
            QUARTER_VARIANCE + DOWN_VARIANCE * (scale - 16.0) / 3.0
        };
        halvings + up + BILINEAR_VARIANCE * read_scale + SAMPLING_VARIANCE
    }

    /// The level the composite reads for a pyramid this deep.
    fn read_level_of(levels: u32) -> u32 {
        levels.min(READ_LEVEL)
    }

    /// The level the composite reads (1-based), which is also the first level drawn (from the
    /// frame).
    pub fn read_level(&self) -> u32 {
        Self::read_level_of(self.levels)
    }

    /// Size of each level drawn for a frame, the first (the read level) first.
    pub fn drawn_level_sizes(&self, width: u32, height: u32) -> Vec<(u32, u32)> {
        let skipped = self.read_level() as usize - 1;
        level_sizes(width, height, self.levels).split_off(skipped)
    }

    /// The blur's σ in frame pixels: what the plan draws.
    pub fn drawn_sigma(&self) -> f32 {
        let scale = 4f32.powi(self.levels as i32);
        (Self::pyramid_variance(self.levels) + self.sigma * self.sigma * scale).sqrt()
    }
}

/// Size of each pyramid level for a frame, level 1 (half, rounded up) first, drawn or not (see
/// [`BlurPlan::drawn_level_sizes`] for those drawn).
fn level_sizes(width: u32, height: u32, levels: u32) -> Vec<(u32, u32)> {
    let mut size = (width, height);
    (0..levels)
        .map(|_| {
            size = (size.0.div_ceil(2), size.1.div_ceil(2));
            size
        })
        .collect()
}

/// The passes' time span in render diagnostics (all levels together).
pub const SPAN: &str = "backdrop_blur";

/// The stage on the chain cameras: its shader, pipelines and passes.
pub struct BlurPlugin;

impl Plugin for BlurPlugin {
    fn build(&self, app: &mut App) {
        add_stage::<BlurPipeline, _>(
            app,
            include_bytes!("../../../shaders/blur.wgsl"),
            blur_passes.in_set(ChainPass::Blur),
        );
    }
}

/// The frame → the weighted pyramid (its first level the read level) → the Gaussian at its
/// coarsest level → back up to the read level (whose texture, no longer needed, takes the result
/// the composite reads).
fn blur_passes(view: ChainViewQuery<BlurPipeline>, mut stage: StageParams, mut ctx: RenderContext) {
    let (io, textures, pipelines, passes, index) = view.into_inner();
    // In the order of `BlurPipeline::keys`; none without a blur.
    let [from_frame, down, horizontal, vertical, up] = pipelines.ids[..] else {
        return;
    };
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let (levels, scratch) = (&textures.blur_levels, &textures.blur_scratch);
    let (Some(first), Some(last)) = (levels.first(), levels.last()) else {
        return;
    };
    let frame = &io.frame;
    let mask = textures.mask_source(passes.modes.refine);
    pass.timed(&mut ctx, SPAN, |pass, ctx| {
        pass.draw(
            ctx,
            "backdrop_blur_down",
            from_frame,
            [frame, mask, frame, frame],
            first,
        );
        for pair in levels.windows(2) {
            let (above, level) = (&pair[0], &pair[1]);
            pass.draw(
                ctx,
                "backdrop_blur_down",
                down,
                [above, above, above, above],
                level,
            );
        }
        if passes.modes.blur_taps > 0 {
            pass.draw(
                ctx,
                "backdrop_blur_h",
                horizontal,
                [last, last, last, last],
                scratch,
            );
            pass.draw(
                ctx,
                "backdrop_blur_v",
                vertical,
                [scratch, scratch, scratch, scratch],
                last,
            );
        }
        if levels.len() > 1 {
            pass.draw(ctx, "backdrop_blur_up", up, [last, last, last, last], first);
        }
    });
}
