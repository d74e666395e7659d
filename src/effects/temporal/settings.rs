//! Settings of the temporal stage: documented fields, the named values presets
//! start from, and each field's allowed range (read by presets, the command line and the editor).

use serde::{Deserialize, Serialize};

use crate::limits::{Limit, limited_field};

/// Settings of the temporal smoothing (a preset's `temporal: (…)`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemporalSettings {
    /// Weight of the history where the frame is still, in [0, 1): 0 is off (the reference demo),
    /// 0.85 the usual exponential average of video-call apps.
    #[serde(deserialize_with = "smoothing")]
    pub smoothing: f32,
    /// How quickly colour change hands over to the new mask: motion · sensitivity ≥ 1 (a change of
    /// 1/sensitivity in any channel) takes the new mask as it is.
    #[serde(deserialize_with = "motion_sensitivity")]
    pub motion_sensitivity: f32,
}

impl TemporalSettings {
    /// 1 would freeze the mask.
    pub const SMOOTHING: Limit<f32> = Limit::half_open("smoothing", 0.0, 1.0);
    pub const MOTION_SENSITIVITY: Limit<f32> = Limit::closed("motion_sensitivity", 0.0, 100.0);

    pub const OFF: Self = Self {
        smoothing: 0.0,
        motion_sensitivity: 10.0,
    };
}

impl TemporalSettings {
    /// Every field within its range, or the message a preset would show.
    pub fn validate(&self) -> Result<(), String> {
        Self::SMOOTHING.check(self.smoothing)?;
        Self::MOTION_SENSITIVITY.check(self.motion_sensitivity)?;
        Ok(())
    }
}

limited_field!(smoothing, f32, TemporalSettings::SMOOTHING);
limited_field!(
    motion_sensitivity,
    f32,
    TemporalSettings::MOTION_SENSITIVITY
);

impl Default for TemporalSettings {
    fn default() -> Self {
        Self {
            smoothing: 0.85,
            motion_sensitivity: 10.0,
        }
    }
}
