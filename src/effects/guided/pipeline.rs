//! The guided filter's pipelines: `shaders/guided.wgsl` as the fit (model resolution, specialised
//! on the window radius, a constant loop bound) and the apply (frame resolution).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};
use bevy::shader::ShaderDefVal;

use crate::effects::RefineMethod;
use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage, GUIDE_FORMAT, MASK_FORMAT};

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "guided.wgsl";

/// Which of the guided filter's passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum GuidedPass {
    /// The coefficients over every (2r+1)² window, at model resolution (r in the key).
    Fit(u32),
    /// The coefficients applied per frame pixel.
    Apply,
}

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
    type Key = GuidedPass;

    fn specialize(&self, pass: GuidedPass) -> RenderPipelineDescriptor {
        let (defs, format): (Vec<ShaderDefVal>, _) = match pass {
            GuidedPass::Fit(radius) => (
                vec![
                    "GUIDED_FIT".into(),
                    ShaderDefVal::UInt("GUIDED_RADIUS".into(), radius),
                ],
                GUIDE_FORMAT,
            ),
            GuidedPass::Apply => (vec!["GUIDED_APPLY".into()], MASK_FORMAT),
        };
        self.chain
            .pipeline("backdrop_guided", self.shader.clone(), defs, &[format])
    }
}

impl ChainStage for GuidedPipeline {
    /// Fit, apply (none when the view refines with another method).
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = GuidedPass> {
        let used = passes.modes.refine == RefineMethod::Guided;
        [
            GuidedPass::Fit(passes.modes.guided_radius),
            GuidedPass::Apply,
        ]
        .into_iter()
        .filter(move |_| used)
    }
}
