//! Settings of the blur stage: documented fields, the named values presets
//! start from, and each field's allowed range (read by presets, the command line and the editor).

use crate::limits::Limit;

/// Settings of the background blur.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlurSettings {
    /// Blur radius in full-resolution pixels: the Gaussian's 3σ extent. Below 1 px: no blur.
    pub radius: f32,
}

impl BlurSettings {
    /// A preset's `blur_radius`.
    pub const RADIUS: Limit<f32> = Limit::closed("blur_radius", 0.0, 200.0);

    /// The reference demo's blur (σ ≈ 6 px).
    pub const REFERENCE: Self = Self { radius: 18.0 };
}

impl BlurSettings {
    /// Every field within its range, or the message a preset would show.
    pub fn validate(&self) -> Result<(), String> {
        Self::RADIUS.check(self.radius).map(|_| ())
    }
}

impl Default for BlurSettings {
    fn default() -> Self {
        Self::REFERENCE
    }
}
