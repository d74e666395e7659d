//! The blur pipelines: `shaders/blur.wgsl` as its six passes — the first level from the frame
//! (level 2 for most blurs, level 1 for the narrowest; specialised on how the refined mask is
//! read), a further level, the horizontal and vertical Gaussian at the coarsest level
//! (specialised on the taps per side, a constant loop bound), and the coarsest level read back
//! up to the first — writing the pyramid's `Rgba16Float` levels.

use bevy::prelude::*;
use bevy::render::render_resource::{
    RenderPipelineDescriptor, SpecializedRenderPipeline, TextureFormat,
};
use bevy::shader::ShaderDefVal;

use crate::effects::chain::{BLUR_FORMAT, ChainPasses, ChainStage, StageShader};
use crate::effects::{RefineMethod, ShaderChoice};

/// Which of the blur's passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BlurPass {
    /// Level 1 from the frame, weighted by the refined mask (the narrowest blurs).
    DownFromFrame,
    /// Level 2 from the frame, weighted by the refined mask.
    QuarterFromFrame,
    /// A level from the one above it.
    Down,
    /// The Gaussian at the coarsest level, with this many taps each side.
    Horizontal(u32),
    Vertical(u32),
    /// The coarsest level read back at the first level's size.
    Up,
}

#[derive(Resource)]
pub(crate) struct BlurPipeline(StageShader);

impl SpecializedRenderPipeline for BlurPipeline {
    /// The pass, and how the view refines (every pass imports the mask reader; only the first
    /// calls it).
    type Key = (BlurPass, RefineMethod);

    fn specialize(&self, (pass, refine): Self::Key) -> RenderPipelineDescriptor {
        let mut defs: Vec<ShaderDefVal> = vec![refine.shader_def().into()];
        match pass {
            BlurPass::DownFromFrame => defs.push("BLUR_DOWN_FROM_FRAME".into()),
            BlurPass::QuarterFromFrame => defs.push("BLUR_QUARTER_FROM_FRAME".into()),
            BlurPass::Down => defs.push("BLUR_DOWN".into()),
            BlurPass::Up => defs.push("BLUR_UP".into()),
            BlurPass::Horizontal(taps) | BlurPass::Vertical(taps) => {
                defs.push("BLUR_GAUSSIAN".into());
                defs.push(ShaderDefVal::UInt("BLUR_TAPS".into(), taps));
                if matches!(pass, BlurPass::Vertical(_)) {
                    defs.push("BLUR_VERTICAL".into());
                }
            }
        }
        self.0.pipeline("backdrop_blur", defs, &[BLUR_FORMAT])
    }
}

impl ChainStage for BlurPipeline {
    const SHADER: &'static str = "blur.wgsl";

    fn new(shader: StageShader) -> Self {
        Self(shader)
    }

    /// From the frame, down, horizontal, vertical, up: the order the pass uses them in (none
    /// without a blur).
    fn keys(_: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = Self::Key> {
        let refine = passes.modes.refine;
        let taps = passes.modes.blur_taps;
        let from_frame = match passes.blur_plan.map(|plan| plan.read_level()) {
            Some(1) => BlurPass::DownFromFrame,
            _ => BlurPass::QuarterFromFrame,
        };
        let used = passes.blur_plan.is_some();
        [
            from_frame,
            BlurPass::Down,
            BlurPass::Horizontal(taps),
            BlurPass::Vertical(taps),
            BlurPass::Up,
        ]
        .into_iter()
        .filter(move |_| used)
        .map(move |pass| (pass, refine))
    }
}
