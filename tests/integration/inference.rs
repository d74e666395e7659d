//! Segmentation against MediaPipe's own masks (tests/fixtures/segmentation, made by
//! models/convert/reference_masks.py), model files, bad models, and backend fallback.

use std::path::{Path, PathBuf};
use std::process::Command;

use bevy_backdrop::capture::Frame;
use bevy_backdrop::inference::backend::{BackendKind, load_backend, load_backend_from_bytes};
use bevy_backdrop::inference::models::{ModelError, ModelRegistry, default_models_dir};
use bevy_backdrop::inference::preprocess::upsample_mask;
use bevy_backdrop::inference::{ort_runtime, run_model};
use sha2::{Digest, Sha256};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/segmentation")
}

pub fn load_frame(path: &Path) -> Frame {
    let rgba = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_rgba8();
    Frame::new(0, rgba.width(), rgba.height(), rgba.into_raw())
}

/// MediaPipe's mask for a fixture: 16-bit PNG, probability × 65535.
pub fn reference_mask(model: &str, fixture: &str) -> (u32, u32, Vec<f32>) {
    let path = fixture_dir()
        .join("expected")
        .join(model)
        .join(format!("{fixture}.png"));
    let mask = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_luma16();
    let values = mask.as_raw().iter().map(|&v| v as f32 / 65535.0).collect();
    (mask.width(), mask.height(), values)
}

/// The fixtures with a reference for `model`, by name.
fn fixtures_for(model: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir().join("expected").join(model))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no reference masks for {model}");
    names
}

pub use bevy_backdrop::inference::compare::iou;

/// The backends to test here. ONNX Runtime may be absent on a developer's machine (the test says
/// so and skips it); on CI, which installs it, its absence is a failure.
fn backends() -> Vec<BackendKind> {
    let mut kinds = vec![BackendKind::Tract];
    match ort_runtime::status() {
        Ok(found) => {
            println!("ONNX Runtime: {found}");
            kinds.push(BackendKind::Ort);
        }
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but ONNX Runtime is unavailable: {why}")
        }
        Err(why) => println!("SKIPPING the ONNX Runtime cases: {why}"),
    }
    kinds
}

#[test]
fn every_model_and_backend_matches_mediapipe() {
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    for kind in backends() {
        for model in &registry.models {
            let mut backend = load_backend(kind, &registry, model, 1).unwrap();
            for fixture in fixtures_for(&model.id) {
                let frame = load_frame(&fixture_dir().join(format!("{fixture}.png")));
                let mask = run_model(backend.as_mut(), model, &frame, 0).unwrap();
                let (w, h, expected) = reference_mask(&model.id, &fixture);
                assert_eq!((w, h), (frame.width, frame.height));
                if (frame.width, frame.height) == (model.input.width, model.input.height) {
                    let worst = mask
                        .probability()
                        .iter()
                        .zip(&expected)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0f32, f32::max);
                    println!(
                        "{kind} {} {fixture}: max |Δ| {worst:.2e} at model resolution",
                        model.id
                    );
                    assert!(
                        worst <= 1e-3,
                        "{kind} {} {fixture}: max |Δ| {worst}",
                        model.id
                    );
                } else {
                    let up = upsample_mask(&mask.probability(), mask.width, mask.height, w, h);
                    let score = iou(&up, &expected);
                    println!(
                        "{kind} {} {fixture}: IoU {score:.4} at frame resolution",
                        model.id
                    );
                    assert!(score >= 0.995, "{kind} {} {fixture}: IoU {score}", model.id);
                }
            }
        }
    }
}

#[test]
fn model_files_are_the_ones_recorded() {
    let dir = default_models_dir();
    let registry = ModelRegistry::load(&dir).unwrap();
    let recorded = std::fs::read_to_string(dir.join("models.sha256")).unwrap();
    for model in &registry.models {
        let bytes = registry.read(model).unwrap();
        let digest = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            model.sha256.as_deref(),
            Some(digest.as_str()),
            "models.ron sha256 of {}",
            model.id
        );
        let line = format!("{digest}  {}", model.file.display());
        assert!(
            recorded.lines().any(|l| l == line),
            "models.sha256 lacks {line}"
        );
    }
}

#[test]
fn bad_models_are_named_with_what_was_expected() {
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    let general = registry.get("general").unwrap().clone();
    let good = registry.read(&general).unwrap();
    for kind in backends() {
        // Corrupt: the right name, not a model.
        let path = Path::new("/models/broken.onnx");
        let error = load_backend_from_bytes(kind, path, b"not an onnx model", &general, 1)
            .err()
            .expect("garbage must not load");
        assert!(
            matches!(error, ModelError::Corrupt { .. }),
            "{kind}: {error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("/models/broken.onnx: not a usable ONNX model"),
            "{error}"
        );

        // Truncated.
        let error = load_backend_from_bytes(kind, path, &good[..good.len() / 2], &general, 1)
            .err()
            .expect("half a model must not load");
        assert!(error.to_string().contains("broken.onnx"), "{kind}: {error}");

        // A table entry that promises another input size.
        let mut wrong = general.clone();
        wrong.input.width = 128;
        wrong.input.height = 128;
        let error = load_backend_from_bytes(kind, path, &good, &wrong, 1)
            .err()
            .expect("a shape mismatch must be refused");
        let text = error.to_string();
        assert!(
            text.contains("input shape is [1, 256, 256, 3], expected [1, 128, 128, 3]"),
            "{kind}: {text}"
        );

        // A table entry that promises two output channels.
        let mut two = general.clone();
        two.output = bevy_backdrop::inference::OutputKind::TwoClassLogits;
        let error = load_backend_from_bytes(kind, path, &good, &two, 1)
            .err()
            .expect("an output mismatch must be refused");
        assert!(
            error.to_string().contains("output shape"),
            "{kind}: {error}"
        );
    }
    // Missing.
    let mut missing = registry.clone();
    missing.models[0].file = "gone.onnx".into();
    let error = load_backend(BackendKind::Tract, &missing, &missing.models[0].clone(), 1)
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .ends_with("models/gone.onnx: model file not found"),
        "{error}"
    );
}

/// ONNX Runtime missing or unusable → the app runs on tract and says why.
#[test]
fn an_unusable_onnx_runtime_falls_back_to_tract_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Not ONNX Runtime at all: a library without its entry point, and a path that is not there.
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    let mut cases = vec![("/nonexistent/libonnxruntime.so", "does not exist")];
    if let Some(libc) = libc {
        cases.push((libc, "OrtGetApiBase"));
    }
    for (library, why) in cases {
        let output = {
            let _gpu = crate::common::gpu_lock();
            Command::new(env!("CARGO_BIN_EXE_backdrop"))
                .env("ORT_DYLIB_PATH", library)
                .args(["--headless", "--source", "synthetic:64x48", "--frames", "1"])
                .args(["--model", "landscape", "--backend", "ort", "--output"])
                .arg(&out)
                .output()
                .unwrap()
        };
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{library}: {log}");
        assert!(
            log.contains("tract: ONNX Runtime was asked for but is unavailable"),
            "{library}: {log}"
        );
        assert!(
            log.contains(why),
            "{library}: the reason {why:?} is not in {log}"
        );
    }
}
