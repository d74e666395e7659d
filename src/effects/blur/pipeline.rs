//! The blur pipelines: `shaders/blur.wgsl` as three passes — horizontal from the frame (first
//! iteration), horizontal, vertical — each specialised on the taps per side (`BLUR_TAPS`, a
//! constant loop bound), writing the half-resolution blur textures.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};

use crate::effects::chain::{ChainLayout, ChainPasses, ChainStage};
use bevy::shader::ShaderDefVal;

use crate::effects::chain::BLUR_FORMAT;

/// The stage's shader, in `shaders/`.
pub(crate) const SHADER: &str = "blur.wgsl";

/// Which of the blur's passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BlurPass {
    /// Horizontal, reading the full-resolution frame.
    FromFrame,
    Horizontal,
    Vertical,
}

#[derive(Resource)]
pub(crate) struct BlurPipeline {
    chain: ChainLayout,
    shader: Handle<Shader>,
}

pub(crate) fn init(mut commands: Commands, chain: Res<ChainLayout>, server: Res<AssetServer>) {
    commands.insert_resource(BlurPipeline {
        chain: chain.clone(),
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

impl SpecializedRenderPipeline for BlurPipeline {
    /// The pass, and the taps each side.
    type Key = (BlurPass, u32);

    fn specialize(&self, (pass, taps): (BlurPass, u32)) -> RenderPipelineDescriptor {
        let mut defs = vec![ShaderDefVal::Int("BLUR_TAPS".into(), taps as i32)];
        match pass {
            BlurPass::FromFrame => defs.push("FROM_FRAME".into()),
            BlurPass::Horizontal => {}
            BlurPass::Vertical => defs.push("VERTICAL".into()),
        }
        self.chain
            .pipeline("backdrop_blur", self.shader.clone(), defs, &[BLUR_FORMAT])
    }
}

impl ChainStage for BlurPipeline {
    /// From the frame, horizontal, vertical: the order the pass uses them in.
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = (BlurPass, u32)> {
        let taps = passes.modes.blur_taps;
        [
            BlurPass::FromFrame,
            BlurPass::Horizontal,
            BlurPass::Vertical,
        ]
        .into_iter()
        .map(move |pass| (pass, taps))
    }
}
