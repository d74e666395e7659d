//! CPU resampling between frame and model resolution.
//!
//! Down to the model: bilinear with *corner-aligned* source coordinates, `x_src = x_dst · W/w`
//! (no half-pixel offset), as MediaPipe's warpAffine-based ImageToTensor does; a half-pixel-centred
//! resize differs from MediaPipe's masks by up to ~0.7 in places. SIMD resize crates sample at
//! pixel centres and round to u8, so this small two-tap f32 resize is our own (benchmarked in
//! `benches/preprocess.rs`).
//!
//! Up to the frame: the mask is upsampled bilinearly with half-pixel centres, as OpenCV's
//! `cv::resize` (MediaPipe's mask upsampling) and GPU texture sampling do.

use super::models::{InputRange, Layout, ModelInput};

/// One output coordinate's two source taps and the weight of the second.
#[derive(Clone, Copy, Debug)]
struct Tap {
    first: usize,
    second: usize,
    weight: f32,
}

/// Two-tap linear interpolation weights for each of `dst` outputs over `src` inputs, with
/// `source_of` mapping an output index to its (unclamped) source coordinate.
fn taps(src: u32, dst: u32, source_of: impl Fn(f32, f32) -> f32) -> Vec<Tap> {
    let scale = src as f32 / dst as f32;
    (0..dst)
        .map(|d| {
            let s = source_of(d as f32, scale).clamp(0.0, (src - 1) as f32);
            let first = s.floor() as usize;
            Tap {
                first,
                second: (first + 1).min(src as usize - 1),
                weight: s - first as f32,
            }
        })
        .collect()
}

fn corner_aligned_taps(src: u32, dst: u32) -> Vec<Tap> {
    taps(src, dst, |d, scale| d * scale)
}

fn half_pixel_taps(src: u32, dst: u32) -> Vec<Tap> {
    taps(src, dst, |d, scale| (d + 0.5) * scale - 0.5)
}

/// Resizes an RGBA8 frame to the model input and writes the input tensor into `out` (resized to
/// fit): RGB, scaled to the model's range, in its layout.
pub fn frame_to_tensor(
    rgba: &[u8],
    width: u32,
    height: u32,
    input: &ModelInput,
    out: &mut Vec<f32>,
) {
    let (w, h) = (input.width as usize, input.height as usize);
    assert_eq!(
        rgba.len(),
        width as usize * height as usize * 4,
        "frame size"
    );
    out.clear();
    out.resize(w * h * 3, 0.0);
    let xs = corner_aligned_taps(width, input.width);
    let ys = corner_aligned_taps(height, input.height);
    // Divide (not multiply by 1/255): at the identity size the tensor is then exactly x / 255.
    let (scale, offset) = match input.range {
        InputRange::ZeroToOne => (1.0, 0.0),
        InputRange::MinusOneToOne => (2.0, -1.0),
    };
    let row_len = width as usize * 4;
    for (y, ty) in ys.iter().enumerate() {
        let top = &rgba[ty.first * row_len..][..row_len];
        let bottom = &rgba[ty.second * row_len..][..row_len];
        for (x, tx) in xs.iter().enumerate() {
            let (a, b) = (tx.first * 4, tx.second * 4);
            for c in 0..3 {
                let upper = top[a + c] as f32 + (top[b + c] as f32 - top[a + c] as f32) * tx.weight;
                let lower = bottom[a + c] as f32
                    + (bottom[b + c] as f32 - bottom[a + c] as f32) * tx.weight;
                let value = (upper + (lower - upper) * ty.weight) / 255.0 * scale + offset;
                let index = match input.layout {
                    Layout::Nhwc => (y * w + x) * 3 + c,
                    Layout::Nchw => c * w * h + y * w + x,
                };
                out[index] = value;
            }
        }
    }
}

/// Upsamples a single-channel mask to frame size (bilinear, half-pixel centres).
pub fn upsample_mask(
    mask: &[f32],
    width: u32,
    height: u32,
    to_width: u32,
    to_height: u32,
) -> Vec<f32> {
    assert_eq!(mask.len(), width as usize * height as usize, "mask size");
    let xs = half_pixel_taps(width, to_width);
    let ys = half_pixel_taps(height, to_height);
    let w = width as usize;
    let mut out = Vec::with_capacity(to_width as usize * to_height as usize);
    for ty in &ys {
        let (top, bottom) = (&mask[ty.first * w..][..w], &mask[ty.second * w..][..w]);
        for tx in &xs {
            let upper = top[tx.first] + (top[tx.second] - top[tx.first]) * tx.weight;
            let lower = bottom[tx.first] + (bottom[tx.second] - bottom[tx.first]) * tx.weight;
            out.push(upper + (lower - upper) * ty.weight);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(width: u32, height: u32, layout: Layout) -> ModelInput {
        ModelInput {
            width,
            height,
            layout,
            range: InputRange::ZeroToOne,
        }
    }

    #[test]
    fn same_size_is_exact() {
        let rgba: Vec<u8> = (0..4 * 3 * 4).map(|i| (i * 7 % 256) as u8).collect();
        let mut out = Vec::new();
        frame_to_tensor(&rgba, 4, 3, &input(4, 3, Layout::Nhwc), &mut out);
        for p in 0..12 {
            for c in 0..3 {
                assert_eq!(out[p * 3 + c], rgba[p * 4 + c] as f32 / 255.0);
            }
        }
    }

    #[test]
    fn corner_aligned_mapping_samples_at_x_times_scale() {
        // A horizontal ramp 0,10,20,…: destination x samples source x·W/w exactly.
        let width = 8;
        let rgba: Vec<u8> = (0..width)
            .flat_map(|x| [(x * 10) as u8, 0, 0, 255])
            .collect();
        let mut out = Vec::new();
        frame_to_tensor(&rgba, width, 1, &input(3, 1, Layout::Nhwc), &mut out);
        let expected = [0.0, 8.0 / 3.0 * 10.0, 16.0 / 3.0 * 10.0];
        for (x, e) in expected.iter().enumerate() {
            assert!(
                (out[x * 3] * 255.0 - e).abs() < 1e-3,
                "x {x}: {}",
                out[x * 3] * 255.0
            );
        }
    }

    #[test]
    fn nchw_and_minus_one_to_one() {
        let rgba = [255u8, 0, 51, 255];
        let mut out = Vec::new();
        let mut model = input(1, 1, Layout::Nchw);
        model.range = InputRange::MinusOneToOne;
        frame_to_tensor(&rgba, 1, 1, &model, &mut out);
        assert_eq!(out.len(), 3);
        assert!((out[0] - 1.0).abs() < 1e-6 && (out[1] + 1.0).abs() < 1e-6);
        assert!((out[2] - (-0.6)).abs() < 1e-6);
    }

    #[test]
    fn upsampling_keeps_constants_and_edges() {
        assert!(
            upsample_mask(&[0.25; 6], 3, 2, 7, 5)
                .iter()
                .all(|v| (v - 0.25).abs() < 1e-6)
        );
        let up = upsample_mask(&[0.0, 1.0], 2, 1, 4, 1);
        assert_eq!(up, [0.0, 0.25, 0.75, 1.0]);
    }
}
