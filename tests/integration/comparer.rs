//! The model comparer inside an app, with fake backends: it never hands out a job while a frame
//! waits for the active model, never starts one while the active model's job runs, and does
//! run in the gaps.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_backdrop::capture::{Frame, FramePlugin, IncomingFrame};
use bevy_backdrop::inference::backend::BackendKind;
use bevy_backdrop::inference::compare::{
    BenchmarkAll, Candidate, CandidateStats, ComparerPlugin, Comparison, ModelComparison,
    RunCandidate, TIMING_WINDOW,
};
use bevy_backdrop::inference::{InferencePlugin, InferenceSettings, Mask, OutputKind};

use crate::common::{gpu_lock, install_fake, make_ready};

fn fake_mask(candidate: &Candidate, frame: &Frame) -> Mask {
    Mask {
        frame_id: frame.id,
        frame_seq: 0,
        width: 4,
        height: 4,
        raw: vec![
            if candidate.model == "fake-a" {
                0.9
            } else {
                0.1
            };
            16
        ],
        kind: OutputKind::Probability,
        model_id: candidate.model.clone(),
        backend: candidate.backend,
        preprocess_ms: 0.1,
        inference_ms: 3.0,
    }
}

fn fake_table() -> Comparison {
    let a = Candidate {
        model: "fake-a".into(),
        backend: BackendKind::Tract,
    };
    let b = Candidate {
        model: "fake-b".into(),
        backend: BackendKind::Ort,
    };
    Comparison {
        rows: BTreeMap::from([
            (a.clone(), CandidateStats::default()),
            (b, CandidateStats::default()),
        ]),
        reference: Some(a),
        rounds: 0,
    }
}

/// A headless app with the comparer (its table from the shipped models) beside the active model
/// `settings` name; with the effects chain, whose render graph the gpu backend runs in.
fn comparer_app(settings: InferenceSettings, effects: bool) -> App {
    let mut app = App::new();
    app.add_plugins(bevy_backdrop::inference::ModelSourcePlugin::default())
        .add_plugins(bevy_backdrop::headless_default_plugins(false))
        .add_plugins(FramePlugin)
        .insert_resource(settings)
        .add_plugins((InferencePlugin, ComparerPlugin));
    if effects {
        app.add_plugins(bevy_backdrop::effects::EffectsPlugin);
    }
    make_ready(&mut app);
    app.world_mut()
        .resource_mut::<ModelComparison>()
        .policy
        .round_interval = Duration::from_millis(50);
    app
}

fn no_model() -> InferenceSettings {
    InferenceSettings {
        model: "none".into(),
        ..default()
    }
}

/// A fixture photo with a person.
fn astronaut() -> Frame {
    crate::inference::load_frame(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/segmentation/astronaut_384x288.png"),
    )
}

#[test]
fn the_comparer_runs_in_the_gaps_and_never_ahead_of_the_active_model() {
    let _gpu = gpu_lock();
    let mut app = comparer_app(no_model(), false);
    let (gate, active) = install_fake(&mut app, Duration::from_millis(2), 0.8, true);
    // The comparer's fake runner: counts its starts and notes any that overlap an active job.
    let starts = Arc::new(AtomicUsize::new(0));
    let overlaps = Arc::new(AtomicUsize::new(0));
    // fake-b reports a different time on each run (1, 2, 3, … ms): the table's p50 must be their
    // median, not any one run's.
    let b_times = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let run: RunCandidate = {
        let (starts, overlaps, active) = (starts.clone(), overlaps.clone(), active.clone());
        let b_times = b_times.clone();
        Box::new(move |candidate: &Candidate, frame: &Frame| {
            starts.fetch_add(1, Ordering::SeqCst);
            if active.running() > 0 {
                overlaps.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(3));
            let mut mask = fake_mask(candidate, frame);
            if candidate.model == "fake-b" {
                let mut times = b_times.lock().unwrap();
                mask.inference_ms = times.len() as f64 + 1.0;
                times.push(mask.inference_ms);
            }
            Ok(mask)
        })
    };
    let mut comparison = ModelComparison::with_runner(fake_table(), Box::new(move |_| Ok(run)));
    comparison.policy.round_interval = Duration::from_millis(50);
    app.insert_resource(comparison);

    let mut next_id = 0u64;
    let mut update = |app: &mut App, new_frame: bool| {
        if new_frame {
            app.world_mut().resource_mut::<IncomingFrame>().0 =
                Some(Frame::new(next_id, 16, 12, vec![100; 16 * 12 * 4]));
            next_id += 1;
        }
        app.update();
        std::thread::sleep(Duration::from_millis(4));
    };
    let handed_out = |app: &App| app.world().resource::<ModelComparison>().started;

    // Gaps: a new frame every third update, the active model quick. The comparer runs: three
    // rounds, however long its low-priority thread takes on a busy machine.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut i = 0;
    while app.world().resource::<ModelComparison>().table.rounds < 3 {
        assert!(
            Instant::now() < deadline,
            "the comparer should run in the gaps: {} rounds",
            app.world().resource::<ModelComparison>().table.rounds
        );
        update(&mut app, i % 3 == 0);
        i += 1;
    }
    let table = &app.world().resource::<ModelComparison>().table;
    let b = table
        .rows
        .iter()
        .find(|(c, _)| c.model == "fake-b")
        .unwrap()
        .1;
    assert_eq!(
        b.agreement(),
        Some(0.0),
        "fake-b finds no person where fake-a finds everything"
    );

    // No new rounds from here on but the ones asked for; let the comparer finish what it has.
    app.world_mut()
        .resource_mut::<ModelComparison>()
        .policy
        .round_interval = Duration::from_secs(3600);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.world().resource::<ModelComparison>().is_idle() {
        assert!(
            Instant::now() < deadline,
            "the comparer did not finish its round"
        );
        update(&mut app, false);
    }
    // Every run is in the table now: its p50 is the median (nearest rank) of the newest runs.
    let mut newest: Vec<f64> = b_times.lock().unwrap().clone();
    newest.drain(..newest.len().saturating_sub(TIMING_WINDOW));
    assert!(newest.len() >= 3, "fake-b ran {} times", newest.len());
    newest.sort_by(f64::total_cmp);
    let median = newest[newest.len().div_ceil(2) - 1];
    let table = &app.world().resource::<ModelComparison>().table;
    let b = &table
        .rows
        .iter()
        .find(|(c, _)| c.model == "fake-b")
        .unwrap()
        .1;
    assert_eq!(b.p50(), Some(median), "runs {newest:?}");

    // Hold the active model: its job runs and new frames wait behind it. A benchmark burst now
    // must hand nothing out, and the comparer thread must start nothing.
    gate.set_open(false);
    let deadline = Instant::now() + Duration::from_secs(10);
    while active.running() == 0 {
        assert!(Instant::now() < deadline, "the active job did not start");
        update(&mut app, true);
    }
    update(&mut app, true);
    let (handed_before, started_before) = (handed_out(&app), starts.load(Ordering::SeqCst));
    app.world_mut().write_message(BenchmarkAll(5));
    for _ in 0..60 {
        update(&mut app, true);
    }
    assert_eq!(
        handed_out(&app),
        handed_before,
        "a comparer job was handed out while a frame waited"
    );
    assert_eq!(
        starts.load(Ordering::SeqCst),
        started_before,
        "a comparer job started during an active job"
    );

    // Release: the burst runs.
    gate.set_open(true);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut i = 0;
    while handed_out(&app) <= handed_before {
        assert!(Instant::now() < deadline, "the comparer did not resume");
        update(&mut app, i % 3 == 0);
        i += 1;
    }
    assert_eq!(
        overlaps.load(Ordering::SeqCst),
        0,
        "a comparer job started while the active job ran"
    );
}

/// The comparer in an app with the shipped models: the gpu backend's rows run on the app's render
/// device (lavapipe here), with GPU ms and a mask that agrees with the CPU backends'. On a software
/// adapter they run only when asked: the background rounds leave them out.
#[test]
fn the_comparer_runs_the_gpu_backend_on_the_render_device() {
    let _gpu = gpu_lock();
    let mut app = comparer_app(no_model(), false);
    let photo = astronaut();
    let update = |app: &mut App| {
        app.world_mut().resource_mut::<IncomingFrame>().0 = Some(photo.clone());
        app.update();
        std::thread::sleep(Duration::from_millis(4));
    };
    let rows = |app: &App| app.world().resource::<ModelComparison>().table.rows.clone();
    let gpu_rows = |app: &App| {
        rows(app)
            .into_iter()
            .filter(|(c, _)| c.backend == BackendKind::Gpu)
            .collect::<Vec<_>>()
    };
    let rounds = |app: &App| app.world().resource::<ModelComparison>().table.rounds;

    // A background round.
    let deadline = Instant::now() + Duration::from_secs(120);
    while rounds(&app) < 1 {
        assert!(Instant::now() < deadline, "no background round");
        update(&mut app);
    }
    let adapter = app
        .world()
        .resource::<bevy::render::renderer::RenderAdapterInfo>();
    let software = adapter.device_type == wgpu::DeviceType::Cpu;
    let gpu = gpu_rows(&app);
    assert_eq!(gpu.len(), 2, "a gpu row per model: {:?}", rows(&app).keys());
    for (candidate, stats) in &gpu {
        assert_eq!(stats.problem, None, "{candidate}");
        assert_eq!(
            stats.only_when_asked, software,
            "{candidate} on {:?}",
            adapter.device_type
        );
        if software {
            assert!(
                stats.inference_ms.is_empty(),
                "{candidate} ran in a background round on a software adapter"
            );
        }
    }
    if software {
        assert!(
            app.world()
                .resource::<ModelComparison>()
                .table
                .markdown()
                .contains(bevy_backdrop::inference::compare::ONLY_WHEN_ASKED)
        );
    }

    // No more background rounds; once the comparer is idle, ask: every row runs, the gpu rows
    // too.
    app.world_mut()
        .resource_mut::<ModelComparison>()
        .policy
        .round_interval = Duration::from_secs(3600);
    while !app.world().resource::<ModelComparison>().is_idle() {
        assert!(
            Instant::now() < deadline,
            "the background round did not finish"
        );
        update(&mut app);
    }
    app.world_mut().write_message(BenchmarkAll(1));
    let before = rounds(&app);
    let deadline = Instant::now() + Duration::from_secs(300);
    while rounds(&app) <= before || !app.world().resource::<ModelComparison>().is_idle() {
        assert!(Instant::now() < deadline, "the burst did not finish");
        update(&mut app);
    }
    let rows = rows(&app);
    for (candidate, stats) in gpu_rows(&app) {
        let p50 = stats
            .p50()
            .unwrap_or_else(|| panic!("{candidate} has no timing"));
        assert!(p50 > 0.0, "{candidate}: {p50} ms");
        let cpu = rows
            .iter()
            .find(|(c, s)| {
                c.model == candidate.model && c.backend != BackendKind::Gpu && s.problem.is_none()
            })
            .map(|(_, s)| s)
            .expect("a CPU backend for the model");
        let (gpu_iou, cpu_iou) = (stats.agreement().unwrap(), cpu.agreement().unwrap());
        // Same model, same frame: the same agreement with the reference as its CPU run.
        assert!(
            (gpu_iou - cpu_iou).abs() < 0.005,
            "{candidate}: IoU {gpu_iou} vs the CPU backend's {cpu_iou}"
        );
    }
}

/// With the gpu backend as the active model no frame ever waits for a CPU job: the comparer still
/// gets its gaps and compares (it once waited for good, every frame counted as waiting).
#[test]
fn the_comparer_runs_beside_an_active_gpu_backend() {
    let _gpu = gpu_lock();
    let settings = InferenceSettings {
        model: "landscape".into(),
        backend: bevy_backdrop::inference::BackendChoice::Gpu,
        ..default()
    };
    let mut app = comparer_app(settings, true);
    let photo = astronaut();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut id = 0;
    while app.world().resource::<ModelComparison>().table.rounds < 2 {
        assert!(
            Instant::now() < deadline,
            "no comparer round beside the gpu backend: {} rounds, mask {:?}",
            app.world().resource::<ModelComparison>().table.rounds,
            app.world()
                .resource::<bevy_backdrop::inference::CurrentMask>()
                .mask
                .as_ref()
                .map(|m| (m.backend, m.frame_seq))
        );
        let mut frame = photo.clone();
        frame.id = id;
        id += 1;
        app.world_mut().resource_mut::<IncomingFrame>().0 = Some(frame);
        app.update();
    }
    let mask = app
        .world()
        .resource::<bevy_backdrop::inference::CurrentMask>()
        .mask
        .clone()
        .expect("the gpu backend's mask");
    assert_eq!(mask.backend, BackendKind::Gpu);
}
