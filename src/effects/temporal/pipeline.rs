//! The temporal pipeline: `shaders/temporal.wgsl`, writing the next history (this update's colour
//! and the smoothed mask) at model resolution.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::chain::GUIDE_FORMAT;
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
    type Key = ();

    fn specialize(&self, (): ()) -> RenderPipelineDescriptor {
        self.chain.pipeline(
            "backdrop_temporal",
            self.shader.clone(),
            vec![],
            &[GUIDE_FORMAT],
        )
    }
}

impl ChainStage for TemporalPipeline {
    fn keys(_: TextureFormat, _: &ChainPasses) -> impl Iterator<Item = ()> {
        std::iter::once(())
    }
}
