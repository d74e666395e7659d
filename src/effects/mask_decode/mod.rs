//! Mask decode: the model's raw output → person probability, at model resolution
//! (`shaders/mask_decode.wgsl`), written beside the frame's colour over each model pixel: the
//! guide every later model-resolution step reads (one texture, one load). Which decoding applies
//! comes from the model table.

mod pipeline;
mod reference;

pub use reference::*;

use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::RenderContext;
use bevy::render::texture::GpuImage;

use crate::effects::chain::{ChainPass, ChainViewQuery, StageParams, add_stage};
use crate::inference::OutputKind;
use pipeline::MaskDecodePipeline;

impl crate::effects::ShaderChoice for OutputKind {
    const ALL: &'static [Self] = &[Self::Probability, Self::Logits, Self::TwoClassLogits];
    const SHADER: &'static str = "mask_decode.wgsl";
    const SOURCE: &'static str = include_str!("../../../shaders/mask_decode.wgsl");
    const PREFIX: &'static str = "OUTPUT_";

    fn shader_def(self) -> &'static str {
        match self {
            Self::Probability => "OUTPUT_PROBABILITY",
            Self::Logits => "OUTPUT_LOGITS",
            Self::TwoClassLogits => "OUTPUT_TWO_CLASS_LOGITS",
        }
    }
}

/// The pass's time span in render diagnostics.
pub const SPAN: &str = "backdrop_mask_decode";

/// The stage on the chain cameras: its shader, pipeline and pass.
pub struct MaskDecodePlugin;

impl Plugin for MaskDecodePlugin {
    fn build(&self, app: &mut App) {
        add_stage::<MaskDecodePipeline, _>(
            app,
            include_bytes!("../../../shaders/mask_decode.wgsl"),
            decode_pass.in_set(ChainPass::MaskDecode),
        );
    }
}

/// The raw model mask and the frame → the guide (colour, decoded mask), at model resolution.
fn decode_pass(
    view: ChainViewQuery<MaskDecodePipeline>,
    mut stage: StageParams,
    images: Res<RenderAssets<GpuImage>>,
    mut ctx: RenderContext,
) {
    let (io, textures, pipelines, passes, index) = view.into_inner();
    let Some(raw) = stage.mask.0.and_then(|id| images.get(id)) else {
        return;
    };
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let (raw, frame) = (&raw.texture_view, &io.frame);
    pass.timed(&mut ctx, SPAN, |pass, ctx| {
        pass.draw(
            ctx,
            "backdrop_mask_decode",
            pipelines.ids[0],
            [raw, frame, raw, raw],
            &textures.guide,
        );
    });
}
