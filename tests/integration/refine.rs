//! The guided refine against the joint bilateral it replaces, on photos of people with the
//! models' own masks, measured where the two can differ: the edge band (pixels where the
//! bilateral's mask is in (0.05, 0.95), dilated by 3 px; a whole-frame figure is dominated by
//! flat mask and would let plain bilinear pass). Plain bilinear upsampling goes through the same
//! test and must fail it. And against MediaPipe's own frame-size masks, the guided refine agrees
//! no less than the bilateral does.
//!
//! CPU references only: each is tested against its GPU pass in `effects.rs`.

use std::path::PathBuf;

use bevy_backdrop::capture::Frame;
use bevy_backdrop::effects::reference::{Picture, Plane, centre};
use bevy_backdrop::effects::{
    GuidedSettings, JointBilateralSettings, bilateral, guided, mask_decode,
};
use bevy_backdrop::inference::backend::{BackendKind, load_backend};
use bevy_backdrop::inference::compare::iou;
use bevy_backdrop::inference::models::{ModelInfo, ModelRegistry, default_models_dir};
use bevy_backdrop::inference::run_model;

use crate::inference::reference_mask;

/// In the edge band: IoU of `mask > 0.5` at least this, mean |Δ| at most this.
const MIN_BAND_IOU: f64 = 0.97;
const MAX_BAND_MEAN: f64 = 0.03;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The photos: the committed portrait (whole, and its top 512×288 as a landscape frame), and the
/// team's sample photos in `../shared/media` where that folder is beside the checkout (CI has it).
fn photos() -> Vec<(String, image::RgbaImage)> {
    let portrait = image::open(root().join("assets/samples/astronaut.jpg"))
        .unwrap()
        .into_rgba8();
    let landscape = image::imageops::crop_imm(&portrait, 0, 0, 512, 288).to_image();
    let mut photos = vec![
        ("astronaut 512×512".to_owned(), portrait),
        ("astronaut top 512×288".to_owned(), landscape),
    ];
    let shared = root().join("../shared/media");
    for name in ["doctor-5871743_640.jpg", "woman-5883428_1280.jpg"] {
        let path = shared.join(name);
        match image::open(&path) {
            Ok(photo) => photos.push((name.to_owned(), photo.into_rgba8())),
            Err(why) => println!("SKIPPING {}: {why}", path.display()),
        }
    }
    photos
}

/// The model's decoded mask for a photo (tract: the same numbers as MediaPipe's, see
/// `inference.rs`).
fn model_mask(registry: &ModelRegistry, model: &ModelInfo, photo: &image::RgbaImage) -> Plane {
    let mut backend = load_backend(BackendKind::Tract, registry, model, 1).unwrap();
    let frame = Frame::new(0, photo.width(), photo.height(), photo.as_raw().clone());
    let mask = run_model(backend.as_mut(), model, &frame, 0).unwrap();
    Plane::new(mask.width, mask.height, mask.probability())
}

/// The bilateral's soft pixels, dilated by 3 px (a 7×7 square).
fn edge_band(bilateral: &Plane) -> Vec<bool> {
    let (w, h) = (bilateral.width as i32, bilateral.height as i32);
    let mut band = vec![false; bilateral.data.len()];
    for y in 0..h {
        for x in 0..w {
            let value = bilateral.data[(y * w + x) as usize];
            if value <= 0.05 || value >= 0.95 {
                continue;
            }
            for yy in (y - 3).max(0)..=(y + 3).min(h - 1) {
                for xx in (x - 3).max(0)..=(x + 3).min(w - 1) {
                    band[(yy * w + xx) as usize] = true;
                }
            }
        }
    }
    band
}

/// IoU of `mask > 0.5` and mean |Δ| over the band.
fn band_figures(band: &[bool], a: &Plane, b: &Plane) -> (f64, f64) {
    let (picked_a, picked_b): (Vec<f32>, Vec<f32>) = band
        .iter()
        .zip(a.data.iter().zip(&b.data))
        .filter(|(inside, _)| **inside)
        .map(|(_, (x, y))| (*x, *y))
        .unzip();
    let mean = picked_a
        .iter()
        .zip(&picked_b)
        .map(|(x, y)| (x - y).abs() as f64)
        .sum::<f64>()
        / picked_a.len() as f64;
    (iou(&picked_a, &picked_b), mean)
}

fn bilinear(picture: &Picture, decoded: &Plane) -> Plane {
    let (w, h) = (picture.width, picture.height);
    let data = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| decoded.sample(centre(x, w), centre(y, h)))
        .collect();
    Plane::new(w, h, data)
}

fn passes(figures: (f64, f64)) -> bool {
    figures.0 >= MIN_BAND_IOU && figures.1 <= MAX_BAND_MEAN
}

#[test]
fn the_guided_refine_matches_the_bilateral_in_the_edge_band_and_bilinear_does_not() {
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    let photos = photos();
    let mut failures = Vec::new();
    println!(
        "| model | photo | band px | guided IoU | guided mean |Δ| | bilinear IoU | bilinear mean |Δ| |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for model in &registry.models {
        for (name, photo) in &photos {
            let decoded = model_mask(&registry, model, photo);
            let picture = Picture::from_rgba8(photo.as_raw(), photo.width(), photo.height());
            let reference =
                bilateral::reference(&picture, &decoded, &JointBilateralSettings::default());
            let band = edge_band(&reference);
            let guide = mask_decode::guide(&picture, &decoded);
            let refined = guided::reference(&picture, &guide, &GuidedSettings::default());
            let new = band_figures(&band, &refined, &reference);
            let plain = band_figures(&band, &bilinear(&picture, &decoded), &reference);
            let pixels = band.iter().filter(|b| **b).count();
            println!(
                "| {} | {name} | {pixels} | {:.4} | {:.4} | {:.4} | {:.4} |",
                model.id, new.0, new.1, plain.0, plain.1
            );
            assert!(pixels > 1000, "{name}: the band is only {pixels} px");
            if !passes(new) {
                failures.push(format!("{} {name}: guided {new:?}", model.id));
            }
            if passes(plain) {
                failures.push(format!(
                    "{} {name}: bilinear passes too ({plain:?}): the test cannot tell",
                    model.id
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The fixtures MediaPipe's frame-size masks were made for (tests/fixtures/segmentation).
fn frame_size_fixtures() -> [&'static str; 2] {
    ["astronaut_384x288", "camera_300x400"]
}

#[test]
fn against_mediapipe_the_guided_refine_agrees_no_less_than_the_bilateral() {
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    let fixtures = root().join("tests/fixtures/segmentation");
    for model in &registry.models {
        for fixture in frame_size_fixtures() {
            let photo = image::open(fixtures.join(format!("{fixture}.png")))
                .unwrap()
                .into_rgba8();
            let decoded = model_mask(&registry, model, &photo);
            let picture = Picture::from_rgba8(photo.as_raw(), photo.width(), photo.height());
            let (_, _, expected) = reference_mask(&model.id, fixture);
            let bilateral =
                bilateral::reference(&picture, &decoded, &JointBilateralSettings::default());
            let guide = mask_decode::guide(&picture, &decoded);
            let refined = guided::reference(&picture, &guide, &GuidedSettings::default());
            let (old, new) = (
                iou(&bilateral.data, &expected),
                iou(&refined.data, &expected),
            );
            println!(
                "{} {fixture}: IoU with MediaPipe's mask: bilateral {old:.5}, guided {new:.5}",
                model.id
            );
            // "No less" up to the fourth decimal: a few pixels either way at 0.5 are noise.
            assert!(
                new >= old - 1e-3,
                "{} {fixture}: guided {new:.5} < bilateral {old:.5}",
                model.id
            );
        }
    }
}
