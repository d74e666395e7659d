//! Temporal smoothing: the GPU pass against its CPU reference over a two-frame sequence, and the
//! behaviour the stage is for — less flicker on still masks, no trailing on moving ones — on the
//! CPU reference and through the GPU chain.

use bevy_backdrop::batch::BatchOutput;
use bevy_backdrop::capture::SourceSpec;
use bevy_backdrop::effects::reference::{Picture, Plane, Rgba};
use bevy_backdrop::effects::temporal::reference_step;
use bevy_backdrop::effects::{
    BackdropSettings, ChainView, TemporalSettings, mask_decode, reference_refined,
};
use bevy_backdrop::inference::models::{InputRange, Layout, ModelInput};
use bevy_backdrop::inference::preprocess::frame_to_tensor;
use bevy_backdrop::inference::{ModelError, ModelInfo, OutputKind, SegmentationBackend};

use crate::common::{custom_model, headless_with, max_channel_difference, noise_image, read_png};

/// A "model" whose person probability is the input's red channel: masks follow the frames.
struct RedIsPerson;

impl SegmentationBackend for RedIsPerson {
    fn backend_name(&self) -> &'static str {
        "red channel"
    }

    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        Ok(input.chunks_exact(3).map(|p| p[0]).collect())
    }
}

fn red_model(width: u32, height: u32) -> ModelInfo {
    ModelInfo {
        id: "red".into(),
        name: "red channel".into(),
        file: "none".into(),
        input: ModelInput {
            width,
            height,
            layout: Layout::Nhwc,
            range: InputRange::ZeroToOne,
        },
        output: OutputKind::Probability,
        licence: "test".into(),
        sha256: None,
    }
}

/// Frames with a red disc moving right by `step` px a frame, over textured grey.
fn moving_disc(width: u32, height: u32, k: u32, step: u32) -> image::RgbaImage {
    let noise = noise_image(width, height, 5);
    image::RgbaImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (
            x as f32 - (20 + k * step) as f32,
            y as f32 - height as f32 / 2.0,
        );
        let n = noise.get_pixel(x, y).0;
        if dx * dx + dy * dy < 144.0 {
            image::Rgba([230, 60 + n[1] / 16, 50, 255])
        } else {
            image::Rgba([40 + n[0] / 16, 90, 100, 255])
        }
    })
}

fn render(
    dir: &std::path::Path,
    frames: &[image::RgbaImage],
    mask: (u32, u32),
    settings: BackdropSettings,
) -> Vec<image::RgbaImage> {
    render_with(dir, frames, mask, settings, || Box::new(RedIsPerson))
}

fn render_with(
    dir: &std::path::Path,
    frames: &[image::RgbaImage],
    mask: (u32, u32),
    settings: BackdropSettings,
    make: impl Fn() -> Box<dyn SegmentationBackend> + Send + Sync + 'static,
) -> Vec<image::RgbaImage> {
    let input = dir.join("in");
    let out = dir.join("out");
    std::fs::create_dir_all(&input).unwrap();
    for (k, frame) in frames.iter().enumerate() {
        frame.save(input.join(format!("f{k:03}.png"))).unwrap();
    }
    let model = custom_model(red_model(mask.0, mask.1), make);
    headless_with(
        SourceSpec::Sequence(input),
        None,
        &out,
        Some(model),
        false,
        settings,
    );
    (0..frames.len())
        .map(|k| read_png(&BatchOutput::frame_path(&out, k as u64)))
        .collect()
}

#[test]
fn the_temporal_pass_matches_cpu_over_a_sequence() {
    for (w, h, mask) in [(96, 64, (48, 32)), (641, 479, (256, 144)), (1, 1, (4, 4))] {
        temporal_matches_cpu(w, h, mask);
    }
}

fn temporal_matches_cpu(w: u32, h: u32, mask: (u32, u32)) {
    let frames: Vec<_> = (0..3).map(|k| moving_disc(w, h, k, 3)).collect();
    let settings = BackdropSettings {
        view: ChainView::RefinedMask,
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let gpu = render(dir.path(), &frames, mask, settings.clone());

    let info = red_model(mask.0, mask.1);
    let mut previous: Option<Rgba> = None;
    for (k, frame) in frames.iter().enumerate() {
        let picture = Picture::from_rgba8(frame.as_raw(), w, h);
        let mut input = Vec::new();
        frame_to_tensor(frame.as_raw(), w, h, &info.input, &mut input);
        let raw: Vec<f32> = input.chunks_exact(3).map(|p| p[0]).collect();
        let decoded = mask_decode::reference(&raw, mask.0, mask.1, OutputKind::Probability);
        let guide = mask_decode::guide(&picture, &decoded);
        let smoothed = reference_step(previous.as_ref(), &guide, &settings.temporal);
        let refined = reference_refined(&picture, &smoothed, &settings).frame_mask(&picture);
        let expected = image::RgbaImage::from_fn(w, h, |x, y| {
            let v = (refined.at(x, y).clamp(0.0, 1.0) * 255.0).round() as u8;
            image::Rgba([v, v, v, 255])
        });
        let diff = max_channel_difference(&expected, &gpu[k]);
        println!("temporal at {w}×{h}, frame {k}: max |GPU − CPU| = {diff}/255");
        assert!(diff <= 2, "{w}×{h}, frame {k}: {diff}/255");
        previous = Some(smoothed);
    }
}

/// A deterministic noise source for the flicker test.
fn noise(seed: &mut u32) -> f32 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    (*seed % 10_000) as f32 / 10_000.0 - 0.5
}

/// A frame and a mask of its size as one guide (colour, mask), the temporal stage's input.
fn guide_of(frame: &Picture, mask: &Plane) -> Rgba {
    let data = frame
        .data
        .iter()
        .zip(&mask.data)
        .map(|(c, &m)| [c[0], c[1], c[2], m])
        .collect();
    Rgba::new(frame.width, frame.height, data)
}

#[test]
fn a_still_subject_flickers_less() {
    let (w, h) = (64u32, 48u32);
    let frame = Picture::from_rgba8(noise_image(w, h, 1).as_raw(), w, h);
    let base: Vec<f32> = (0..w * h)
        .map(|i| if i % w < 32 { 0.9 } else { 0.1 })
        .collect();
    let mut seed = 0x9e37_79b9u32;
    let updates: Vec<Plane> = (0..30)
        .map(|_| {
            Plane::new(
                w,
                h,
                base.iter()
                    .map(|b| (b + 0.3 * noise(&mut seed)).clamp(0.0, 1.0))
                    .collect(),
            )
        })
        .collect();
    let mean_change = |masks: &[Plane]| {
        let total: f32 = masks
            .windows(2)
            .map(|pair| {
                pair[0]
                    .data
                    .iter()
                    .zip(&pair[1].data)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f32>()
            })
            .sum();
        total / ((masks.len() - 1) as f32 * (w * h) as f32)
    };
    let mut history: Option<Rgba> = None;
    let mut smoothed: Vec<Plane> = Vec::new();
    for decoded in &updates {
        let next = reference_step(
            history.as_ref(),
            &guide_of(&frame, decoded),
            &TemporalSettings::default(),
        );
        smoothed.push(next.alpha());
        history = Some(next);
    }
    let (raw, calm) = (mean_change(&updates), mean_change(&smoothed[5..]));
    println!(
        "mean change between updates: {raw:.4} without, {calm:.4} with smoothing ({:.0}% less)",
        100.0 * (1.0 - calm / raw)
    );
    assert!(calm <= 0.5 * raw, "{calm} vs {raw}");
}

#[test]
fn a_moving_edge_does_not_trail() {
    // A step edge (mask and frame colour alike) moving 4 px per update.
    let (w, h) = (120u32, 4u32);
    let at = |edge: u32| {
        let frame = Picture {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| {
                    if i % w < edge {
                        [0.9, 0.7, 0.6]
                    } else {
                        [0.2, 0.3, 0.4]
                    }
                })
                .collect(),
        };
        let mask = Plane::new(
            w,
            h,
            (0..w * h)
                .map(|i| if i % w < edge { 1.0 } else { 0.0 })
                .collect(),
        );
        (frame, mask)
    };
    // N = 1: after a single update the 0.5 crossing is at the true edge.
    const N: usize = 1;
    let mut history: Option<Rgba> = None;
    for k in 0..10u32 {
        let edge = 30 + 4 * k;
        let (frame, mask) = at(edge);
        let out = reference_step(
            history.as_ref(),
            &guide_of(&frame, &mask),
            &TemporalSettings::default(),
        );
        if k as usize >= N {
            let crossing = (0..w).find(|&x| out.at(x, 1)[3] < 0.5).unwrap();
            assert!(
                crossing.abs_diff(edge) <= 1,
                "update {k}: crossing at {crossing}, edge at {edge}"
            );
        }
        history = Some(out);
    }
}

/// [`RedIsPerson`], but its mask flickers (noise a run) over the left `noisy_columns` model
/// columns, where the frames stand still: what a real model does on a still background.
struct FlickeringRed {
    seed: u32,
    width: usize,
    noisy_columns: usize,
}

impl SegmentationBackend for FlickeringRed {
    fn backend_name(&self) -> &'static str {
        "red channel, flickering"
    }

    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        Ok(input
            .chunks_exact(3)
            .enumerate()
            .map(|(i, p)| {
                let flicker = if i % self.width < self.noisy_columns {
                    0.3 * noise(&mut self.seed)
                } else {
                    0.0
                };
                (p[0] + flicker).clamp(0.0, 1.0)
            })
            .collect())
    }
}

#[test]
fn on_the_gpu_still_regions_calm_down_and_a_moving_edge_does_not_trail() {
    // Through the real chain (headless, lockstep): a disc moving 4 px a frame over a still
    // background whose mask flickers on the left. Smoothing on against off, frame by frame.
    let (w, h, mask) = (128u32, 64u32, (64u32, 32u32));
    let frames: Vec<_> = (0..10).map(|k| moving_disc(w, h, k + 7, 4)).collect();
    let dir = tempfile::tempdir().unwrap();
    let run = |smoothing: f32, sub: &str| {
        let settings = BackdropSettings {
            view: ChainView::RefinedMask,
            temporal: TemporalSettings {
                smoothing,
                ..Default::default()
            },
            ..Default::default()
        };
        let out = render_with(&dir.path().join(sub), &frames, mask, settings, move || {
            Box::new(FlickeringRed {
                seed: 0x2545_f491,
                width: mask.0 as usize,
                noisy_columns: 8,
            })
        });
        out.iter()
            .map(|img| {
                img.pixels()
                    .map(|p| p.0[0] as f32 / 255.0)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let (smooth, plain) = (run(0.85, "on"), run(0.0, "off"));
    let at = |img: &[f32], x: u32, y: u32| img[(y * w + x) as usize];

    // Still and flickering (frame columns 0–11, clear of the upsample's reach into column 16):
    // smoothing must at least halve the change from one frame to the next.
    let change = |masks: &[Vec<f32>]| {
        let mut total = 0.0;
        for pair in masks[2..].windows(2) {
            for y in 0..h {
                for x in 0..12 {
                    total += (at(&pair[0], x, y) - at(&pair[1], x, y)).abs();
                }
            }
        }
        total
    };
    let (calm, raw) = (change(&smooth), change(&plain));
    println!("still region: change {calm:.2} smoothed vs {raw:.2} unsmoothed");
    assert!(raw > 5.0, "the flicker reached the refined mask: {raw}");
    assert!(
        calm <= 0.5 * raw,
        "smoothing did not calm the still region: {calm} vs {raw}"
    );

    // Moving: the disc's leading edge (its rightmost covered pixel on the middle row) is where
    // the unsmoothed mask has it, within a pixel, on every frame.
    let leading = |img: &[f32]| (0..w).rev().find(|&x| at(img, x, h / 2) >= 0.5);
    for k in 1..frames.len() {
        let (a, b) = (leading(&smooth[k]), leading(&plain[k]));
        println!("frame {k}: leading edge {a:?} smoothed, {b:?} unsmoothed");
        let (a, b) = (a.expect("the disc is there"), b.expect("the disc is there"));
        assert!(
            a.abs_diff(b) <= 1,
            "frame {k}: the smoothed edge trails: {a} vs {b}"
        );
    }
}
