//! The guided-filter refine on the CPU: the reference the GPU passes are tested against.
//!
//! He & Sun's fast guided filter, with the frame's colour as the guide: on the model grid, the
//! colour `I` (the frame averaged over each model pixel) and the mask `p` give, over the
//! (2r+1)² window centred on each model pixel, `a = (Σ_I + ε·U)⁻¹ · cov(I, p)` and
//! `b = mean(p) − a·mean(I)`; each frame pixel then takes `q = clamp(a·I + b, 0, 1)` with its own
//! colour and `a`, `b` sampled bilinearly. Everything but the last step runs on model pixels, so
//! the cost follows the model, not the frame.
//!
//! Unlike the paper, the coefficients are not averaged over a second window before they are
//! applied: the bilinear sampling already blends neighbouring fits, and on the sample photos the
//! second box pulled the result away from the joint bilateral (mean |Δ| in the edge band 0.010 →
//! 0.017 on the astronaut, 0.021 → 0.032 on the doctor, ε 0.03) while costing a pass.

use super::GuidedSettings;
use crate::effects::reference::{Picture, Plane, Rgba, centre};

/// The linear model over one window of `guide` (RGB: colour, A: mask), centred on (x, y): the
/// 3×3 regularised solve, in the order the shader does it.
pub fn fit_at(guide: &Rgba, x: i32, y: i32, settings: &GuidedSettings) -> [f32; 4] {
    let r = settings.radius as i32;
    let (mut mean, mut mask, mut cross) = ([0.0f32; 3], 0.0f32, [0.0f32; 3]);
    // rr, rg, rb, gg, gb, bb
    let mut second = [0.0f32; 6];
    for dy in -r..=r {
        for dx in -r..=r {
            let [cr, cg, cb, p] = guide.clamped(x + dx, y + dy);
            let colour = [cr, cg, cb];
            for c in 0..3 {
                mean[c] += colour[c];
                cross[c] += colour[c] * p;
            }
            mask += p;
            second[0] += cr * cr;
            second[1] += cr * cg;
            second[2] += cr * cb;
            second[3] += cg * cg;
            second[4] += cg * cb;
            second[5] += cb * cb;
        }
    }
    let n = ((2 * r + 1) * (2 * r + 1)) as f32;
    let mean = mean.map(|s| s / n);
    let mask = mask / n;
    let cov = [0, 1, 2].map(|c| cross[c] / n - mean[c] * mask);
    let e = settings.epsilon;
    let s00 = second[0] / n - mean[0] * mean[0] + e;
    let s01 = second[1] / n - mean[0] * mean[1];
    let s02 = second[2] / n - mean[0] * mean[2];
    let s11 = second[3] / n - mean[1] * mean[1] + e;
    let s12 = second[4] / n - mean[1] * mean[2];
    let s22 = second[5] / n - mean[2] * mean[2] + e;
    // The inverse by cofactors (the matrix is symmetric).
    let c00 = s11 * s22 - s12 * s12;
    let c01 = s02 * s12 - s01 * s22;
    let c02 = s01 * s12 - s02 * s11;
    let c11 = s00 * s22 - s02 * s02;
    let c12 = s01 * s02 - s00 * s12;
    let c22 = s00 * s11 - s01 * s01;
    let det = s00 * c00 + s01 * c01 + s02 * c02;
    let a = [
        (c00 * cov[0] + c01 * cov[1] + c02 * cov[2]) / det,
        (c01 * cov[0] + c11 * cov[1] + c12 * cov[2]) / det,
        (c02 * cov[0] + c12 * cov[1] + c22 * cov[2]) / det,
    ];
    let b = mask - (a[0] * mean[0] + a[1] * mean[1] + a[2] * mean[2]);
    [a[0], a[1], a[2], b]
}

/// The model-resolution pass: the linear model of every window, as the `Rgba16Float` texture
/// stores it.
pub fn coefficients(guide: &Rgba, settings: &GuidedSettings) -> Rgba {
    let (w, h) = (guide.width, guide.height);
    let data = (0..h as i32)
        .flat_map(|y| (0..w as i32).map(move |x| (x, y)))
        .map(|(x, y)| fit_at(guide, x, y, settings))
        .collect();
    Rgba::new(w, h, data).stored()
}

/// The refined mask at a frame pixel of colour `colour`, at normalised coordinates (u, v).
pub fn apply(coefficients: &Rgba, colour: [f32; 3], u: f32, v: f32) -> f32 {
    mask_from_fit(coefficients.sample(u, v), colour)
}

/// A linear model `(a.rgb, b)` applied to a colour: `clamp(a·colour + b, 0, 1)`.
pub fn mask_from_fit(fit: [f32; 4], colour: [f32; 3]) -> f32 {
    let [ar, ag, ab, b] = fit;
    (ar * colour[0] + ag * colour[1] + ab * colour[2] + b).clamp(0.0, 1.0)
}

/// The refined mask at frame resolution.
pub fn reference(frame: &Picture, guide: &Rgba, settings: &GuidedSettings) -> Plane {
    let coefficients = coefficients(guide, settings);
    let (w, h) = (frame.width, frame.height);
    let data = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| apply(&coefficients, frame.at(x, y), centre(x, w), centre(y, h)))
        .collect();
    Plane::new(w, h, data)
}
