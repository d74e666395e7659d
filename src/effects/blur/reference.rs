//! The blur stage on the CPU: the reference the GPU passes are tested against.

use super::BlurPlan;
use crate::effects::guided;
use crate::effects::reference::{Picture, Plane, Rgba, centre, inside_share};

/// The binomial taps' offset, in source texels (see `shaders/blur.wgsl`).
const DOWN_OFFSET: f32 = 0.75;
/// Below this blurred weight the pixel's own colour fills in (see `shaders/composite.wgsl`).
pub const MIN_WEIGHT: f32 = 0.02;

/// Where the blur reads the refined mask at frame resolution: the joint bilateral's mask
/// (sampled bilinearly), or the guided filter's coefficients (applied to the colour there).
#[derive(Clone, Copy, Debug)]
pub enum MaskSource<'a> {
    Refined(&'a Plane),
    Guided(&'a Rgba),
}

impl MaskSource<'_> {
    /// The refine's linear model at (u, v), `(a.rgb, b)`: the guided filter's coefficients, or
    /// the bilateral's mask as a model without colour (a = 0, b = the mask).
    pub fn fit(&self, u: f32, v: f32) -> [f32; 4] {
        match self {
            Self::Refined(plane) => [0.0, 0.0, 0.0, plane.sample(u, v)],
            Self::Guided(coefficients) => coefficients.sample(u, v),
        }
    }

    /// The person probability at (u, v), where the frame's colour is `colour`.
    pub fn at(&self, u: f32, v: f32, colour: [f32; 3]) -> f32 {
        guided::mask_from_fit(self.fit(u, v), colour)
    }
}

/// The four binomial taps around (u, v) over a source of `size`.
fn down_taps(u: f32, v: f32, size: (u32, u32)) -> [(f32, f32); 4] {
    let (du, dv) = (DOWN_OFFSET / size.0 as f32, DOWN_OFFSET / size.1 as f32);
    [(-du, -dv), (du, -dv), (-du, dv), (du, dv)].map(|(x, y)| (u + x, v + y))
}

/// Level 1: each 2×2 block of frame texels averaged (the shader's one bilinear sample at the
/// level-1 texel's centre), premultiplied by the block's background weight: the refine's model
/// at that centre applied to the block's colour (no weight beyond the frame's edge).
fn down_from_frame(frame: &Picture, mask: &MaskSource, size: (u32, u32)) -> Rgba {
    let data = (0..size.1)
        .flat_map(|y| (0..size.0).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (u, v) = (centre(x, size.0), centre(y, size.1));
            let colour = frame.sample(u, v);
            let inside = inside_share(u, v, frame.width, frame.height);
            let weight = (1.0 - mask.at(u, v, colour)) * inside;
            [
                colour[0] * weight,
                colour[1] * weight,
                colour[2] * weight,
                weight,
            ]
        })
        .collect();
    Rgba::new(size.0, size.1, data).stored()
}

/// Level 2: each 4×4 block of frame texels as the shader reads it, four bilinear samples at the
/// centres of its 2×2 quarters (one frame texel each way from the level-2 texel's centre), each
/// premultiplied by its background weight: the refine's model at the level-2 texel's centre
/// applied to that quarter's colour (no weight beyond the frame's edge); their mean.
fn quarter_from_frame(frame: &Picture, mask: &MaskSource, size: (u32, u32)) -> Rgba {
    let (du, dv) = (1.0 / frame.width as f32, 1.0 / frame.height as f32);
    let data = (0..size.1)
        .flat_map(|y| (0..size.0).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (u, v) = (centre(x, size.0), centre(y, size.1));
            let fit = mask.fit(u, v);
            let mut sum = [0.0f32; 4];
            for (u, v) in [(-du, -dv), (du, -dv), (-du, dv), (du, dv)].map(|(a, b)| (u + a, v + b))
            {
                let colour = frame.sample(u, v);
                let inside = inside_share(u, v, frame.width, frame.height);
                let weight = (1.0 - guided::mask_from_fit(fit, colour)) * inside;
                for c in 0..3 {
                    sum[c] += colour[c] * weight;
                }
                sum[3] += weight;
            }
            sum.map(|s| s * 0.25)
        })
        .collect();
    Rgba::new(size.0, size.1, data).stored()
}

/// The next level down.
fn down(above: &Rgba, size: (u32, u32)) -> Rgba {
    let data = (0..size.1)
        .flat_map(|y| (0..size.0).map(move |x| (x, y)))
        .map(|(x, y)| {
            let mut sum = [0.0f32; 4];
            for (u, v) in down_taps(
                centre(x, size.0),
                centre(y, size.1),
                (above.width, above.height),
            ) {
                let texel = above.sample_or_zero(u, v);
                for c in 0..4 {
                    sum[c] += texel[c];
                }
            }
            sum.map(|s| s * 0.25)
        })
        .collect();
    Rgba::new(size.0, size.1, data).stored()
}

/// One direction of the Gaussian at the coarsest level (nothing beyond the edge).
fn gaussian(level: &Rgba, plan: &BlurPlan, vertical: bool) -> Rgba {
    let inv_two_var = 1.0 / (2.0 * plan.sigma * plan.sigma);
    let taps = plan.taps as i32;
    let data = (0..level.height as i32)
        .flat_map(|y| (0..level.width as i32).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (mut total, mut sum) = (0.0f32, [0.0f32; 4]);
            for k in -taps..=taps {
                let g = (-((k * k) as f32) * inv_two_var).exp();
                let (tx, ty) = if vertical { (x, y + k) } else { (x + k, y) };
                let inside =
                    (0..level.width as i32).contains(&tx) && (0..level.height as i32).contains(&ty);
                let texel = if inside {
                    level.clamped(tx, ty)
                } else {
                    [0.0; 4]
                };
                for c in 0..4 {
                    sum[c] += g * texel[c];
                }
                total += g;
            }
            sum.map(|s| s / total)
        })
        .collect();
    Rgba::new(level.width, level.height, data).stored()
}

/// The coarsest level read at `size` with a cubic B-spline, as four bilinear samples the way the
/// shader does.
fn up(level: &Rgba, size: (u32, u32)) -> Rgba {
    let axis = |t: f32, n: u32| {
        let p = t * n as f32 - 0.5;
        let i = p.floor();
        let f = p - i;
        let (f2, f3) = (f * f, f * f * f);
        let w0 = (1.0 - 3.0 * f + 3.0 * f2 - f3) / 6.0;
        let w1 = (4.0 - 6.0 * f2 + 3.0 * f3) / 6.0;
        let w2 = (1.0 + 3.0 * f + 3.0 * f2 - 3.0 * f3) / 6.0;
        let w3 = f3 / 6.0;
        let (g0, g1) = (w0 + w1, w2 + w3);
        let n = n as f32;
        [(g0, (i - 0.5 + w1 / g0) / n), (g1, (i + 1.5 + w3 / g1) / n)]
    };
    let data = (0..size.1)
        .flat_map(|y| (0..size.0).map(move |x| (x, y)))
        .map(|(x, y)| {
            let mut sum = [0.0f32; 4];
            for (gy, sv) in axis(centre(y, size.1), level.height) {
                for (gx, su) in axis(centre(x, size.0), level.width) {
                    let texel = level.sample_or_zero(su, sv);
                    for c in 0..4 {
                        sum[c] += gx * gy * texel[c];
                    }
                }
            }
            sum
        })
        .collect();
    Rgba::new(size.0, size.1, data).stored()
}

/// The blur's result at the level the composite reads (premultiplied colour, weight), as the GPU
/// passes leave it.
pub fn reference(frame: &Picture, mask: &MaskSource, plan: &BlurPlan) -> Rgba {
    let sizes = plan.drawn_level_sizes(frame.width, frame.height);
    let mut level = if plan.read_level() == 1 {
        down_from_frame(frame, mask, sizes[0])
    } else {
        quarter_from_frame(frame, mask, sizes[0])
    };
    for &size in &sizes[1..] {
        level = down(&level, size);
    }
    if plan.taps > 0 {
        level = gaussian(&gaussian(&level, plan, false), plan, true);
    }
    if sizes.len() > 1 {
        level = up(&level, sizes[0]);
    }
    level
}

/// The blurred background at (u, v), where the frame's colour is `own`: the read level sampled
/// bilinearly, colour divided by weight; where almost no background weight is near, `own` fills
/// in.
pub fn background_at(level: &Rgba, u: f32, v: f32, own: [f32; 3]) -> [f32; 3] {
    let sum = level.sample_or_zero(u, v);
    let fill = (MIN_WEIGHT - sum[3]).max(0.0);
    let weight = sum[3].max(MIN_WEIGHT);
    [0, 1, 2].map(|c| (sum[c] + fill * own[c]) / weight)
}

/// The blurred background at every frame pixel.
pub fn background(level: &Rgba, frame: &Picture) -> Picture {
    let (w, h) = (frame.width, frame.height);
    let data = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| background_at(level, centre(x, w), centre(y, h), frame.at(x, y)))
        .collect();
    Picture {
        width: w,
        height: h,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::blur::*;

    #[test]
    fn plans_add_up_to_the_radius() {
        assert_eq!(BlurPlan::for_radius(0.5), None);
        assert_eq!(BlurPlan::for_radius(f32::INFINITY), None);
        for radius in [6.0f32, 18.0, 45.0, 120.0, 200.0, MAX_RADIUS] {
            let plan = BlurPlan::for_radius(radius).unwrap();
            assert!(
                (plan.drawn_sigma() - radius / 3.0).abs() < 1e-3 * radius,
                "radius {radius}: {plan:?} draws σ {}",
                plan.drawn_sigma()
            );
            assert!(plan.sigma <= MAX_LEVEL_SIGMA && plan.taps <= 8, "{plan:?}");
        }
        // A wider radius adds levels, not taps.
        let (small, wide) = (
            BlurPlan::for_radius(18.0).unwrap(),
            BlurPlan::for_radius(200.0).unwrap(),
        );
        assert!(wide.levels > small.levels && wide.taps <= 8);
        // Beyond the widest radius, and for absurd values, the plan is the widest one.
        let widest = BlurPlan::for_radius(MAX_RADIUS);
        for radius in [MAX_RADIUS + 1.0, 5000.0, 100_000.0, f32::MAX] {
            assert_eq!(BlurPlan::for_radius(radius), widest, "radius {radius}");
        }
        // The narrowest blur the pyramid draws.
        let tiny = BlurPlan::for_radius(1.0).unwrap();
        assert_eq!((tiny.levels, tiny.taps), (1, 0));
        // σ² = 1/4 (the box) + 4/6 + 1/12 (the composite's bilinear read of level 1 at frame
        // pixels: weights 1/8, 3/8, 3/8, 1/8 at ±1/2 and ±3/2 over both phases, 3/4), in frame
        // pixels².
        assert!((tiny.drawn_sigma() - 1.0).abs() < 1e-4, "{tiny:?}");
    }

    /// The variance each plan counts on (`drawn_sigma`) is the variance the pipeline draws: the
    /// response to a vertical line, read at frame resolution, has that second moment about the
    /// line, averaged over the line's four positions within a level-2 texel (below its coarsest
    /// level the pyramid is not shift-invariant). The pipeline is separable, so one row's profile
    /// is the whole response's.
    #[test]
    fn a_lines_response_has_the_planned_variance() {
        let (width, height) = (256, 16);
        let no_person = Plane::new(width, height, vec![0.0; (width * height) as usize]);
        for radius in [2.0f32, 6.0, 12.0, 18.0, 45.0] {
            let plan = BlurPlan::for_radius(radius).unwrap();
            let mut variance = 0.0;
            for phase in 0..4 {
                let line = 128 + phase;
                let frame = Picture {
                    width,
                    height,
                    data: (0..width * height)
                        .map(|i| {
                            if i % width == line {
                                [1.0; 3]
                            } else {
                                [0.0; 3]
                            }
                        })
                        .collect(),
                };
                let level = reference(&frame, &MaskSource::Refined(&no_person), &plan);
                let v = centre(height / 2, height);
                let (mut m0, mut m2) = (0.0f64, 0.0f64);
                for x in 0..width {
                    let r = level.sample_or_zero(centre(x, width), v)[0] as f64;
                    let d = x as f64 - line as f64;
                    (m0, m2) = (m0 + r, m2 + r * d * d);
                }
                variance += (m2 / m0) / 4.0;
            }
            let planned = (plan.drawn_sigma() as f64).powi(2);
            println!("radius {radius}: {plan:?} plans σ² {planned:.3}, draws {variance:.3}");
            assert!(
                (variance - planned).abs() < 0.01 * planned,
                "radius {radius}: {plan:?} plans σ² {planned:.3} but draws {variance:.3}"
            );
        }
    }

    #[test]
    fn a_constant_picture_stays_constant_whatever_the_mask() {
        let frame = Picture {
            width: 21,
            height: 13,
            data: vec![[0.2, 0.5, 0.875]; 21 * 13],
        };
        // Any mask short of all-person: colour and weight blur alike, their ratio is the colour.
        let mask = Plane::new(21, 13, (0..21 * 13).map(|i| (i % 7) as f32 / 7.0).collect());
        let plan = BlurPlan::for_radius(12.0).unwrap();
        let level = reference(&frame, &MaskSource::Refined(&mask), &plan);
        for p in &background(&level, &frame).data {
            for (value, expected) in p.iter().zip(frame.data[0]) {
                assert!((value - expected).abs() < 2e-3, "{p:?}");
            }
        }
    }

    /// The shaders' copies of the constants the CPU side uses (WGSL has no way to take a float
    /// from Rust at compile time): a test keeps them one value.
    #[test]
    fn the_shaders_constants_are_these() {
        let constant = |source: &str, name: &str| -> f32 {
            let line = source
                .lines()
                .find(|l| l.starts_with(&format!("const {name}: f32 = ")))
                .unwrap_or_else(|| panic!("{name} is not declared"));
            line.rsplit(' ')
                .next()
                .unwrap()
                .trim_end_matches(';')
                .parse()
                .unwrap()
        };
        let composite = include_str!("../../../shaders/composite.wgsl");
        let blur = include_str!("../../../shaders/blur.wgsl");
        assert_eq!(constant(composite, "MIN_WEIGHT"), MIN_WEIGHT);
        assert_eq!(constant(blur, "DOWN_OFFSET"), DOWN_OFFSET);
    }

    #[test]
    fn all_person_falls_back_to_the_frame() {
        let frame = Picture {
            width: 8,
            height: 8,
            data: (0..64).map(|i| [i as f32 / 64.0, 0.5, 0.25]).collect(),
        };
        let mask = Plane::new(8, 8, vec![1.0; 64]);
        let plan = BlurPlan::for_radius(18.0).unwrap();
        let level = reference(&frame, &MaskSource::Refined(&mask), &plan);
        for (got, own) in background(&level, &frame).data.iter().zip(&frame.data) {
            for c in 0..3 {
                assert!((got[c] - own[c]).abs() < 1e-6, "{got:?} vs {own:?}");
            }
        }
    }
}
