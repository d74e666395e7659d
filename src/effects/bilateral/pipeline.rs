//! The joint bilateral pipeline: `shaders/bilateral.wgsl`, writing the refined mask at frame
//! resolution. It makes no choice between code paths (its settings are uniform values).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::chain::MASK_FORMAT;
use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage};

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "bilateral.wgsl";

#[derive(Resource)]
pub(crate) struct BilateralPipeline {
    chain: ChainLayout,
    shader: Handle<Shader>,
}

pub(crate) fn init(mut commands: Commands, chain: Res<ChainLayout>, server: Res<AssetServer>) {
    commands.insert_resource(BilateralPipeline {
        chain: chain.clone(),
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

impl SpecializedRenderPipeline for BilateralPipeline {
    type Key = ();

    fn specialize(&self, (): ()) -> RenderPipelineDescriptor {
        self.chain.pipeline(
            "backdrop_bilateral",
            self.shader.clone(),
            vec![],
            &[MASK_FORMAT],
        )
    }
}

impl ChainStage for BilateralPipeline {
    fn keys(_: TextureFormat, _: &ChainPasses) -> impl Iterator<Item = ()> {
        std::iter::once(())
    }
}
