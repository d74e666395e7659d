//! The bilateral stage on the CPU: the reference the GPU pass is tested against.

use super::JointBilateralSettings;
use crate::effects::reference::{Picture, Plane, centre};

/// Where the mask varies by less than this over a pixel's whole footprint, the taps are skipped
/// (any weighted mean is then within this of the plain sample). A quarter of an 8-bit step.
pub const UNIFORM_EPSILON: f32 = 1.0 / 1024.0;

/// True when every mask texel the taps around (u, v) can reach lies within [`UNIFORM_EPSILON`].
fn flat_footprint(mask: &Plane, u: f32, v: f32, reach_x: f32, reach_y: f32) -> bool {
    let (mw, mh) = (mask.width as f32, mask.height as f32);
    let bound = |c: f32, size: f32| c.clamp(0.0, size - 1.0) as u32;
    let (x0, x1) = (
        bound((u * mw - 0.5 - reach_x).floor(), mw),
        bound((u * mw - 0.5 + reach_x).floor() + 1.0, mw),
    );
    let (y0, y1) = (
        bound((v * mh - 0.5 - reach_y).floor(), mh),
        bound((v * mh - 0.5 + reach_y).floor() + 1.0, mh),
    );
    let (mut lowest, mut highest) = (f32::MAX, f32::MIN);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let value = mask.at(x, y);
            lowest = lowest.min(value);
            highest = highest.max(value);
        }
    }
    highest - lowest <= UNIFORM_EPSILON
}

fn gauss(x: f32, sigma: f32) -> f32 {
    (-(x * x) / (8.0 * sigma * sigma)).exp()
}

/// The refined mask at one output pixel.
pub fn reference_at(
    frame: &Picture,
    mask: &Plane,
    settings: &JointBilateralSettings,
    x: u32,
    y: u32,
) -> f32 {
    let (fw, fh) = (frame.width as f32, frame.height as f32);
    let (u, v) = (centre(x, frame.width), centre(y, frame.height));
    let plain = mask.sample(u, v);
    let s = settings.sigma_space * (fw / mask.width as f32).max(fh / mask.height as f32);
    if s <= 0.0 {
        return plain;
    }
    let (reach_x, reach_y) = (s / fw * mask.width as f32, s / fh * mask.height as f32);
    if flat_footprint(mask, u, v, reach_x, reach_y) {
        return plain;
    }
    let step = (0.66 * s.sqrt()).max(1.0);
    let start = -s + if step > 1.0 { step * 0.5 } else { 0.0 };
    let centre_rgb = frame.sample(u, v);
    let (mut weight_sum, mut sum) = (0.0f32, 0.0f32);
    let mut dy = start;
    while dy <= s {
        let mut dx = start;
        while dx <= s {
            let (su, sv) = (u + dx / fw, v + dy / fh);
            let colour = frame.sample(su, sv);
            let person = mask.sample(su, sv);
            let mut w = gauss((dx * dx + dy * dy).sqrt(), s);
            if settings.sigma_color > 0.0 {
                let d: f32 = (0..3).map(|c| (colour[c] - centre_rgb[c]).powi(2)).sum();
                w *= gauss(d.sqrt(), settings.sigma_color);
            }
            weight_sum += w;
            sum += w * person;
            dx += step;
        }
        dy += step;
    }
    if weight_sum > 0.0 {
        sum / weight_sum
    } else {
        plain
    }
}

/// The refined mask at frame resolution.
pub fn reference(frame: &Picture, mask: &Plane, settings: &JointBilateralSettings) -> Plane {
    let data = (0..frame.height)
        .flat_map(|y| (0..frame.width).map(move |x| (x, y)))
        .map(|(x, y)| reference_at(frame, mask, settings, x, y))
        .collect();
    Plane::new(frame.width, frame.height, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::bilateral::*;

    fn noise_picture(w: u32, h: u32) -> Picture {
        let rgba: Vec<u8> = (0..w * h * 4)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        Picture::from_rgba8(&rgba, w, h)
    }

    #[test]
    fn a_constant_mask_stays_constant() {
        let frame = noise_picture(40, 30);
        let mask = Plane::new(10, 8, vec![0.7; 80]);
        let out = reference(&frame, &mask, &JointBilateralSettings::REFERENCE);
        assert!(out.data.iter().all(|v| (v - 0.7).abs() < 1e-5));
    }

    #[test]
    fn sigma_space_zero_is_plain_bilinear() {
        let frame = noise_picture(23, 17);
        let mask = Plane::new(5, 4, (0..20).map(|i| i as f32 / 19.0).collect());
        let settings = JointBilateralSettings {
            sigma_space: 0.0,
            sigma_color: 0.1,
        };
        let out = reference(&frame, &mask, &settings);
        for y in 0..17 {
            for x in 0..23 {
                assert_eq!(out.at(x, y), mask.sample(centre(x, 23), centre(y, 17)));
            }
        }
    }

    #[test]
    fn colour_keeps_the_mask_from_crossing_an_edge() {
        // Left half dark, right half bright, and the mask says person on the left half.
        let (w, h) = (32u32, 8u32);
        let rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                if i % w < 16 {
                    [20, 20, 20, 255]
                } else {
                    [230, 230, 230, 255]
                }
            })
            .collect();
        let frame = Picture::from_rgba8(&rgba, w, h);
        let mask = Plane::new(
            8,
            2,
            (0..16).map(|i| if i % 8 < 4 { 1.0 } else { 0.0 }).collect(),
        );
        let guided = reference(&frame, &mask, &JointBilateralSettings::REFERENCE);
        let blind = reference(
            &frame,
            &mask,
            &JointBilateralSettings {
                sigma_space: 1.0,
                sigma_color: 0.0,
            },
        );
        assert!(guided.data.iter().all(|v| (0.0..=1.0).contains(v)));
        // Just right of the edge, colour-blind smoothing pulls in the person side; the guide
        // does not: the background stays background.
        assert!(
            guided.at(17, 4) < blind.at(17, 4) - 0.1,
            "{} vs {}",
            guided.at(17, 4),
            blind.at(17, 4)
        );
        assert!(
            guided.at(14, 4) > blind.at(14, 4) + 0.1,
            "{} vs {}",
            guided.at(14, 4),
            blind.at(14, 4)
        );
    }
}
