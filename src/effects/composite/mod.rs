//! Composite (`shaders/composite.wgsl`): coverage smoothstep of the refined mask, light wrap,
//! then the frame over a background — the frame itself, the blurred frame, a solid colour, or an
//! image / video frame cover-cropped to the frame (aspect kept, centred).

mod reference;
mod settings;

pub use reference::*;
pub use settings::*;
