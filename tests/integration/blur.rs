//! The pyramid blur against the blur it approximates: an exact mask-weighted (normalised)
//! Gaussian of the same radius at frame resolution, on the shipped background photos (texture,
//! not flat colour) behind a person-shaped mask, compared by SSIM over the background. CPU
//! references only: `effects.rs` holds the blur's reference to its GPU passes.

use bevy_backdrop::effects::blur::{self, BlurPlan, MIN_WEIGHT, MaskSource};
use bevy_backdrop::effects::reference::{Picture, Plane, centre};

const MIN_SSIM: f64 = 0.97;

/// A shipped photo, cover-resized to `width`×`height`.
fn photo(name: &str, width: u32, height: u32) -> Picture {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/backgrounds")
        .join(name);
    let image = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .resize_to_fill(width, height, image::imageops::FilterType::Triangle)
        .into_rgba8();
    Picture::from_rgba8(image.as_raw(), width, height)
}

/// A head and shoulders, soft at the edge (a few pixels), at the frame's size.
fn person(width: u32, height: u32) -> Plane {
    let data = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (u, v) = (centre(x, width) - 0.5, centre(y, height));
            let head = ((u * 3.2).powi(2) + ((v - 0.35) * 2.6).powi(2)).sqrt();
            let body = ((u * 1.4).powi(2) + ((v - 1.05) * 1.5).powi(2)).sqrt();
            let d = head.min(body);
            ((1.0 - d) * 30.0 + 0.5).clamp(0.0, 1.0)
        })
        .collect();
    Plane::new(width, height, data)
}

/// One direction of a Gaussian over `values` (channels per pixel), truncated at 4σ, with nothing
/// beyond the edge (zero there; the kernel's total is kept, so a normalised convolution
/// renormalises).
fn gaussian_pass(
    values: &[[f32; 4]],
    width: usize,
    height: usize,
    sigma: f32,
    vertical: bool,
) -> Vec<[f32; 4]> {
    let reach = (4.0 * sigma).ceil() as i64;
    let weights: Vec<f32> = (-reach..=reach)
        .map(|k| (-((k * k) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let mut out = vec![[0.0f32; 4]; values.len()];
    for y in 0..height {
        for x in 0..width {
            let mut sum = [0.0f32; 4];
            for (k, w) in (-reach..=reach).zip(&weights) {
                let (sx, sy) = if vertical {
                    (x as i64, y as i64 + k)
                } else {
                    (x as i64 + k, y as i64)
                };
                if sx < 0 || sy < 0 || sx >= width as i64 || sy >= height as i64 {
                    continue;
                }
                let v = values[sy as usize * width + sx as usize];
                for c in 0..4 {
                    sum[c] += w * v[c];
                }
            }
            out[y * width + x] = sum.map(|s| s / total);
        }
    }
    out
}

/// The exact mask-weighted Gaussian: blur(colour·w) / blur(w), w = 1 − mask, σ = radius / 3, at
/// frame resolution, no weight beyond the frame's edge; where no background weight is near, the
/// pixel's own colour (the same rule as the chain's).
fn exact_weighted_gaussian(frame: &Picture, mask: &Plane, radius: f32) -> Picture {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let premultiplied: Vec<[f32; 4]> = frame
        .data
        .iter()
        .zip(&mask.data)
        .map(|(c, m)| {
            let weight = 1.0 - m;
            [c[0] * weight, c[1] * weight, c[2] * weight, weight]
        })
        .collect();
    let sigma = radius / 3.0;
    let blurred = gaussian_pass(
        &gaussian_pass(&premultiplied, w, h, sigma, false),
        w,
        h,
        sigma,
        true,
    );
    let data = blurred
        .iter()
        .zip(&frame.data)
        .map(|(s, own)| {
            let fill = (MIN_WEIGHT - s[3]).max(0.0);
            let weight = s[3].max(MIN_WEIGHT);
            [0, 1, 2].map(|c| (s[c] + fill * own[c]) / weight)
        })
        .collect();
    Picture {
        width: frame.width,
        height: frame.height,
        data,
    }
}

fn luma(picture: &Picture) -> Vec<[f32; 4]> {
    picture
        .data
        .iter()
        .map(|c| {
            let y = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
            [y, 0.0, 0.0, 0.0]
        })
        .collect()
}

/// Mean SSIM (luma, Gaussian window σ 1.5, the usual constants for values in [0, 1]) over the
/// pixels where `inside` holds.
fn ssim(a: &Picture, b: &Picture, inside: &[bool]) -> f64 {
    let (w, h) = (a.width as usize, a.height as usize);
    let (la, lb) = (luma(a), luma(b));
    let moments: Vec<[f32; 4]> = la
        .iter()
        .zip(&lb)
        .map(|(x, y)| [x[0], y[0], x[0] * x[0] + y[0] * y[0], x[0] * y[0]])
        .collect();
    let squares: Vec<[f32; 4]> = la
        .iter()
        .zip(&lb)
        .map(|(x, y)| [x[0] * x[0], y[0] * y[0], 0.0, 0.0])
        .collect();
    let window =
        |v: &[[f32; 4]]| gaussian_pass(&gaussian_pass(v, w, h, 1.5, false), w, h, 1.5, true);
    let (m, s) = (window(&moments), window(&squares));
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let (mut total, mut n) = (0.0f64, 0usize);
    for i in 0..w * h {
        if !inside[i] {
            continue;
        }
        let (mx, my) = (m[i][0] as f64, m[i][1] as f64);
        let vx = s[i][0] as f64 - mx * mx;
        let vy = s[i][1] as f64 - my * my;
        let cov = m[i][3] as f64 - mx * my;
        total +=
            ((2.0 * mx * my + c1) * (2.0 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        n += 1;
    }
    total / n as f64
}

/// SSIM ≥ 0.97 alone cannot tell a wrong radius on smooth pictures (a blur 1.5× too wide still
/// scored ≥ 0.97 on most of these), so each case also has a control: the exact Gaussian of a
/// radius 20% off must be farther from the exact one (mean |Δ| over the background) than the
/// pyramid is.
/// Mean |Δ| over RGB, in levels of 255, over the pixels where `inside` holds.
fn mean_levels(a: &Picture, b: &Picture, inside: &[bool]) -> f64 {
    let (mut total, mut n) = (0.0f64, 0usize);
    for ((x, y), _) in a.data.iter().zip(&b.data).zip(inside).filter(|(_, i)| **i) {
        for c in 0..3 {
            total += (x[c] - y[c]).abs() as f64 * 255.0;
        }
        n += 3;
    }
    total / n as f64
}

#[test]
fn the_pyramid_matches_an_exact_weighted_gaussian_on_photos() {
    let radii = [6.0f32, 12.0, 18.0, 45.0, 100.0, 200.0];
    let mut failures = Vec::new();
    println!(
        "| photo | frame | radius | levels | SSIM (background) | mean |Δ| (levels) | control: radius ×1.2 | ×0.8 |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for name in ["coffee.jpg", "rocket.jpg", "hubble_deep_field.jpg"] {
        for radius in radii {
            // The widest radius on a 1280×720 frame: on 640×360 it blurs the whole frame into a
            // few levels of colour, where no radius can be told from another.
            let (width, height) = if radius > 100.0 {
                (1280, 720)
            } else {
                (640, 360)
            };
            let frame = photo(name, width, height);
            let mask = person(frame.width, frame.height);
            let background: Vec<bool> = mask.data.iter().map(|m| *m < 0.05).collect();
            let plan = BlurPlan::for_radius(radius).unwrap();
            let pyramid = blur::background(
                &blur::reference(&frame, &MaskSource::Refined(&mask), &plan),
                &frame,
            );
            let exact = exact_weighted_gaussian(&frame, &mask, radius);
            let score = ssim(&pyramid, &exact, &background);
            let error = mean_levels(&pyramid, &exact, &background);
            let [wider, narrower] = [1.2, 0.8].map(|scale| {
                let off = exact_weighted_gaussian(&frame, &mask, radius * scale);
                mean_levels(&off, &exact, &background)
            });
            println!(
                "| {name} | {width}×{height} | {radius} | {} | {score:.4} | {error:.2} | {wider:.2} | {narrower:.2} |",
                plan.levels
            );
            if score < MIN_SSIM || error >= wider || error >= narrower {
                failures.push(format!(
                    "{name} radius {radius}: SSIM {score:.4}, mean |Δ| {error:.2} levels (radius ×1.2: {wider:.2}, ×0.8: {narrower:.2})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
