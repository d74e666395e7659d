//! The `*.preset.ron` format: the stages' own settings types (each with its defaults and allowed
//! ranges, defined once in the stage's `settings.rs`) plus the model and backend. Out-of-range
//! values are rejected (never clamped), inside the deserializer, so RON reports the line and
//! column of the bad value like any syntax error.

use std::path::{Path, PathBuf};

use bevy::asset::Asset;
use bevy::color::{Alpha, Srgba};
use bevy::reflect::TypePath;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::effects::{
    BackdropSettings, Background, BlurSettings, CompositeSettings, GuidedSettings,
    JointBilateralSettings, LightWrapSettings, RefineMethod, TemporalSettings,
};
use crate::inference::{BackendChoice, InferenceSettings};
use crate::limits::limited_field;

/// The first line of a preset the editor wrote (not a user's comment: saving over it is safe).
pub const SAVED_HEADER: &str =
    "// Saved by the backdrop preset editor. Fields, ranges and defaults: README, \"Presets\".\n";

/// The compound extension presets are recognised by.
pub const EXTENSION: &str = "preset.ron";

limited_field!(blur_radius, f32, BlurSettings::RADIUS);
limited_field!(threads, u32, InferenceSettings::THREADS);

fn model<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = String::deserialize(deserializer)?;
    if id.trim().is_empty() {
        return Err(D::Error::custom(
            "model must name a model (general, landscape, …)",
        ));
    }
    Ok(id)
}

fn coverage<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(f32, f32), D::Error> {
    let value = <(f32, f32)>::deserialize(deserializer)?;
    CompositeSettings::check_coverage(value).map_err(D::Error::custom)
}

/// A colour written as `"#RRGGBB"` (sRGB).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HexColor(pub Srgba);

impl Serialize for HexColor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_hex()[..7])
    }
}

impl<'de> Deserialize<'de> for HexColor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Srgba::hex(&text)
            .map(|c| Self(c.with_alpha(1.0)))
            .map_err(|e| {
                D::Error::custom(format!("{text:?} is not a colour like \"#3366cc\": {e}"))
            })
    }
}

/// What replaces the background. Paths are relative to the preset's own folder (or absolute).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PresetBackground {
    None,
    Blur,
    Color(HexColor),
    Image(PathBuf),
    Video(PathBuf),
}

impl PresetBackground {
    /// The chain's background, with a relative path resolved against `dir`.
    pub fn resolve(&self, dir: Option<&Path>) -> Background {
        let path = |p: &PathBuf| match dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.clone(),
        };
        match self {
            Self::None => Background::None,
            Self::Blur => Background::Blur,
            Self::Color(c) => Background::Color(c.0),
            Self::Image(p) => Background::Image(path(p)),
            Self::Video(p) => Background::Video(path(p)),
        }
    }
}

/// One look for the whole pipeline: the model that finds the person and every effect stage's
/// settings. Any field left out takes its default; an unknown field or an out-of-range value is
/// an error.
#[derive(Asset, TypePath, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preset {
    /// Model id from `models/models.ron`.
    #[serde(deserialize_with = "model")]
    pub model: String,
    pub backend: BackendChoice,
    /// ONNX Runtime intra-op threads.
    #[serde(deserialize_with = "threads")]
    pub threads: u32,
    pub background: PresetBackground,
    /// Background blur radius in frame pixels.
    #[serde(deserialize_with = "blur_radius")]
    pub blur_radius: f32,
    /// How the mask is upsampled to the frame: `Guided` or `Bilateral`.
    pub refine: RefineMethod,
    pub bilateral: JointBilateralSettings,
    pub guided: GuidedSettings,
    pub temporal: TemporalSettings,
    /// Smoothstep edges on the refined mask: (low, high), 0 ≤ low < high < 1.
    #[serde(deserialize_with = "coverage")]
    pub coverage: (f32, f32),
    pub light_wrap: LightWrapSettings,
}

impl Default for Preset {
    fn default() -> Self {
        let inference = crate::inference::InferenceSettings::default();
        Self {
            model: inference.model,
            backend: inference.backend,
            threads: inference.threads as u32,
            background: PresetBackground::Blur,
            blur_radius: BlurSettings::default().radius,
            refine: RefineMethod::default(),
            bilateral: JointBilateralSettings::default(),
            guided: GuidedSettings::default(),
            temporal: TemporalSettings::default(),
            coverage: CompositeSettings::default().coverage,
            light_wrap: LightWrapSettings::default(),
        }
    }
}

/// Why a preset's text is not a preset. Lines and columns count from 1.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct PresetSyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Preset {
    /// Reads a preset from its RON text.
    pub fn parse(text: &[u8]) -> Result<Self, PresetSyntaxError> {
        // Some Windows editors start UTF-8 files with a byte-order mark; RON does not skip it.
        let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
        ron::Options::default()
            .from_bytes::<Self>(text)
            .map_err(|e| PresetSyntaxError {
                line: e.span.start.line,
                column: e.span.start.col,
                message: e.code.to_string(),
            })
    }

    /// The preset as RON text, one field per line, with a header comment.
    pub fn to_ron(&self) -> String {
        let pretty = ron::ser::PrettyConfig::new()
            .depth_limit(2)
            .indentor("    ".to_owned());
        let body = ron::ser::to_string_pretty(self, pretty).expect("a preset always serialises");
        format!("{SAVED_HEADER}{body}\n")
    }

    /// The chain settings this preset describes; `view` (an inspection switch, not part of a
    /// look) is kept from `current`. Relative background paths resolve against `dir`.
    pub fn effects(&self, current: &BackdropSettings, dir: Option<&Path>) -> BackdropSettings {
        BackdropSettings {
            refine: self.refine,
            bilateral: self.bilateral,
            guided: self.guided,
            temporal: self.temporal,
            blur: BlurSettings {
                radius: self.blur_radius,
            },
            composite: CompositeSettings {
                coverage: self.coverage,
                background: self.background.resolve(dir),
                light_wrap: self.light_wrap,
            },
            view: current.view,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::WrapMode;

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let plain = "(\n    blur_radius: 30.0,\n)";
        let marked = format!("\u{feff}{plain}");
        assert_eq!(
            Preset::parse(marked.as_bytes()).unwrap(),
            Preset::parse(plain.as_bytes()).unwrap()
        );
        // Errors still point where an editor (which hides the mark) shows them.
        let broken = "\u{feff}(blur_radius: 30.0 coverage: (0.5, 0.7))";
        let e = Preset::parse(broken.as_bytes()).unwrap_err();
        let unmarked = Preset::parse(&broken.as_bytes()[3..]).unwrap_err();
        assert_eq!((e.line, e.column), (unmarked.line, unmarked.column));
    }

    #[test]
    fn empty_preset_is_all_defaults() {
        assert_eq!(Preset::parse(b"()").unwrap(), Preset::default());
        // Defaults are the app's defaults: a preset that says nothing changes nothing.
        let settings = Preset::default().effects(&BackdropSettings::default(), None);
        assert_eq!(settings, BackdropSettings::default());
    }

    #[test]
    fn unknown_field_is_named_with_its_position() {
        let e = Preset::parse(b"(\n    blur_radius: 10.0,\n    blur_raduis: 3.0,\n)").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("blur_raduis"), "{e}");
    }

    #[test]
    fn out_of_range_is_rejected_with_the_range() {
        let e = Preset::parse(b"(\n  temporal: (smoothing: 1.0),\n)").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("[0, 1)"), "{e}");
        let e = Preset::parse(b"(blur_radius: -1)").unwrap_err();
        assert!(
            e.message.contains("blur_radius = -1") && e.message.contains("[0, 200]"),
            "{e}"
        );
        let e = Preset::parse(b"(coverage: (0.7, 0.5))").unwrap_err();
        assert!(e.message.contains("low must be below high"), "{e}");
        let e = Preset::parse(b"(guided: (radius: 9))").unwrap_err();
        assert!(
            e.message.contains("radius = 9") && e.message.contains("[0, 8]"),
            "{e}"
        );
        let e = Preset::parse(b"(refine: Bicubic)").unwrap_err();
        assert!(e.message.contains("Bicubic"), "{e}");
        let e = Preset::parse(b"(threads: 0)").unwrap_err();
        assert!(e.message.contains("[1, 64]"), "{e}");
        let e = Preset::parse(b"(background: Color(\"#12345\"))").unwrap_err();
        assert!(e.message.contains("not a colour"), "{e}");
        let e = Preset::parse(b"(light_wrap: (strength: NaN))").unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
    }

    #[test]
    fn saved_text_reads_back_the_same() {
        let preset = Preset {
            model: "general".into(),
            backend: BackendChoice::Tract,
            threads: 2,
            background: PresetBackground::Color(HexColor(Srgba::rgb_u8(0x33, 0x66, 0xcc))),
            blur_radius: 33.3,
            refine: RefineMethod::Bilateral,
            bilateral: JointBilateralSettings {
                sigma_space: 2.5,
                sigma_color: 0.07,
            },
            guided: GuidedSettings {
                radius: 3,
                epsilon: 0.02,
            },
            temporal: TemporalSettings {
                smoothing: 0.6,
                motion_sensitivity: 12.0,
            },
            coverage: (0.4, 0.8),
            light_wrap: LightWrapSettings {
                strength: 0.45,
                mode: WrapMode::LinearDodge,
            },
        };
        let text = preset.to_ron();
        assert_eq!(Preset::parse(text.as_bytes()).unwrap(), preset, "{text}");
    }

    #[test]
    fn relative_background_paths_follow_the_preset() {
        let image = PresetBackground::Image("../backgrounds/rocket.jpg".into());
        assert_eq!(
            image.resolve(Some(Path::new("/a/presets"))),
            Background::Image("/a/presets/../backgrounds/rocket.jpg".into())
        );
        let absolute = PresetBackground::Video("/clips/x.mp4".into());
        assert_eq!(
            absolute.resolve(Some(Path::new("/a"))),
            Background::Video("/clips/x.mp4".into())
        );
    }
}
