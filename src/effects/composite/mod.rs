//! Composite (`shaders/composite.wgsl`): coverage smoothstep of the refined mask, then the frame
//! over a background — the frame itself, the blurred frame, or a solid colour.

use bevy::color::Srgba;

use super::reference::{Picture, Plane, centre};

/// What replaces the background.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Background {
    /// Nothing: the frame as it is.
    None,
    /// The frame, blurred with the mask-weighted blur.
    Blur,
    /// A solid colour (sRGB).
    Color(Srgba),
}

impl std::str::FromStr for Background {
    type Err = String;

    /// `none`, `blur`, `color:RRGGBB` (also `#RRGGBB`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "blur" => Ok(Self::Blur),
            _ => {
                let hex = text
                    .strip_prefix("color:")
                    .or_else(|| text.strip_prefix("colour:"))
                    .ok_or_else(|| format!("background must be none, blur or color:RRGGBB, got {text:?}"))?;
                Srgba::hex(hex)
                    .map(Self::Color)
                    .map_err(|e| format!("bad colour {hex:?}: {e}"))
            }
        }
    }
}

/// Settings of the composite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompositeSettings {
    /// Smoothstep edges on the refined mask: below `.0` background, above `.1` person.
    /// Valid: 0 ≤ low < high < 1.
    pub coverage: (f32, f32),
    pub background: Background,
}

impl CompositeSettings {
    /// The reference demo's coverage.
    pub const REFERENCE_COVERAGE: (f32, f32) = (0.5, 0.75);

    pub fn validate(&self) -> Result<(), String> {
        let (low, high) = self.coverage;
        if (0.0..1.0).contains(&low) && low < high && high < 1.0 {
            Ok(())
        } else {
            Err(format!("coverage must satisfy 0 ≤ low < high < 1, got ({low}, {high})"))
        }
    }
}

impl Default for CompositeSettings {
    fn default() -> Self {
        Self {
            coverage: Self::REFERENCE_COVERAGE,
            background: Background::Blur,
        }
    }
}

fn smoothstep(low: f32, high: f32, x: f32) -> f32 {
    let t = ((x - low) / (high - low)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// One output pixel. `blurred` is the half-resolution blurred background (for `Background::Blur`).
pub fn reference_at(
    frame: &Picture,
    mask: &Plane,
    blurred: Option<&Picture>,
    settings: &CompositeSettings,
    x: u32,
    y: u32,
) -> [f32; 3] {
    let f = frame.at(x, y);
    let background = match (settings.background, blurred) {
        (Background::Blur, Some(blurred)) => blurred.sample(centre(x, frame.width), centre(y, frame.height)),
        (Background::Color(c), _) => [c.red, c.green, c.blue],
        _ => f,
    };
    let coverage = smoothstep(settings.coverage.0, settings.coverage.1, mask.at(x, y));
    [0, 1, 2].map(|c| background[c] + (f[c] - background[c]) * coverage)
}

pub fn reference(frame: &Picture, mask: &Plane, blurred: Option<&Picture>, settings: &CompositeSettings) -> Picture {
    let data = (0..frame.height)
        .flat_map(|y| (0..frame.width).map(move |x| (x, y)))
        .map(|(x, y)| reference_at(frame, mask, blurred, settings, x, y))
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
        let settings = CompositeSettings::default();
        let person = reference(&frame, &Plane::new(4, 2, vec![1.0; 8]), Some(&blurred), &settings);
        assert_eq!(person, frame);
        let background = reference(&frame, &Plane::new(4, 2, vec![0.0; 8]), Some(&blurred), &settings);
        assert!(background.data.iter().all(|p| *p == [0.9, 0.1, 0.3]));
        let colour = CompositeSettings {
            background: Background::Color(Srgba::rgb(1.0, 0.0, 0.5)),
            ..settings
        };
        let out = reference(&frame, &Plane::new(4, 2, vec![0.2; 8]), None, &colour);
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
        assert_eq!(reference(&frame, &mask, None, &settings), frame);
    }

    #[test]
    fn coverage_must_be_ordered_inside_zero_one() {
        let ok = CompositeSettings::default();
        assert!(ok.validate().is_ok());
        for coverage in [(0.6, 0.6), (0.7, 0.5), (-0.1, 0.5), (0.5, 1.0)] {
            assert!(CompositeSettings { coverage, ..ok }.validate().is_err(), "{coverage:?}");
        }
        assert_eq!("color:00ff80".parse::<Background>().unwrap(), Background::Color(Srgba::hex("00ff80").unwrap()));
        assert!("colour:zz".parse::<Background>().is_err());
        assert!("plaid".parse::<Background>().is_err());
    }
}
