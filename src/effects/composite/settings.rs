//! Settings of the composite stage: documented fields, the named values presets
//! start from, and each field's allowed range (read by presets, the command line and the editor).

use std::path::PathBuf;

use bevy::color::Srgba;
use serde::{Deserialize, Serialize};

use crate::limits::{Limit, limited_field};

/// What replaces the background.
#[derive(Clone, Debug, PartialEq)]
pub enum Background {
    /// Nothing: the frame as it is.
    None,
    /// The frame, blurred with the mask-weighted blur.
    Blur,
    /// A solid colour (sRGB).
    Color(Srgba),
    /// A picture file, cover-cropped.
    Image(PathBuf),
    /// A video file, looped, cover-cropped.
    Video(PathBuf),
}

impl std::str::FromStr for Background {
    type Err = String;

    /// `none`, `blur`, `color:RRGGBB`, `image:PATH`, `video:PATH`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(path) = text.strip_prefix("image:") {
            return Ok(Self::Image(path.into()));
        }
        if let Some(path) = text.strip_prefix("video:") {
            return Ok(Self::Video(path.into()));
        }
        match text {
            "none" => Ok(Self::None),
            "blur" => Ok(Self::Blur),
            _ => {
                let hex = text
                    .strip_prefix("color:")
                    .or_else(|| text.strip_prefix("colour:"))
                    .ok_or_else(|| {
                        format!("background must be none, blur, color:RRGGBB, image:PATH or video:PATH, got {text:?}")
                    })?;
                Srgba::hex(hex)
                    .map(Self::Color)
                    .map_err(|e| format!("bad colour {hex:?}: {e}"))
            }
        }
    }
}

/// How the background's light is added to the person's edge. Presets write `Screen` /
/// `LinearDodge`; the command line and the editor the same words, `screen` / `linear-dodge`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
pub enum WrapMode {
    /// `1 − (1 − f)(1 − lw)`: brightens without clipping.
    #[default]
    Screen,
    /// `f + lw`: stronger, can clip.
    #[value(alias = "dodge")]
    LinearDodge,
}

impl crate::effects::ShaderChoice for WrapMode {
    const ALL: &'static [Self] = &[Self::Screen, Self::LinearDodge];
    const SHADER: &'static str = "composite.wgsl";
    const SOURCE: &'static str = include_str!("../../../shaders/composite.wgsl");
    const PREFIX: &'static str = "WRAP_";

    fn shader_def(self) -> &'static str {
        match self {
            Self::Screen => "WRAP_SCREEN",
            Self::LinearDodge => "WRAP_LINEAR_DODGE",
        }
    }
}

impl WrapMode {
    /// The command line's and the editor's name: `screen`, `linear-dodge`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Screen => "screen",
            Self::LinearDodge => "linear-dodge",
        }
    }
}

/// What the composite draws behind the person, as its shader sees it (a [`Background`] whose
/// picture is not there yet is drawn as `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackgroundKind {
    None,
    Blur,
    Color,
    Picture,
}

impl crate::effects::ShaderChoice for BackgroundKind {
    const ALL: &'static [Self] = &[Self::None, Self::Blur, Self::Color, Self::Picture];
    const SHADER: &'static str = "composite.wgsl";
    const SOURCE: &'static str = include_str!("../../../shaders/composite.wgsl");
    const PREFIX: &'static str = "BACKGROUND_";

    fn shader_def(self) -> &'static str {
        match self {
            Self::None => "BACKGROUND_NONE",
            Self::Blur => "BACKGROUND_BLUR",
            Self::Color => "BACKGROUND_COLOR",
            Self::Picture => "BACKGROUND_PICTURE",
        }
    }
}

/// Light wrap: the background's light spills onto the person's edge, so a replaced background
/// looks lit like the scene. `lw = strength · (1 − max(0, m − high)/(1 − high)) · background`.
/// A preset's `light_wrap: (…)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LightWrapSettings {
    /// 0 turns it off.
    #[serde(deserialize_with = "strength")]
    pub strength: f32,
    pub mode: WrapMode,
}

impl LightWrapSettings {
    pub const STRENGTH: Limit<f32> = Limit::closed("strength", 0.0, 1.0);
}

limited_field!(strength, f32, LightWrapSettings::STRENGTH);

impl Default for LightWrapSettings {
    fn default() -> Self {
        Self {
            strength: 0.3,
            mode: WrapMode::Screen,
        }
    }
}

/// Settings of the composite.
#[derive(Clone, Debug, PartialEq)]
pub struct CompositeSettings {
    /// Smoothstep edges on the refined mask: below `.0` background, above `.1` person.
    /// Valid: 0 ≤ low < high < 1.
    pub coverage: (f32, f32),
    pub background: Background,
    /// Applies to every replaced background (blur, colour, image, video).
    pub light_wrap: LightWrapSettings,
}

impl CompositeSettings {
    /// The reference demo's coverage.
    pub const REFERENCE_COVERAGE: (f32, f32) = (0.5, 0.75);
    /// Each edge of `coverage`; low must also be below high ([`Self::check_coverage`]).
    pub const COVERAGE: Limit<f32> = Limit::half_open("coverage", 0.0, 1.0);

    /// Both edges in range and low below high, or the message a preset would show.
    pub fn check_coverage((low, high): (f32, f32)) -> Result<(f32, f32), String> {
        Self::COVERAGE.check_as("coverage low", low)?;
        Self::COVERAGE.check_as("coverage high", high)?;
        if low >= high {
            return Err(format!(
                "coverage = ({low}, {high}): low must be below high"
            ));
        }
        Ok((low, high))
    }

    /// Every field within its range, or the message a preset would show.
    pub fn validate(&self) -> Result<(), String> {
        Self::check_coverage(self.coverage)?;
        LightWrapSettings::STRENGTH.check(self.light_wrap.strength)?;
        Ok(())
    }
}

impl Default for CompositeSettings {
    fn default() -> Self {
        Self {
            coverage: Self::REFERENCE_COVERAGE,
            background: Background::Blur,
            light_wrap: LightWrapSettings::default(),
        }
    }
}
