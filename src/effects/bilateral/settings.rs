//! Settings of the bilateral stage: documented fields, the named values presets
//! start from, and each field's allowed range (read by presets, the command line and the editor).

use serde::{Deserialize, Serialize};

use crate::limits::{Limit, limited_field};

/// Settings of the joint bilateral upsample (a preset's `bilateral: (…)`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JointBilateralSettings {
    /// Spatial extent in model pixels (scaled to output pixels by the upsampling factor).
    /// 0 turns the filter into a plain bilinear upsample.
    #[serde(deserialize_with = "sigma_space")]
    pub sigma_space: f32,
    /// Colour-distance scale, on gamma-encoded RGB in [0,1]. 0 ignores colour (a plain blur).
    #[serde(deserialize_with = "sigma_color")]
    pub sigma_color: f32,
}

impl JointBilateralSettings {
    pub const SIGMA_SPACE: Limit<f32> = Limit::closed("sigma_space", 0.0, 10.0);
    pub const SIGMA_COLOR: Limit<f32> = Limit::closed("sigma_color", 0.0, 1.0);

    /// The reference demo's values.
    pub const REFERENCE: Self = Self {
        sigma_space: 1.0,
        sigma_color: 0.1,
    };
}

impl JointBilateralSettings {
    /// Every field within its range, or the message a preset would show.
    pub fn validate(&self) -> Result<(), String> {
        Self::SIGMA_SPACE.check(self.sigma_space)?;
        Self::SIGMA_COLOR.check(self.sigma_color)?;
        Ok(())
    }
}

limited_field!(sigma_space, f32, JointBilateralSettings::SIGMA_SPACE);
limited_field!(sigma_color, f32, JointBilateralSettings::SIGMA_COLOR);

impl Default for JointBilateralSettings {
    fn default() -> Self {
        Self::REFERENCE
    }
}
