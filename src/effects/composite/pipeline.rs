//! The composite pipeline: `shaders/composite.wgsl` specialised on what the chain shows, what is
//! behind the person and the light wrap's blend, writing the view's picture.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use super::{BackgroundKind, WrapMode};
use crate::effects::chain::{ChainPasses, ChainStage, StageShader};
use crate::effects::{ChainView, RefineMethod, ShaderChoice};

#[derive(Resource)]
pub(crate) struct CompositePipeline(StageShader);

impl SpecializedRenderPipeline for CompositePipeline {
    type Key = (
        TextureFormat,
        ChainView,
        BackgroundKind,
        WrapMode,
        RefineMethod,
    );

    fn specialize(
        &self,
        (format, view, background, wrap, refine): Self::Key,
    ) -> RenderPipelineDescriptor {
        let mut defs = vec![
            view.shader_def().into(),
            background.shader_def().into(),
            wrap.shader_def().into(),
            refine.shader_def().into(),
        ];
        if format.is_srgb() {
            // The stages' values are sRGB-encoded; an sRGB target encodes what it is given.
            defs.push("OUTPUT_SRGB".into());
        }
        self.0.pipeline("backdrop_composite", defs, &[format])
    }
}

impl ChainStage for CompositePipeline {
    const SHADER: &'static str = "composite.wgsl";

    fn new(shader: StageShader) -> Self {
        Self(shader)
    }

    fn keys(target_format: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = Self::Key> {
        let modes = passes.modes;
        // The view's picture, then the frame passed through as it is (while there is no mask).
        [
            (
                target_format,
                modes.view,
                modes.background,
                modes.wrap_mode,
                modes.refine,
            ),
            (
                target_format,
                ChainView::Final,
                BackgroundKind::None,
                WrapMode::Screen,
                RefineMethod::Guided,
            ),
        ]
        .into_iter()
    }
}
