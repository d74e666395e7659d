//! Mask decode on the CPU: the reference the GPU pass is tested against.

use crate::effects::reference::{Picture, Plane, Rgba, centre};
use crate::inference::OutputKind;

/// `raw` is pixel-interleaved (two values a pixel for two-class logits).
pub fn reference(raw: &[f32], width: u32, height: u32, kind: OutputKind) -> Plane {
    Plane::new(width, height, crate::inference::decode_raw(raw, kind))
}

/// The frame's colour over one mask pixel's footprint: four bilinear samples at a quarter of the
/// pixel from its centre (a 4×4-texel average where the frame is 2× the mask, close to the
/// footprint's mean up to ~4×).
pub fn footprint_colour(frame: &Picture, u: f32, v: f32, width: u32, height: u32) -> [f32; 3] {
    let (du, dv) = (0.25 / width as f32, 0.25 / height as f32);
    let mut sum = [0.0f32; 3];
    for (su, sv) in [(-du, -dv), (du, -dv), (-du, dv), (du, dv)] {
        let colour = frame.sample(u + su, v + sv);
        for c in 0..3 {
            sum[c] += colour[c];
        }
    }
    sum.map(|s| s * 0.25)
}

/// The decode pass's output: the frame at the mask's grid (RGB) with the decoded mask (A), as
/// the `Rgba16Float` texture stores them. The later model-resolution stages (temporal smoothing,
/// the refine) read this one texture.
pub fn guide(frame: &Picture, decoded: &Plane) -> Rgba {
    let (w, h) = (decoded.width, decoded.height);
    let data = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let [r, g, b] = footprint_colour(frame, centre(x, w), centre(y, h), w, h);
            [r, g, b, decoded.at(x, y)]
        })
        .collect();
    Rgba::new(w, h, data).stored()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_invariants() {
        // sigmoid(0) = 0.5; equal logits are a coin toss; probabilities pass through.
        assert_eq!(reference(&[0.0], 1, 1, OutputKind::Logits).data, [0.5]);
        assert_eq!(
            reference(&[3.0, 3.0], 1, 1, OutputKind::TwoClassLogits).data,
            [0.5]
        );
        assert_eq!(reference(&[0.3], 1, 1, OutputKind::Probability).data, [0.3]);
        // Two-class softmax is the sigmoid of the difference, and is monotone in the person logit.
        let a = reference(&[1.0, 2.5], 1, 1, OutputKind::TwoClassLogits).data[0];
        let b = reference(&[1.5], 1, 1, OutputKind::Logits).data[0];
        assert!((a - b).abs() < 1e-6);
        let low = reference(&[0.0, -4.0], 1, 1, OutputKind::TwoClassLogits).data[0];
        assert!(low < 0.02);
    }
}
