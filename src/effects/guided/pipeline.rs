//! The guided filter's pipeline: `shaders/guided.wgsl`, the fit at model resolution, specialised
//! on the window radius (a constant loop bound).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};
use bevy::shader::ShaderDefVal;

use crate::effects::RefineMethod;
use crate::effects::chain::{ChainPasses, ChainStage, GUIDE_FORMAT, StageShader};

#[derive(Resource)]
pub(crate) struct GuidedPipeline(StageShader);

impl SpecializedRenderPipeline for GuidedPipeline {
    /// The window radius.
    type Key = u32;

    fn specialize(&self, radius: u32) -> RenderPipelineDescriptor {
        let defs = vec![ShaderDefVal::UInt("GUIDED_RADIUS".into(), radius)];
        self.0.pipeline("backdrop_guided", defs, &[GUIDE_FORMAT])
    }
}

impl ChainStage for GuidedPipeline {
    const SHADER: &'static str = "guided.wgsl";

    fn new(shader: StageShader) -> Self {
        Self(shader)
    }

    /// The fit (none when the view refines with another method).
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = u32> {
        (passes.modes.refine == RefineMethod::Guided)
            .then_some(passes.modes.guided_radius)
            .into_iter()
    }
}
