//! The temporal pipeline: `shaders/temporal.wgsl`, writing the next history (this update's colour
//! and the smoothed mask) at model resolution.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::chain::GUIDE_FORMAT;
use crate::effects::chain::{ChainPasses, ChainStage, StageShader};

#[derive(Resource)]
pub(crate) struct TemporalPipeline(StageShader);

impl SpecializedRenderPipeline for TemporalPipeline {
    type Key = ();

    fn specialize(&self, (): ()) -> RenderPipelineDescriptor {
        self.0
            .pipeline("backdrop_temporal", vec![], &[GUIDE_FORMAT])
    }
}

impl ChainStage for TemporalPipeline {
    const SHADER: &'static str = "temporal.wgsl";

    fn new(shader: StageShader) -> Self {
        Self(shader)
    }

    fn keys(_: TextureFormat, _: &ChainPasses) -> impl Iterator<Item = ()> {
        std::iter::once(())
    }
}
