//! The joint bilateral pipeline: `shaders/bilateral.wgsl`, writing the refined mask at frame
//! resolution. It makes no choice between code paths (its settings are uniform values).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::RefineMethod;
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
    /// One pipeline, when the view refines with the joint bilateral.
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = ()> {
        (passes.modes.refine == RefineMethod::Bilateral)
            .then_some(())
            .into_iter()
    }
}
