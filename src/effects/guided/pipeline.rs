//! The guided filter's pipeline: `shaders/guided.wgsl`, the fit at model resolution, specialised
//! on the window radius (a constant loop bound).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};
use bevy::shader::ShaderDefVal;

use crate::effects::RefineMethod;
use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage, GUIDE_FORMAT};

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "guided.wgsl";

#[derive(Resource)]
pub(crate) struct GuidedPipeline {
    chain: ChainLayout,
    shader: Handle<Shader>,
}

pub(crate) fn init(mut commands: Commands, chain: Res<ChainLayout>, server: Res<AssetServer>) {
    commands.insert_resource(GuidedPipeline {
        chain: chain.clone(),
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

impl SpecializedRenderPipeline for GuidedPipeline {
    /// The window radius.
    type Key = u32;

    fn specialize(&self, radius: u32) -> RenderPipelineDescriptor {
        let defs = vec![ShaderDefVal::UInt("GUIDED_RADIUS".into(), radius)];
        self.chain.pipeline(
            "backdrop_guided",
            self.shader.clone(),
            defs,
            &[GUIDE_FORMAT],
        )
    }
}

impl ChainStage for GuidedPipeline {
    /// The fit (none when the view refines with another method).
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = u32> {
        (passes.modes.refine == RefineMethod::Guided)
            .then_some(passes.modes.guided_radius)
            .into_iter()
    }
}
