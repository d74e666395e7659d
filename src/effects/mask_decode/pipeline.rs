//! The mask decode pipeline: `shaders/mask_decode.wgsl` specialised on the model's output kind,
//! writing the guide at model resolution (the frame's colour over each model pixel, and the
//! decoded mask).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::ShaderChoice;
use crate::effects::chain::GUIDE_FORMAT;
use crate::effects::chain::{ChainPasses, ChainStage, StageShader};
use crate::inference::OutputKind;

#[derive(Resource)]
pub(crate) struct MaskDecodePipeline(StageShader);

impl SpecializedRenderPipeline for MaskDecodePipeline {
    type Key = OutputKind;

    fn specialize(&self, kind: OutputKind) -> RenderPipelineDescriptor {
        self.0.pipeline(
            "backdrop_mask_decode",
            vec![kind.shader_def().into()],
            &[GUIDE_FORMAT],
        )
    }
}

impl ChainStage for MaskDecodePipeline {
    const SHADER: &'static str = "mask_decode.wgsl";

    fn new(shader: StageShader) -> Self {
        Self(shader)
    }

    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = OutputKind> {
        std::iter::once(passes.modes.output_kind)
    }
}
