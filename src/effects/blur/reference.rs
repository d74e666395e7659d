//! The blur stage on the CPU: the reference the GPU pass is tested against.

use super::{BlurPlan, half_size};
use crate::effects::reference::{Picture, Plane, centre};

/// One pass, as the shader does it: `source` sampled bilinearly at the output's pixel centres.
fn pass(
    source: &Picture,
    mask: &Plane,
    out_w: u32,
    out_h: u32,
    plan: &BlurPlan,
    vertical: bool,
) -> Picture {
    let inv_two_var = 1.0 / (2.0 * plan.sigma * plan.sigma);
    let mut data = Vec::with_capacity(out_w as usize * out_h as usize);
    for y in 0..out_h {
        for x in 0..out_w {
            let (u, v) = (centre(x, out_w), centre(y, out_h));
            let centre_rgb = source.sample(u, v);
            let (mut total, mut kept, mut sum) = (0.0f32, 0.0f32, [0.0f32; 3]);
            for k in -plan.taps..=plan.taps {
                let offset = k as f32;
                let g = (-offset * offset * inv_two_var).exp();
                let (su, sv) = if vertical {
                    (u, v + offset / out_h as f32)
                } else {
                    (u + offset / out_w as f32, v)
                };
                let background = 1.0 - mask.sample(su, sv).clamp(0.0, 1.0);
                let colour = source.sample(su, sv);
                total += g;
                kept += g * background;
                for c in 0..3 {
                    sum[c] += g * background * colour[c];
                }
            }
            let fill = total - kept;
            data.push([0, 1, 2].map(|c| (sum[c] + fill * centre_rgb[c]) / total));
        }
    }
    Picture {
        width: out_w,
        height: out_h,
        data,
    }
}

/// The blurred background at half resolution, as the GPU passes compute it.
pub fn reference(frame: &Picture, mask: &Plane, plan: &BlurPlan) -> Picture {
    let (hw, hh) = half_size(frame.width, frame.height);
    let mut current = pass(frame, mask, hw, hh, plan, false);
    current = pass(&current, mask, hw, hh, plan, true);
    for _ in 1..plan.iterations {
        current = pass(&current, mask, hw, hh, plan, false);
        current = pass(&current, mask, hw, hh, plan, true);
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::blur::*;

    #[test]
    fn plans_cover_the_radius() {
        assert_eq!(BlurPlan::for_radius(0.5), None);
        let small = BlurPlan::for_radius(18.0).unwrap();
        assert_eq!((small.iterations, small.taps), (1, 9));
        let wide = BlurPlan::for_radius(240.0).unwrap();
        assert!(wide.iterations > 1 && wide.taps <= MAX_TAPS_PER_PASS);
        // The passes compose back to the radius's σ.
        let composed = wide.sigma * (wide.iterations as f32).sqrt();
        assert!((composed - 40.0).abs() < 1e-3);
    }

    #[test]
    fn the_widest_radius_takes_the_most_passes_and_no_more() {
        let widest = BlurPlan::for_radius(MAX_RADIUS).unwrap();
        assert_eq!(widest.iterations, MAX_PASS_PAIRS);
        assert!(widest.taps <= MAX_TAPS_PER_PASS);
        let composed = widest.sigma * (widest.iterations as f32).sqrt();
        assert!((composed - MAX_RADIUS / 6.0).abs() < 1e-3);
        // Beyond it, and for absurd values, the plan is the widest one.
        for radius in [MAX_RADIUS + 1.0, 5000.0, 100_000.0, f32::MAX] {
            assert_eq!(
                BlurPlan::for_radius(radius),
                Some(widest),
                "radius {radius}"
            );
        }
        assert_eq!(BlurPlan::for_radius(f32::INFINITY), None);
    }

    #[test]
    fn a_constant_picture_stays_constant_and_weights_sum_to_one() {
        let frame = Picture {
            width: 21,
            height: 13,
            data: vec![[0.2, 0.5, 0.9]; 21 * 13],
        };
        // Any mask: the weights (taps + centre fill) always sum to one.
        let mask = Plane::new(21, 13, (0..21 * 13).map(|i| (i % 7) as f32 / 6.0).collect());
        let out = reference(&frame, &mask, &BlurPlan::for_radius(12.0).unwrap());
        for p in &out.data {
            for (value, expected) in p.iter().zip(frame.data[0]) {
                assert!((value - expected).abs() < 1e-5);
            }
        }
    }
}
