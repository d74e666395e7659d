//! Guided-filter refine of the mask (`shaders/guided.wgsl`): a fast guided filter whose
//! statistics and linear coefficients live on the model grid (one pass over model pixels); the
//! frame-resolution passes (the blur's first level, the composite) apply them with one texture
//! sample per pixel, so no frame-size mask is ever written.

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::renderer::RenderContext;

use crate::effects::chain::{ChainPass, ChainViewQuery, StageParams, add_stage};
use crate::effects::temporal::TemporalHistories;
use pipeline::GuidedPipeline;

/// The fit's time span in render diagnostics.
pub const SPAN: &str = "backdrop_guided";

/// The stage on the chain cameras: its shader, pipelines and passes.
pub struct GuidedPlugin;

impl Plugin for GuidedPlugin {
    fn build(&self, app: &mut App) {
        add_stage::<GuidedPipeline, _>(
            app,
            include_bytes!("../../../shaders/guided.wgsl"),
            guided_passes.in_set(ChainPass::Refine),
        );
    }
}

/// The guide (smoothed over time when temporal runs) → the coefficients, at model resolution.
fn guided_passes(
    view: ChainViewQuery<GuidedPipeline>,
    mut stage: StageParams,
    histories: Res<TemporalHistories>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (_, textures, pipelines, passes, index) = view.into_inner();
    // None when the view refines otherwise.
    let [fit] = pipelines.ids[..] else {
        return;
    };
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let guide = histories.guide_for(entity, passes, textures);
    pass.timed(&mut ctx, SPAN, |pass, ctx| {
        pass.draw(
            ctx,
            "backdrop_guided_fit",
            fit,
            [guide, guide, guide, guide],
            &textures.coefficients,
        );
    });
}
