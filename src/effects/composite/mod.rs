//! Composite (`shaders/composite.wgsl`): coverage smoothstep of the refined mask, light wrap,
//! then the frame over a background — the frame itself, the blurred frame, a solid colour, or an
//! image / video frame cover-cropped to the frame (aspect kept, centred).

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::RenderContext;
use bevy::render::texture::GpuImage;

use crate::effects::chain::{
    ChainPass, ChainViewQuery, ExtractedPicture, StageParams, add_stage, timed,
};
use pipeline::CompositePipeline;

/// The pass's time span in render diagnostics.
pub const SPAN: &str = "backdrop_composite";

/// The stage on the chain cameras: its shader, pipeline and pass.
pub struct CompositePlugin;

impl Plugin for CompositePlugin {
    fn build(&self, app: &mut App) {
        add_stage::<CompositePipeline, _>(
            app,
            include_bytes!("../../../shaders/composite.wgsl"),
            composite_pass.in_set(ChainPass::Composite),
        );
    }
}

/// The picture: the frame over its background with the mask's coverage and light wrap (or a
/// stage's output, for the inspection views), written over the view's main texture.
fn composite_pass(
    view: ChainViewQuery<CompositePipeline>,
    mut stage: StageParams,
    images: Res<RenderAssets<GpuImage>>,
    pictures: Query<&ExtractedPicture>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let picture = pictures.get(entity).copied().unwrap_or_default();
    let (target, textures, pipelines, passes, index) = view.into_inner();
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let post = target.post_process_write();
    let third = if passes.shows_decoded {
        &textures.guide
    } else {
        textures.blur_result().unwrap_or(post.source)
    };
    let picture = picture
        .0
        .and_then(|id| images.get(id))
        .map(|p| &p.texture_view);
    let mask = textures.mask_source(passes.modes.refine);
    timed(&mut ctx, SPAN, |ctx| {
        pass.draw(
            ctx,
            "backdrop_composite",
            pipelines.ids[0],
            [post.source, mask, third, picture.unwrap_or(post.source)],
            post.destination,
        );
    });
}
