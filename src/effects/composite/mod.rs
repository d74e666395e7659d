//! Composite (`shaders/composite.wgsl`): coverage smoothstep of the refined mask, light wrap,
//! then the frame over a background — the frame itself, the blurred frame, a solid colour, or an
//! image / video frame cover-cropped to the frame (aspect kept, centred).

use std::path::PathBuf;

use bevy::color::Srgba;

use super::reference::{Picture, Plane, centre};

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

/// How the background's light is added to the person's edge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WrapMode {
    /// `1 − (1 − f)(1 − lw)`: brightens without clipping.
    #[default]
    Screen,
    /// `f + lw`: stronger, can clip.
    LinearDodge,
}

/// Light wrap: the background's light spills onto the person's edge, so a replaced background
/// looks lit like the scene. `lw = strength · (1 − max(0, m − high)/(1 − high)) · background`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LightWrapSettings {
    /// 0 turns it off.
    pub strength: f32,
    pub mode: WrapMode,
}

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

    pub fn validate(&self) -> Result<(), String> {
        let (low, high) = self.coverage;
        if !((0.0..1.0).contains(&low) && low < high && high < 1.0) {
            return Err(format!(
                "coverage must satisfy 0 ≤ low < high < 1, got ({low}, {high})"
            ));
        }
        let strength = self.light_wrap.strength;
        if !(0.0..=1.0).contains(&strength) {
            return Err(format!(
                "light wrap strength must be in [0, 1], got {strength}"
            ));
        }
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

fn smoothstep(low: f32, high: f32, x: f32) -> f32 {
    let t = ((x - low) / (high - low)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Where in a background picture of `bg` size a frame coordinate (u, v) lands when the picture
/// covers the frame (scaled to fill, aspect kept, centred, the overflow cropped).
pub fn cover_uv(u: f32, v: f32, frame: (u32, u32), bg: (u32, u32)) -> (f32, f32) {
    let (fw, fh) = (frame.0 as f32, frame.1 as f32);
    let (bw, bh) = (bg.0 as f32, bg.1 as f32);
    let scale = (fw / bw).max(fh / bh);
    let (shown_w, shown_h) = (bw * scale, bh * scale);
    (
        (u * fw + (shown_w - fw) * 0.5) / shown_w,
        (v * fh + (shown_h - fh) * 0.5) / shown_h,
    )
}

/// One output pixel. `blurred` is the half-resolution blurred background (for `Background::Blur`),
/// `picture` the background image or video frame (for `Image`/`Video`).
pub fn reference_at(
    frame: &Picture,
    mask: &Plane,
    blurred: Option<&Picture>,
    picture: Option<&Picture>,
    settings: &CompositeSettings,
    x: u32,
    y: u32,
) -> [f32; 3] {
    let f = frame.at(x, y);
    let (u, v) = (centre(x, frame.width), centre(y, frame.height));
    let background = match (&settings.background, blurred, picture) {
        (Background::Blur, Some(blurred), _) => Some(blurred.sample(u, v)),
        (Background::Color(c), _, _) => Some([c.red, c.green, c.blue]),
        (Background::Image(_) | Background::Video(_), _, Some(p)) => {
            let (bu, bv) = cover_uv(u, v, (frame.width, frame.height), (p.width, p.height));
            Some(p.sample(bu, bv))
        }
        _ => None,
    };
    let Some(background) = background else {
        return f;
    };
    let (low, high) = settings.coverage;
    let m = mask.at(x, y);
    let coverage = smoothstep(low, high, m);
    let wrap = settings.light_wrap.strength * (1.0 - (m - high).max(0.0) / (1.0 - high));
    let lit = [0, 1, 2].map(|c| {
        let lw = wrap * background[c];
        match settings.light_wrap.mode {
            WrapMode::Screen => 1.0 - (1.0 - f[c]) * (1.0 - lw),
            WrapMode::LinearDodge => (f[c] + lw).min(1.0),
        }
    });
    [0, 1, 2].map(|c| background[c] + (lit[c] - background[c]) * coverage)
}

pub fn reference(
    frame: &Picture,
    mask: &Plane,
    blurred: Option<&Picture>,
    picture: Option<&Picture>,
    settings: &CompositeSettings,
) -> Picture {
    let data = (0..frame.height)
        .flat_map(|y| (0..frame.width).map(move |x| (x, y)))
        .map(|(x, y)| reference_at(frame, mask, blurred, picture, settings, x, y))
        .collect();
    Picture {
        width: frame.width,
        height: frame.height,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_crop_fills_without_stretching() {
        // A 2:1 picture on a 1:1 frame: scaled to the frame's height, sides cropped equally.
        let (u, v) = cover_uv(0.5, 0.5, (100, 100), (200, 100));
        assert!(
            (u - 0.5).abs() < 1e-6 && (v - 0.5).abs() < 1e-6,
            "centre stays centre"
        );
        let (left, _) = cover_uv(0.0, 0.0, (100, 100), (200, 100));
        let (right, _) = cover_uv(1.0, 1.0, (100, 100), (200, 100));
        assert!((left - 0.25).abs() < 1e-6 && (right - 0.75).abs() < 1e-6);
        // Same scale both ways: a frame step of one pixel is the same picture step across and down.
        let (u0, v0) = cover_uv(0.0, 0.0, (64, 48), (50, 100));
        let (u1, v1) = cover_uv(1.0 / 64.0, 1.0 / 48.0, (64, 48), (50, 100));
        assert!(((u1 - u0) * 50.0 - (v1 - v0) * 100.0).abs() < 1e-4);
    }

    #[test]
    fn light_wrap_brightens_the_edge_only() {
        let frame = Picture {
            width: 3,
            height: 1,
            data: vec![[0.2, 0.2, 0.2]; 3],
        };
        let settings = CompositeSettings {
            background: Background::Color(Srgba::rgb(1.0, 1.0, 1.0)),
            ..Default::default()
        };
        // Deep inside the person (m = 1) nothing changes; at the edge (m = high) the wrap is full.
        let mask = Plane::new(3, 1, vec![1.0, 0.75, 0.9]);
        let out = reference(&frame, &mask, None, None, &settings);
        assert!(out.data[0].iter().all(|c| (c - 0.2).abs() < 1e-6));
        let screen = 1.0 - (1.0 - 0.2) * (1.0 - 0.3);
        assert!((out.data[1][0] - screen).abs() < 1e-6);
        assert!(out.data[2][0] > 0.2 && out.data[2][0] < screen);
        let dodge = CompositeSettings {
            light_wrap: LightWrapSettings {
                strength: 0.3,
                mode: WrapMode::LinearDodge,
            },
            ..settings
        };
        let out = reference(&frame, &mask, None, None, &dodge);
        assert!((out.data[1][0] - 0.5).abs() < 1e-6);
    }

    fn two_pictures() -> (Picture, Picture) {
        let frame = Picture {
            width: 4,
            height: 2,
            data: (0..8).map(|i| [i as f32 / 8.0, 0.5, 0.25]).collect(),
        };
        let blurred = Picture {
            width: 2,
            height: 1,
            data: vec![[0.9, 0.1, 0.3]; 2],
        };
        (frame, blurred)
    }

    #[test]
    fn mask_one_is_the_frame_and_mask_zero_the_background() {
        let (frame, blurred) = two_pictures();
        let settings = CompositeSettings {
            light_wrap: LightWrapSettings {
                strength: 0.0,
                ..Default::default()
            },
            ..Default::default()
        };
        let person = reference(
            &frame,
            &Plane::new(4, 2, vec![1.0; 8]),
            Some(&blurred),
            None,
            &settings,
        );
        assert_eq!(person, frame);
        let background = reference(
            &frame,
            &Plane::new(4, 2, vec![0.0; 8]),
            Some(&blurred),
            None,
            &settings,
        );
        assert!(background.data.iter().all(|p| *p == [0.9, 0.1, 0.3]));
        let colour = CompositeSettings {
            background: Background::Color(Srgba::rgb(1.0, 0.0, 0.5)),
            ..settings
        };
        let out = reference(&frame, &Plane::new(4, 2, vec![0.2; 8]), None, None, &colour);
        assert!(out.data.iter().all(|p| *p == [1.0, 0.0, 0.5]));
    }

    #[test]
    fn no_background_is_the_frame_whatever_the_mask() {
        let (frame, _) = two_pictures();
        let settings = CompositeSettings {
            background: Background::None,
            ..Default::default()
        };
        let mask = Plane::new(4, 2, (0..8).map(|i| i as f32 / 7.0).collect());
        assert_eq!(reference(&frame, &mask, None, None, &settings), frame);
    }

    #[test]
    fn coverage_must_be_ordered_inside_zero_one() {
        let ok = CompositeSettings::default();
        assert!(ok.validate().is_ok());
        for coverage in [(0.6, 0.6), (0.7, 0.5), (-0.1, 0.5), (0.5, 1.0)] {
            assert!(
                CompositeSettings {
                    coverage,
                    ..ok.clone()
                }
                .validate()
                .is_err(),
                "{coverage:?}"
            );
        }
        assert_eq!(
            "image:a b.png".parse::<Background>().unwrap(),
            Background::Image("a b.png".into())
        );
        assert_eq!(
            "color:00ff80".parse::<Background>().unwrap(),
            Background::Color(Srgba::hex("00ff80").unwrap())
        );
        assert!("colour:zz".parse::<Background>().is_err());
        assert!("plaid".parse::<Background>().is_err());
    }
}
