//! The inference plugin inside a running app: the frame loop never waits for a model, at most one
//! job runs, bad models leave the running one in place, and headless masks belong to their frame.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_backdrop::batch::BatchOutput;
use bevy_backdrop::capture::{
    CaptureSettings, CurrentFrame, FeedThread, Frame, SourceOptions, SourceSpec,
};
use bevy_backdrop::display::DisplayPlugin;
use bevy_backdrop::inference::backend::{BackendKind, load_backend};
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::{
    BackendChoice, CurrentMask, InferenceMode, InferenceSettings, InferenceStatus,
    ModelSourcePlugin, SwitchModel, run_model,
};
use bevy_backdrop::overlay::OverlayPlugin;
use bevy_backdrop::{BackdropPlugins, headless_default_plugins};

use crate::common::{gpu_lock, install_fake, read_png, segment_frames};
use crate::inference::iou;

fn app_with(models_dir: std::path::PathBuf, model: &str) -> App {
    let mut app = App::new();
    app.add_plugins(ModelSourcePlugin {
        folder: Some(models_dir),
    })
    .add_plugins(headless_default_plugins(false))
    .insert_resource(CaptureSettings {
        source: SourceSpec::Synthetic {
            width: 64,
            height: 48,
        },
        // Polled on the main thread, due at every update: one new frame per app frame,
        // whatever the machine's load (a thread at 500 fps fell behind on busy cores).
        options: SourceOptions {
            fps: Some(100_000.0),
            ..default()
        },
        feed: FeedThread::MainThread,
        ..default()
    })
    .insert_resource(InferenceSettings {
        model: model.into(),
        backend: BackendChoice::Tract,
        threads: 1,
        mode: InferenceMode::Live,
        custom: None,
    })
    .add_plugins(
        BackdropPlugins
            .build()
            .disable::<DisplayPlugin>()
            .disable::<OverlayPlugin>(),
    );
    crate::common::make_ready(&mut app);
    app
}

/// Updates until `done` holds (60 s at most); the updates it took.
pub fn update_until(app: &mut App, what: &str, done: impl Fn(&World) -> bool) -> u32 {
    let start = Instant::now();
    let mut updates = 0;
    while !done(app.world()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        app.update();
        updates += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    updates
}

#[test]
fn the_frame_loop_never_waits_for_the_model() {
    let _gpu = gpu_lock();
    let mut app = app_with(default_models_dir(), "landscape");
    let (gate, counts) = install_fake(&mut app, Duration::ZERO, 1.0, false);
    update_until(&mut app, "the gated job to start", |_| {
        counts.running() == 1
    });
    let frames_before = app.world().resource::<CurrentFrame>().uploaded;

    // 60 app frames while the job is held: a frame arrives in every one, no mask, no second
    // job.
    for _ in 0..60 {
        app.update();
    }
    let frames_during = app.world().resource::<CurrentFrame>().uploaded - frames_before;
    assert_eq!(
        frames_during, 60,
        "app frames went without a new frame while the model ran"
    );
    assert!(app.world().resource::<CurrentMask>().mask.is_none());
    assert_eq!(
        counts.started(),
        1,
        "a second job started while one was pending"
    );

    // Release: the mask shows up within 2 app frames.
    gate.set_open(true);
    // Let the pool thread finish the job before counting frames.
    let released = Instant::now();
    while counts.running() != 0 {
        assert!(released.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20));
    let mut frames = 0;
    while app.world().resource::<CurrentMask>().mask.is_none() {
        app.update();
        frames += 1;
        assert!(
            frames <= 2,
            "the finished mask did not appear within 2 frames"
        );
    }
    assert_eq!(
        counts.most_at_once.load(Ordering::SeqCst),
        1,
        "more than one job ran at once"
    );
}

#[test]
fn a_bad_model_keeps_the_running_one() {
    let dir = tempfile::tempdir().unwrap();
    let models = default_models_dir();
    std::fs::copy(
        models.join("selfie_landscape.onnx"),
        dir.path().join("selfie_landscape.onnx"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.onnx"), b"garbage").unwrap();
    let table = std::fs::read_to_string(models.join("models.ron")).unwrap();
    let extra = r#"
    (id: "broken", name: "Broken", file: "broken.onnx",
     input: (width: 256, height: 144, layout: Nhwc, range: ZeroToOne),
     output: Probability, licence: "none"),
    (id: "absent", name: "Absent", file: "absent.onnx",
     input: (width: 256, height: 144, layout: Nhwc, range: ZeroToOne),
     output: Probability, licence: "none"),
]"#;
    let table = format!("{}{extra}", table.trim_end().trim_end_matches(']'));
    std::fs::write(dir.path().join("models.ron"), table).unwrap();

    let _gpu = gpu_lock();
    let mut app = app_with(dir.path().to_owned(), "landscape");
    update_until(&mut app, "the first mask", |w| {
        w.resource::<CurrentMask>().mask.is_some()
    });
    let folder = dir.path().display().to_string();
    for (id, expected) in [
        ("broken", "broken.onnx: not a usable ONNX model".to_owned()),
        // A missing file names the folder it was looked for in.
        ("absent", format!("absent.onnx: not found in {folder}")),
        ("meet", "no model with id \"meet\"".to_owned()),
    ] {
        let problems = app.world().resource::<InferenceStatus>().problems.len();
        app.world_mut().write_message(SwitchModel(id.into()));
        update_until(&mut app, &format!("the {id} error"), |w| {
            w.resource::<InferenceStatus>().problems.len() > problems
        });
        let status = app.world().resource::<InferenceStatus>();
        let message = status.problems.last().unwrap();
        println!("{id}: {message}");
        assert!(message.contains(&expected), "{message}");
        assert!(
            message.contains("keeping MediaPipe selfie, landscape"),
            "{message}"
        );
        // Masks keep coming from the model that works.
        let seq = app
            .world()
            .resource::<CurrentMask>()
            .mask
            .as_ref()
            .unwrap()
            .frame_seq;
        update_until(&mut app, "newer masks", |w| {
            w.resource::<CurrentMask>().mask.as_ref().unwrap().frame_seq > seq + 2
        });
        assert_eq!(
            app.world()
                .resource::<CurrentMask>()
                .mask
                .as_ref()
                .unwrap()
                .model_id,
            "landscape"
        );
    }
}

/// A models folder without the table: the message names the folder looked in, and frames keep
/// coming without a mask.
#[test]
fn a_missing_models_folder_is_named_and_frames_keep_coming() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("no-models-here");
    let _gpu = gpu_lock();
    let mut app = app_with(folder.clone(), "landscape");
    update_until(&mut app, "the load error", |w| {
        !w.resource::<InferenceStatus>().problems.is_empty()
    });
    let status = app.world().resource::<InferenceStatus>();
    let message = status.problems.last().unwrap().clone();
    println!("{message}");
    assert!(
        message.contains("models.ron: not found in")
            && message.contains(&folder.display().to_string()),
        "{message}"
    );
    assert!(status.loading.is_none() && status.model.is_none());
    let uploaded = app.world().resource::<CurrentFrame>().uploaded;
    update_until(&mut app, "frames without a model", |w| {
        w.resource::<CurrentFrame>().uploaded > uploaded + 3
    });
    assert!(app.world().resource::<CurrentMask>().mask.is_none());
}

/// Headless: mask PNG k is the model's output for source frame k (not a neighbour's).
#[test]
fn headless_masks_belong_to_their_own_frame() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (256, 144);
    // A person moving right: crops of the sample portrait, 24 px further each frame.
    let portrait = image::load_from_memory(bevy_backdrop::capture::still::SAMPLE_PORTRAIT_JPEG)
        .unwrap()
        .into_rgba8();
    let folder = dir.path().join("moving");
    std::fs::create_dir(&folder).unwrap();
    let frames: Vec<Frame> = (0..4u32)
        .map(|k| {
            let crop = image::imageops::crop_imm(&portrait, 200 - 24 * k, 20, w, h).to_image();
            crop.save(folder.join(format!("f{k}.png"))).unwrap();
            Frame::new(k as u64, w, h, crop.into_raw())
        })
        .collect();
    let out = dir.path().join("out");
    segment_frames(SourceSpec::Sequence(folder), None, &out, "landscape");
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    let info = registry.get("landscape").unwrap();
    let mut backend = load_backend(BackendKind::Tract, &registry, info, 1).unwrap();
    let masks: Vec<Vec<f32>> = frames
        .iter()
        .map(|frame| {
            run_model(backend.as_mut(), info, frame, frame.id)
                .unwrap()
                .probability()
        })
        .collect();
    let max_diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    // Neighbouring frames' masks differ, so a mask from the wrong frame would be caught.
    assert!(max_diff(&masks[0], &masks[1]) > 0.5);
    for (k, mask) in masks.iter().enumerate() {
        let written = read_png(&BatchOutput::mask_path(&out, k as u64));
        assert_eq!(written.dimensions(), (w, h));
        let as_f32: Vec<f32> = written.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
        let worst = max_diff(&as_f32, mask);
        assert!(
            worst <= 0.5 / 255.0 + 1e-4,
            "mask {k} is not frame {k}'s: max |Δ| {worst}"
        );
        assert!(iou(&as_f32, mask) > 0.99);
    }
}
