//! Motion-aware temporal smoothing of the refined mask (`shaders/temporal.wgsl`). The history is
//! an `R16Float` texture owned by the view (8 bits would make an exponential average stick),
//! updated once per new mask, reset when the frame size changes. Not in the reference demo
//! (`smoothing: 0` reproduces it).

mod reference;
mod settings;

pub use reference::*;
pub use settings::*;
