//! Composite (`shaders/composite.wgsl`): coverage smoothstep of the refined mask, light wrap,
//! then the frame over a background — the frame itself, the blurred frame, a solid colour, or an
//! image / video frame cover-cropped to the frame (aspect kept, centred).

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::camera::ExtractedCamera;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::RenderContext;
use bevy::render::texture::GpuImage;
use bevy::render::view::ViewTarget;

use bevy::render::extract_component::DynamicUniformIndex;
use bevy::render::renderer::ViewQuery;

use crate::effects::chain::{
    ChainIo, ChainPass, ChainPasses, ChainTextures, ChainUniform, ExtractedPicture, StageParams,
    StagePipelineIds, add_stage,
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

/// What the composite reads of its view: like the other stages, and the camera and its target
/// (where the picture goes), and the chain's textures only when there is a mask.
type CompositeView<'w, 's> = ViewQuery<
    'w,
    's,
    (
        &'static ExtractedCamera,
        &'static ViewTarget,
        &'static ChainIo,
        Option<&'static ChainTextures>,
        &'static StagePipelineIds<CompositePipeline>,
        &'static ChainPasses,
        &'static DynamicUniformIndex<ChainUniform>,
    ),
>;

/// The picture: the frame over its background with the mask's coverage and light wrap (or a
/// stage's output, for the inspection views), written into the view's output image. Every render
/// writes it: the frame as it is while the chain does nothing (no mask yet, or no effect).
fn composite_pass(
    view: CompositeView,
    mut stage: StageParams,
    images: Res<RenderAssets<GpuImage>>,
    pictures: Query<&ExtractedPicture>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let picture = pictures.get(entity).copied().unwrap_or_default();
    let (camera, target, io, textures, pipelines, passes, index) = view.into_inner();
    let [composite, pass_through] = pipelines.ids[..] else {
        return;
    };
    let frame = &io.frame;
    let output = io.picture_target(camera, target);
    let textures = textures.filter(|_| stage.runs(passes));
    let Some(mut pass) = stage.always(index) else {
        return;
    };
    let Some(textures) = textures else {
        pass.timed(&mut ctx, SPAN, |pass, ctx| {
            pass.draw(
                ctx,
                "backdrop_pass_through",
                pass_through,
                [frame, frame, frame, frame],
                output,
            );
        });
        return;
    };
    let third = if passes.shows_decoded {
        &textures.guide
    } else {
        textures.blur_result().unwrap_or(frame)
    };
    let picture = picture
        .0
        .and_then(|id| images.get(id))
        .map(|p| &p.texture_view);
    let mask = textures.mask_source(passes.modes.refine);
    pass.timed(&mut ctx, SPAN, |pass, ctx| {
        pass.draw(
            ctx,
            "backdrop_composite",
            composite,
            [frame, mask, third, picture.unwrap_or(frame)],
            output,
        );
    });
}
