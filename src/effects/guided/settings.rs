//! Settings of the guided-filter refine: documented fields, the named values presets start from,
//! and each field's allowed range (read by presets, the command line and the editor).

use serde::{Deserialize, Serialize};

use crate::limits::{Limit, limited_field};

/// Settings of the fast guided filter (a preset's `guided: (…)`): a local linear model
/// `mask ≈ a·colour + b` fitted over (2·radius+1)² model pixels, so the upsampled mask follows
/// the frame's edges where the colours separate person and background.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuidedSettings {
    /// Half-width of the box windows, in model pixels (0 fits each model pixel alone).
    #[serde(deserialize_with = "radius")]
    pub radius: u32,
    /// Regularisation, a colour variance (on gamma-encoded RGB in [0,1]): edges whose colour
    /// contrast is well below √epsilon are smoothed over rather than followed.
    #[serde(deserialize_with = "epsilon")]
    pub epsilon: f32,
}

impl GuidedSettings {
    /// The shader's loops are unrolled per radius (a pipeline specialisation), so the range is
    /// short.
    pub const RADIUS: Limit<u32> = Limit::closed("radius", 0, 8);
    /// Above 0: the 3×3 solve needs the regularisation to stay invertible on flat colour.
    pub const EPSILON: Limit<f32> = Limit::closed("epsilon", 1e-4, 1.0);

    /// Tuned against the joint bilateral on the sample photos (the edge-band test in
    /// `tests/integration/refine.rs`): a 3×3 model-pixel window matches its reach; a larger
    /// window or a smaller ε drifts away from it (r 2: mean |Δ| in the edge band 0.02–0.07).
    pub const DEFAULT: Self = Self {
        radius: 1,
        epsilon: 0.05,
    };

    /// Every field within its range, or the message a preset would show.
    pub fn validate(&self) -> Result<(), String> {
        Self::RADIUS.check(self.radius)?;
        Self::EPSILON.check(self.epsilon)?;
        Ok(())
    }
}

limited_field!(radius, u32, GuidedSettings::RADIUS);
limited_field!(epsilon, f32, GuidedSettings::EPSILON);

impl Default for GuidedSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}
