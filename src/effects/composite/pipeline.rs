//! The composite pipeline: `shaders/composite.wgsl` specialised on what the chain shows, what is
//! behind the person and the light wrap's blend, writing the view's picture.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use super::{BackgroundKind, WrapMode};
use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage};
use crate::effects::{ChainView, RefineMethod, ShaderChoice};

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "composite.wgsl";

#[derive(Resource)]
pub(crate) struct CompositePipeline {
    chain: ChainLayout,
    shader: Handle<Shader>,
}

pub(crate) fn init(mut commands: Commands, chain: Res<ChainLayout>, server: Res<AssetServer>) {
    commands.insert_resource(CompositePipeline {
        chain: chain.clone(),
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

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
        self.chain.pipeline(
            "backdrop_composite",
            self.shader.clone(),
            vec![
                view.shader_def().into(),
                background.shader_def().into(),
                wrap.shader_def().into(),
                refine.shader_def().into(),
            ],
            &[format],
        )
    }
}

impl ChainStage for CompositePipeline {
    fn keys(target_format: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = Self::Key> {
        let modes = passes.modes;
        std::iter::once((
            target_format,
            modes.view,
            modes.background,
            modes.wrap_mode,
            modes.refine,
        ))
    }
}
