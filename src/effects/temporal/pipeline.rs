//! The temporal pipeline: `shaders/temporal.wgsl`, writing the smoothed mask and a copy of the
//! frame (the next update's motion reference) in one pass.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::chain::MASK_FORMAT;
use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage};

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "temporal.wgsl";

#[derive(Resource)]
pub(crate) struct TemporalPipeline {
    chain: ChainLayout,
    shader: Handle<Shader>,
}

pub(crate) fn init(mut commands: Commands, chain: Res<ChainLayout>, server: Res<AssetServer>) {
    commands.insert_resource(TemporalPipeline {
        chain: chain.clone(),
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

impl SpecializedRenderPipeline for TemporalPipeline {
    /// The view's target format (the frame copy has it).
    type Key = TextureFormat;

    fn specialize(&self, frame_format: TextureFormat) -> RenderPipelineDescriptor {
        self.chain.pipeline(
            "backdrop_temporal",
            self.shader.clone(),
            vec![],
            &[MASK_FORMAT, frame_format],
        )
    }
}

impl ChainStage for TemporalPipeline {
    fn keys(target_format: TextureFormat, _: &ChainPasses) -> impl Iterator<Item = TextureFormat> {
        std::iter::once(target_format)
    }
}
