//! Bad input in the live app: each problem gets a message naming the source, and frames keep
//! coming from the fallback — from a worker thread (native) or polled on the main thread (the
//! web's way, tested here too).

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_backdrop::capture::frame::{CaptureError, Frame, FrameSource};
use bevy_backdrop::capture::{
    CaptureSettings, CaptureStatus, CurrentFrame, FeedThread, SourceFactory, SourceOptions,
    SourceSpec, SwitchSource,
};
use bevy_backdrop::display::DisplayPlugin;
use bevy_backdrop::inference::InferencePlugin;
use bevy_backdrop::overlay::OverlayPlugin;
use bevy_backdrop::{BackdropPlugins, headless_default_plugins};

use crate::common::{gpu_lock, noise_image};

fn live_app(source: SourceSpec) -> App {
    live_app_fed(source, FeedThread::Worker)
}

fn live_app_fed(source: SourceSpec, feed: FeedThread) -> App {
    let mut app = App::new();
    app.add_plugins(headless_default_plugins(false))
        .insert_resource(CaptureSettings {
            source,
            // Fast playback keeps the test short; the worker still paces itself.
            options: SourceOptions {
                fps: Some(120.0),
                ..default()
            },
            feed,
            ..default()
        })
        .add_plugins(
            BackdropPlugins
                .build()
                .disable::<DisplayPlugin>()
                .disable::<OverlayPlugin>()
                .disable::<InferencePlugin>(),
        );
    crate::common::make_ready(&mut app);
    app
}

/// Updates the app until `done` holds; panics after `timeout` with `what`.
fn update_until(app: &mut App, what: &str, done: impl Fn(&World) -> bool) {
    let start = Instant::now();
    while !done(app.world()) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn uploaded(world: &World) -> u64 {
    world.resource::<CurrentFrame>().uploaded
}

fn problems(world: &World) -> Vec<String> {
    world.resource::<CaptureStatus>().problems.clone()
}

/// Yields two good frames, then a frame with no pixels: what a confused driver might deliver.
struct ZeroSizedAfterTwo(u64);

impl FrameSource for ZeroSizedAfterTwo {
    fn name(&self) -> String {
        "flaky test camera".into()
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        self.0 += 1;
        Ok(if self.0 <= 2 {
            Frame::new(self.0, 8, 8, vec![128; 8 * 8 * 4])
        } else {
            Frame::new(self.0, 0, 0, Vec::new())
        })
    }
}

#[test]
fn every_bad_input_is_reported_and_frames_keep_coming() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.png");
    noise_image(32, 24, 7).save(&good).unwrap();
    let garbage = dir.path().join("garbage.png");
    std::fs::write(&garbage, b"this is not a PNG at all").unwrap();
    let unreadable = dir.path().join("a_folder_named.png");
    std::fs::create_dir(&unreadable).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let bad_video = dir.path().join("broken.mp4");
    std::fs::write(&bad_video, vec![0x42; 4096]).unwrap();

    let cases: Vec<(SourceSpec, Vec<String>)> = vec![
        (
            SourceSpec::Image(dir.path().join("missing.jpg")),
            vec!["missing.jpg".into(), "file not found".into()],
        ),
        (
            SourceSpec::Image(garbage.clone()),
            vec!["garbage.png".into(), "cannot decode".into()],
        ),
        (
            SourceSpec::Image(unreadable.clone()),
            vec!["a_folder_named.png".into(), "cannot read".into()],
        ),
        (
            SourceSpec::Sequence(empty.clone()),
            vec!["empty".into(), "no images".into()],
        ),
        (
            SourceSpec::Video(dir.path().join("gone.mp4")),
            vec!["gone.mp4".into(), "file not found".into()],
        ),
        (
            SourceSpec::Video(bad_video.clone()),
            vec!["broken.mp4".into()],
        ),
        (SourceSpec::Camera { index: 4242 }, vec!["camera".into()]),
        (
            SourceSpec::Custom(SourceFactory::new("flaky test camera", || {
                Ok(Box::new(ZeroSizedAfterTwo(0)))
            })),
            vec![
                "flaky test camera".into(),
                "0×0".into(),
                "at least one pixel".into(),
            ],
        ),
    ];

    let _gpu = gpu_lock();
    let mut app = live_app(SourceSpec::Image(good));
    update_until(&mut app, "the good image's first frames", |w| {
        uploaded(w) >= 3
    });
    assert!(
        problems(app.world()).is_empty(),
        "{:?}",
        problems(app.world())
    );

    for (spec, expected) in cases {
        let before = app.world().resource::<CaptureStatus>().problems.len();
        let reported_before: Vec<String> = problems(app.world());
        app.world_mut().write_message(SwitchSource(spec.clone()));
        update_until(&mut app, &format!("a message about {spec}"), |w| {
            problems(w) != reported_before || problems(w).len() > before
        });
        let message = problems(app.world()).last().cloned().unwrap();
        println!("{spec}: {message}");
        for part in &expected {
            assert!(
                message.contains(part.as_str()),
                "message for {spec} lacks {part:?}: {message}"
            );
        }
        assert!(
            message.contains("sample portrait"),
            "says what plays instead: {message}"
        );
        let status = app.world().resource::<CaptureStatus>();
        assert!(status.on_fallback);

        let count = uploaded(app.world());
        update_until(&mut app, "frames from the fallback", |w| {
            uploaded(w) >= count + 3
                && w.resource::<CaptureStatus>().active_source == "sample portrait"
        });
        let frame = app
            .world()
            .resource::<CurrentFrame>()
            .frame
            .clone()
            .unwrap();
        assert_eq!(
            (frame.width, frame.height),
            (512, 512),
            "the sample portrait plays"
        );
    }
}

/// Counts frames and records the thread each was made on.
struct ThreadRecorder {
    made: u64,
    threads: std::sync::Arc<std::sync::Mutex<Vec<std::thread::ThreadId>>>,
    fail_after: u64,
}

impl FrameSource for ThreadRecorder {
    fn name(&self) -> String {
        "recording test source".into()
    }

    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        self.made += 1;
        if self.made > self.fail_after {
            return Err(CaptureError::Unsupported {
                what: "a fourth frame from the recording test source".into(),
            });
        }
        Ok(Frame::new(
            self.made,
            8,
            8,
            vec![self.made as u8; 8 * 8 * 4],
        ))
    }

    fn frame_interval(&self) -> Option<Duration> {
        None
    }
}

#[test]
fn a_main_thread_feed_plays_every_frame_on_the_app_thread_and_falls_back() {
    let threads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = std::sync::Arc::clone(&threads);
    let source = SourceSpec::Custom(SourceFactory::new("recording test source", move || {
        Ok(Box::new(ThreadRecorder {
            made: 0,
            threads: std::sync::Arc::clone(&recorded),
            fail_after: 3,
        }))
    }));
    let _gpu = gpu_lock();
    let mut app = live_app_fed(source, FeedThread::MainThread);
    let app_thread = std::thread::current().id();
    // One frame pulled per app frame, in order: no thread races ahead, none is skipped.
    let mut seen = Vec::new();
    for _ in 0..3 {
        app.update();
        seen.push(
            app.world()
                .resource::<CurrentFrame>()
                .frame
                .as_ref()
                .map(|f| f.id),
        );
    }
    assert_eq!(seen, [Some(1), Some(2), Some(3)]);
    assert!(
        problems(app.world()).is_empty(),
        "{:?}",
        problems(app.world())
    );
    app.update();
    let made = threads.lock().unwrap().clone();
    assert_eq!(made.len(), 4, "the source is asked once per app frame");
    assert!(
        made.iter().all(|&t| t == app_thread),
        "frames were made on another thread than the app's: {made:?} vs {app_thread:?}"
    );
    // The fourth pull failed: reported, and the sample portrait plays (on the main thread too).
    let message = problems(app.world()).last().cloned().unwrap_or_default();
    assert!(
        message.contains("recording test source") && message.contains("sample portrait"),
        "{message}"
    );
    let count = uploaded(app.world());
    update_until(&mut app, "frames from the fallback", |w| {
        uploaded(w) >= count + 2 && w.resource::<CaptureStatus>().active_source == "sample portrait"
    });
    let frame = app
        .world()
        .resource::<CurrentFrame>()
        .frame
        .clone()
        .unwrap();
    assert_eq!((frame.width, frame.height), (512, 512));
    assert_eq!(
        threads.lock().unwrap().len(),
        made.len(),
        "the failed source was asked again"
    );
}
