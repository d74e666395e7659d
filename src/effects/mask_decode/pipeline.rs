//! The mask decode pipeline: `shaders/mask_decode.wgsl` specialised on the model's output kind,
//! writing the guide at model resolution (the frame's colour over each model pixel, and the
//! decoded mask).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::ShaderChoice;
use crate::effects::chain::GUIDE_FORMAT;
use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage};
use crate::inference::OutputKind;

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "mask_decode.wgsl";

#[derive(Resource)]
pub(crate) struct MaskDecodePipeline {
    chain: ChainLayout,
    shader: Handle<Shader>,
}

pub(crate) fn init(mut commands: Commands, chain: Res<ChainLayout>, server: Res<AssetServer>) {
    commands.insert_resource(MaskDecodePipeline {
        chain: chain.clone(),
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

impl SpecializedRenderPipeline for MaskDecodePipeline {
    type Key = OutputKind;

    fn specialize(&self, kind: OutputKind) -> RenderPipelineDescriptor {
        self.chain.pipeline(
            "backdrop_mask_decode",
            self.shader.clone(),
            vec![kind.shader_def().into()],
            &[GUIDE_FORMAT],
        )
    }
}

impl ChainStage for MaskDecodePipeline {
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = OutputKind> {
        std::iter::once(passes.modes.output_kind)
    }
}
