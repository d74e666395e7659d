//! Joint bilateral upsample of the decoded mask to frame resolution, guided by the frame
//! (`shaders/bilateral.wgsl`). Tap pattern and defaults of the reference demo; distances in output
//! pixels (σ = s), so the kernel is round on non-square frames (the demo's UV-space distance made
//! it slightly anisotropic).

mod reference;
mod settings;

pub use reference::*;
pub use settings::*;
