//! Joint bilateral upsample of the decoded mask to frame resolution, guided by the frame
//! (`shaders/bilateral.wgsl`). Tap pattern and defaults of the reference demo; distances in output
//! pixels (σ = s), so the kernel is round on non-square frames (the demo's UV-space distance made
//! it slightly anisotropic).

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::renderer::RenderContext;

use crate::effects::chain::{ChainPass, ChainViewQuery, StageParams, add_stage};
use crate::effects::temporal::TemporalHistories;
use pipeline::BilateralPipeline;

/// The pass's time span in render diagnostics.
pub const SPAN: &str = "backdrop_bilateral";

/// The stage on the chain cameras: its shader, pipeline and pass.
pub struct BilateralPlugin;

impl Plugin for BilateralPlugin {
    fn build(&self, app: &mut App) {
        add_stage::<BilateralPipeline, _>(
            app,
            include_bytes!("../../../shaders/bilateral.wgsl"),
            bilateral_pass.in_set(ChainPass::Bilateral),
        );
    }
}

/// The decoded mask → the refined mask at frame resolution, guided by the frame.
fn bilateral_pass(
    view: ChainViewQuery<BilateralPipeline>,
    mut stage: StageParams,
    histories: Res<TemporalHistories>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (io, textures, pipelines, passes, index) = view.into_inner();
    // None when the view refines with another method.
    let [pipeline] = pipelines.ids[..] else {
        return;
    };
    let (Some(mut pass), Some(refined)) = (stage.context(passes, index), &textures.refined) else {
        return;
    };
    let frame = &io.frame;
    let guide = histories.guide_for(entity, passes, textures);
    pass.timed(&mut ctx, SPAN, |pass, ctx| {
        pass.draw(
            ctx,
            "backdrop_bilateral",
            pipeline,
            [frame, guide, frame, frame],
            refined,
        );
    });
}
