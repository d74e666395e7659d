//! Allowed ranges of settings. Each range is defined once, beside its setting (in the stage's
//! settings, or the inference settings), and read by everything that takes a value from a user:
//! the preset parser (inside the deserializer, so RON reports the line and column), the command
//! line's value parsers, the editor's sliders and [`crate::effects::BackdropSettings::validate`]
//! — so all of them accept the same values and reject the rest with the same message.

use std::fmt::Display;
use std::str::FromStr;

/// An allowed range for a number. Out-of-range values are rejected, never clamped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit<T> {
    /// The setting's name as a preset spells it, used in messages.
    pub field: &'static str,
    pub min: T,
    pub max: T,
    /// `max` itself is not allowed (temporal smoothing of 1 would freeze the mask).
    pub max_excluded: bool,
}

impl<T: Copy + PartialOrd + Display> Limit<T> {
    /// `[min, max]`.
    pub const fn closed(field: &'static str, min: T, max: T) -> Self {
        Self {
            field,
            min,
            max,
            max_excluded: false,
        }
    }

    /// `[min, max)`.
    pub const fn half_open(field: &'static str, min: T, max: T) -> Self {
        Self {
            field,
            min,
            max,
            max_excluded: true,
        }
    }

    /// False for NaN too.
    pub fn contains(&self, value: T) -> bool {
        value >= self.min && (value < self.max || (!self.max_excluded && value == self.max))
    }

    /// `value`, or the message every input path shows for it:
    /// `blur_radius = 5000 is out of range: it must be in [0, 200]`.
    pub fn check(&self, value: T) -> Result<T, String> {
        self.check_as(self.field, value)
    }

    /// [`Self::check`] naming a part of the setting (`coverage low`).
    pub fn check_as(&self, field: &str, value: T) -> Result<T, String> {
        if self.contains(value) {
            Ok(value)
        } else {
            let close = if self.max_excluded { ')' } else { ']' };
            Err(format!(
                "{field} = {value} is out of range: it must be in [{}, {}{close}",
                self.min, self.max
            ))
        }
    }

    /// Parses command-line text and checks it: for clap's `value_parser`.
    pub fn parse(&self, text: &str) -> Result<T, String>
    where
        T: FromStr,
    {
        let value = text
            .trim()
            .parse::<T>()
            .map_err(|_| format!("{} = {text:?} is not a number", self.field))?;
        self.check(value)
    }
}

impl Limit<f32> {
    /// The largest allowed value an editor can offer.
    pub fn editor_max(&self) -> f32 {
        if self.max_excluded {
            self.max - 0.01
        } else {
            self.max
        }
    }
}

/// A serde `deserialize_with` function checking a field against its limit:
/// `limited_field!(fn_name, f32, SOME_LIMIT)`.
macro_rules! limited_field {
    ($name:ident, $ty:ty, $limit:expr) => {
        fn $name<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
            use serde::Deserialize as _;
            use serde::de::Error as _;
            let value = <$ty>::deserialize(deserializer)?;
            $limit.check(value).map_err(D::Error::custom)
        }
    };
}
pub(crate) use limited_field;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_messages() {
        let radius = Limit::closed("blur_radius", 0.0f32, 200.0);
        assert!(radius.contains(0.0) && radius.contains(200.0));
        assert!(!radius.contains(200.5) && !radius.contains(-0.1) && !radius.contains(f32::NAN));
        assert_eq!(
            radius.parse("5000").unwrap_err(),
            "blur_radius = 5000 is out of range: it must be in [0, 200]"
        );
        assert_eq!(radius.parse(" 12.5 "), Ok(12.5));
        assert!(radius.parse("wide").unwrap_err().contains("not a number"));
        let smoothing = Limit::half_open("smoothing", 0.0f32, 1.0);
        assert!(!smoothing.contains(1.0) && smoothing.contains(0.99));
        assert!(smoothing.check(1.0).unwrap_err().ends_with("[0, 1)"));
        let threads = Limit::closed("threads", 1u32, 64);
        assert_eq!(
            threads.parse("0").unwrap_err(),
            "threads = 0 is out of range: it must be in [1, 64]"
        );
    }
}
