//! The joint bilateral pipeline: `shaders/bilateral.wgsl`, writing the refined mask at frame
//! resolution. It makes no choice between code paths (its settings are uniform values).

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::RefineMethod;
use crate::effects::chain::MASK_FORMAT;
use crate::effects::chain::{ChainPasses, ChainStage, StageShader};

#[derive(Resource)]
pub(crate) struct BilateralPipeline(StageShader);

impl SpecializedRenderPipeline for BilateralPipeline {
    type Key = ();

    fn specialize(&self, (): ()) -> RenderPipelineDescriptor {
        self.0
            .pipeline("backdrop_bilateral", vec![], &[MASK_FORMAT])
    }
}

impl ChainStage for BilateralPipeline {
    const SHADER: &'static str = "bilateral.wgsl";

    fn new(shader: StageShader) -> Self {
        Self(shader)
    }

    /// One pipeline, when the view refines with the joint bilateral.
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = ()> {
        (passes.modes.refine == RefineMethod::Bilateral)
            .then_some(())
            .into_iter()
    }
}
