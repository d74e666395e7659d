//! Guided-filter refine of the mask (`shaders/guided.wgsl`): a fast guided filter whose
//! statistics and linear coefficients live on the model grid (one pass over model pixels); the
//! frame-resolution pass applies them with one texture sample per pixel.

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::renderer::RenderContext;

use crate::effects::chain::{ChainPass, ChainViewQuery, StageParams, add_stage, timed};
use pipeline::GuidedPipeline;

/// The passes' time span in render diagnostics (fit and apply together).
pub const SPAN: &str = "backdrop_guided";

/// The stage on the chain cameras: its shader, pipelines and passes.
pub struct GuidedPlugin;

impl Plugin for GuidedPlugin {
    fn build(&self, app: &mut App) {
        add_stage::<GuidedPipeline, _>(
            app,
            (
                pipeline::SHADER,
                include_bytes!("../../../shaders/guided.wgsl"),
            ),
            pipeline::init,
            guided_passes.in_set(ChainPass::Refine),
        );
    }
}

/// The guide (model resolution) → the coefficients → the refined mask at frame resolution.
fn guided_passes(
    view: ChainViewQuery<GuidedPipeline>,
    mut stage: StageParams,
    mut ctx: RenderContext,
) {
    let (target, textures, pipelines, passes, index) = view.into_inner();
    // In the order of `GuidedPipeline::keys`; none when the view refines otherwise.
    let [fit, apply] = pipelines.ids[..] else {
        return;
    };
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let frame = target.main_texture_view();
    let (guide, coefficients) = (&textures.guide, &textures.coefficients);
    timed(&mut ctx, SPAN, |ctx| {
        pass.draw(
            ctx,
            "backdrop_guided_fit",
            fit,
            [guide, guide, guide, guide],
            coefficients,
        );
        pass.draw(
            ctx,
            "backdrop_guided_apply",
            apply,
            [frame, coefficients, frame, frame],
            &textures.refined,
        );
    });
}
