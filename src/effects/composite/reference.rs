//! The composite stage on the CPU: the reference the GPU pass is tested against.

use super::{Background, CompositeSettings, WrapMode};
use crate::effects::reference::{Picture, Plane, centre};

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

/// One output pixel. `mask` is the refined mask at frame resolution, `blurred` the blurred
/// background at frame resolution (for `Background::Blur`; see `blur::background`),
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
    use crate::effects::composite::*;
    use bevy::color::Srgba;

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
