//! Mask decode: the model's raw output → person probability, at model resolution
//! (`shaders/mask_decode.wgsl`). Which decoding applies comes from the model table.

mod reference;

pub use reference::*;

use crate::inference::OutputKind;

impl crate::effects::ShaderChoice for OutputKind {
    const ALL: &'static [Self] = &[Self::Probability, Self::Logits, Self::TwoClassLogits];
    const SHADER: &'static str = "mask_decode.wgsl";
    const PREFIX: &'static str = "OUTPUT_";

    fn shader_def(self) -> &'static str {
        match self {
            Self::Probability => "OUTPUT_PROBABILITY",
            Self::Logits => "OUTPUT_LOGITS",
            Self::TwoClassLogits => "OUTPUT_TWO_CLASS_LOGITS",
        }
    }
}
