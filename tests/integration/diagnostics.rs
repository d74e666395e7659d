//! The overlay's figures are right, not just present: a manual time step, frames with known
//! capture times and a fake backend of known duration.

use std::time::{Duration, Instant};

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use bevy_backdrop::capture::{
    CAPTURE_FPS, CAPTURE_TO_DISPLAY_MS, CurrentFrame, Frame, FramePlugin, IncomingFrame,
};
use bevy_backdrop::inference::{
    CurrentMask, INFERENCE_MS, InferencePlugin, InferenceSettings, MASK_AGE,
};

use crate::common::{gpu_lock, install_fake, make_ready};

fn value(app: &App, path: &DiagnosticPath) -> Option<f64> {
    app.world()
        .resource::<DiagnosticsStore>()
        .get(path)
        .and_then(|d| d.value())
}

#[test]
fn diagnostics_report_what_happened() {
    const STEP: Duration = Duration::from_millis(40);
    const CAPTURE_INTERVAL: Duration = Duration::from_millis(20);
    const INJECTED: Duration = Duration::from_millis(30);
    let _gpu = gpu_lock();
    let mut app = App::new();
    app.add_plugins(bevy_backdrop::inference::ModelSourcePlugin::default())
        .add_plugins(bevy_backdrop::headless_default_plugins(false))
        .add_plugins((FramePlugin, FrameTimeDiagnosticsPlugin::default()))
        .insert_resource(TimeUpdateStrategy::ManualDuration(STEP))
        .insert_resource(InferenceSettings {
            // Nothing loads: the test installs its backend.
            model: "none".into(),
            ..default()
        })
        .add_plugins(InferencePlugin);
    make_ready(&mut app);
    let (gate, counts) = install_fake(&mut app, INJECTED, 0.5, true);

    // Frames captured every 20 ms (a 50 fps source), each 15 ms old when it arrives.
    let start = Instant::now();
    let mut next_id = 0u64;
    let mut feed = |app: &mut App| {
        let mut frame = Frame::new(next_id, 32, 24, vec![128; 32 * 24 * 4]);
        frame.captured_at = start + CAPTURE_INTERVAL * next_id as u32;
        // Arrives 15 ms after its capture.
        let arrival = frame.captured_at + Duration::from_millis(15);
        std::thread::sleep(arrival.saturating_duration_since(Instant::now()));
        next_id += 1;
        app.world_mut().resource_mut::<IncomingFrame>().0 = Some(frame);
        app.update();
    };

    // Phase 1: masks flow; the figures settle.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.world().resource::<CurrentMask>().mask.is_none() {
        assert!(Instant::now() < deadline, "no mask from the fake backend");
        feed(&mut app);
    }
    for _ in 0..5 {
        feed(&mut app);
    }
    let fps = value(&app, &FrameTimeDiagnosticsPlugin::FPS).unwrap();
    assert!((fps - 1.0 / STEP.as_secs_f64()).abs() < 1e-6, "fps {fps}");
    let frame_ms = value(&app, &FrameTimeDiagnosticsPlugin::FRAME_TIME).unwrap();
    assert!((frame_ms - 40.0).abs() < 1e-6, "frame time {frame_ms}");
    let inference = value(&app, &INFERENCE_MS).unwrap();
    assert!(
        inference >= INJECTED.as_secs_f64() * 1e3,
        "inference {inference} ms"
    );
    let capture_fps = value(&app, &CAPTURE_FPS).unwrap();
    assert!(
        (capture_fps - 50.0).abs() < 1e-6,
        "capture fps {capture_fps}"
    );
    let latency = value(&app, &CAPTURE_TO_DISPLAY_MS).unwrap();
    assert!(latency >= 15.0, "capture to display {latency} ms");

    // Phase 2: hold the model; count the frames that arrive meanwhile.
    gate.set_open(false);
    let deadline = Instant::now() + Duration::from_secs(10);
    while counts.running() == 0 {
        assert!(Instant::now() < deadline, "the held job did not start");
        feed(&mut app);
    }
    let seq_of_job = app.world().resource::<CurrentFrame>().uploaded;
    for _ in 0..7 {
        feed(&mut app);
    }
    let before = app
        .world()
        .resource::<CurrentMask>()
        .mask
        .as_ref()
        .unwrap()
        .frame_seq;
    gate.set_open(true);
    // No new frames now: update until the held job's mask is taken (an event, not a wait of
    // some milliseconds that a busy machine may outlast).
    let deadline = Instant::now() + Duration::from_secs(10);
    while app
        .world()
        .resource::<CurrentMask>()
        .mask
        .as_ref()
        .unwrap()
        .frame_seq
        == before
    {
        assert!(
            Instant::now() < deadline,
            "the held job's mask did not arrive"
        );
        app.update();
    }
    let mask = app.world().resource::<CurrentMask>().mask.clone().unwrap();
    // The held job took the newest frame when it was started: after the previous mask's frame,
    // and no later than when it was seen running (on a busy machine the pool may start it
    // several updates after its spawn, so not necessarily the frame of that moment); the mask's
    // age is the frames uploaded since its own frame, counted here.
    let counted = app.world().resource::<CurrentFrame>().uploaded - mask.frame_seq;
    assert!(
        mask.frame_seq > before && mask.frame_seq <= seq_of_job,
        "the held mask is of frame {}, not within {}..={seq_of_job}",
        mask.frame_seq,
        before + 1
    );
    // Seven frames came while the job was held.
    assert!(counted >= 7, "counted {counted}");
    assert_eq!(value(&app, &MASK_AGE), Some(counted as f64));
}
