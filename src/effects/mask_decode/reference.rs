//! Mask decode on the CPU: the reference the GPU pass is tested against.

use crate::effects::reference::Plane;
use crate::inference::OutputKind;

/// `raw` is pixel-interleaved (two values a pixel for two-class logits).
pub fn reference(raw: &[f32], width: u32, height: u32, kind: OutputKind) -> Plane {
    Plane::new(width, height, crate::inference::decode_raw(raw, kind))
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
