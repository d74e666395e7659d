//! Capture: frame sources behind one trait, a feed per live source that keeps only the newest
//! frame (a worker thread natively, the main thread where there are no threads), and the system
//! that copies that frame into the frame `Image` once per app frame.

pub mod frame;
pub mod spec;
pub mod still;
pub mod synthetic;

#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod browser;
#[cfg(feature = "native")]
pub mod camera;
#[cfg(feature = "native")]
pub mod sequence;
#[cfg(feature = "native")]
pub mod video;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bevy::asset::RenderAssetUsages;
use bevy::diagnostic::{Diagnostic, DiagnosticPath, Diagnostics, RegisterDiagnostic};
use bevy::image::ImageSampler;
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

pub use frame::{CaptureError, Frame, FrameSource, MAX_FRAME_SIDE};
pub use spec::{
    CameraMode, CameraPixelFormat, SourceFactory, SourceOptions, SourceSpec, open_source,
};

/// How many of the newest problems the status keeps for the screen.
const MAX_SHOWN_PROBLEMS: usize = 4;

/// The frame texture, its newest frame, and the upload between them. Shared by the live capture
/// ([`CapturePlugin`]) and the headless mode, which feeds [`IncomingFrame`] itself.
pub struct FramePlugin;

/// What the live capture opens. Insert before adding [`CapturePlugin`], or send [`SwitchSource`].
#[derive(Resource, Clone, Debug)]
pub struct CaptureSettings {
    pub source: SourceSpec,
    pub options: SourceOptions,
    /// Mirror frames left-right. `None`: on for cameras (a self-view), off for everything else.
    pub mirror: Option<bool>,
    /// Played when the chosen source cannot be opened or fails.
    pub fallback: SourceSpec,
    /// Where sources run: a worker thread each (native), or polled on the main thread once per
    /// app frame (the web, which has no threads; sources there live in memory or the browser).
    pub feed: FeedThread,
}

/// Where a live source's `next_frame` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedThread {
    /// A thread of its own, paced by the source (a camera may block in a read).
    Worker,
    /// Polled from a system on the main thread when the next frame is due; the source must not
    /// block (sample, synthetic, image and the browser's camera don't).
    MainThread,
}

impl Default for FeedThread {
    fn default() -> Self {
        if cfg!(target_arch = "wasm32") {
            Self::MainThread
        } else {
            Self::Worker
        }
    }
}

impl Default for CaptureSettings {
    fn default() -> Self {
        Self {
            source: SourceSpec::Camera { index: 0 },
            options: SourceOptions::default(),
            mirror: None,
            fallback: SourceSpec::Sample,
            feed: FeedThread::default(),
        }
    }
}

/// The texture the newest frame lives in, the frame's size: its sRGB-encoded bytes as they are, in
/// an `Rgba8Unorm` texture, so sampling it returns the encoded values the effects chain's math
/// works in (and bilinear filtering blends encoded values, as the CPU references do). To show it
/// with Bevy's own sprites, which expect linear values in a non-sRGB texture, show a chain
/// camera's target instead ([`crate::effects::FrameChain`]).
#[derive(Resource, Clone, Debug)]
pub struct FrameImage(pub Handle<Image>);

/// Frames a second the source delivers (from frame ids and capture times, so frames the app
/// skipped still count).
pub const CAPTURE_FPS: DiagnosticPath = DiagnosticPath::const_new("backdrop/capture_fps");
/// Milliseconds from a frame's capture to the end of the app frame that hands it to the
/// renderer (the window shows it one render later).
pub const CAPTURE_TO_DISPLAY_MS: DiagnosticPath =
    DiagnosticPath::const_new("backdrop/capture_to_display_ms");

/// A frame waiting to be copied into [`FrameImage`] in this app frame's `PreUpdate`.
#[derive(Resource, Default)]
pub struct IncomingFrame(pub Option<Frame>);

/// The frame now in [`FrameImage`] (its pixels stay shared, for inference). Changes only when a
/// new frame arrives, so `Res<CurrentFrame>::is_changed` marks new frames.
#[derive(Resource, Default)]
pub struct CurrentFrame {
    pub frame: Option<Frame>,
    /// Frames uploaded since the app started (all sources).
    pub uploaded: u64,
}

/// What the capture is doing, for the screen and the log.
#[derive(Resource, Debug, Default, Clone)]
pub struct CaptureStatus {
    /// The source frames come from now.
    pub active_source: String,
    /// Whether frames are being mirrored.
    pub mirror: bool,
    /// True while the fallback plays because the chosen source failed.
    pub on_fallback: bool,
    /// The newest problems, oldest first, each naming its source.
    pub problems: Vec<String>,
}

impl CaptureStatus {
    pub fn report(&mut self, problem: String) {
        self.problems.push(problem);
        let excess = self.problems.len().saturating_sub(MAX_SHOWN_PROBLEMS);
        self.problems.drain(..excess);
    }
}

/// Ask the live capture to play another source.
#[derive(Message, Clone, Debug)]
pub struct SwitchSource(pub SourceSpec);

/// Ordering of the capture's per-frame work, for stages that read the frame.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameSystems {
    /// The newest frame lands in [`IncomingFrame`].
    Receive,
    /// [`IncomingFrame`] is copied into [`FrameImage`] and [`CurrentFrame`].
    Upload,
}

impl Plugin for FramePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<IncomingFrame>()
            .init_resource::<CurrentFrame>()
            .configure_sets(
                PreUpdate,
                (FrameSystems::Receive, FrameSystems::Upload).chain(),
            )
            .register_diagnostic(Diagnostic::new(CAPTURE_FPS))
            .register_diagnostic(Diagnostic::new(CAPTURE_TO_DISPLAY_MS).with_suffix(" ms"))
            .add_systems(PreUpdate, upload_frame.in_set(FrameSystems::Upload))
            .add_systems(Last, measure_latency);
        let image = new_frame_image(1, 1);
        let handle = app.world_mut().resource_mut::<Assets<Image>>().add(image);
        app.insert_resource(FrameImage(handle));
    }
}

fn new_frame_image(width: u32, height: u32) -> Image {
    let mut image = Image::new(
        Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        vec![0; width as usize * height as usize * 4],
        TextureFormat::Rgba8Unorm,
        RenderAssetUsages::default(),
    );
    // Read texel by texel where it is shown 1:1: nearest keeps any pass-through exact.
    image.sampler = ImageSampler::nearest();
    image
}

fn upload_frame(
    mut incoming: ResMut<IncomingFrame>,
    mut current: ResMut<CurrentFrame>,
    frame_image: Res<FrameImage>,
    mut images: ResMut<Assets<Image>>,
    mut diagnostics: Diagnostics,
) {
    let Some(frame) = incoming.0.take() else {
        return;
    };
    if let Some(previous) = &current.frame
        && frame.id > previous.id
        && frame.captured_at > previous.captured_at
    {
        let seconds = (frame.captured_at - previous.captured_at).as_secs_f64();
        diagnostics.add_measurement(&CAPTURE_FPS, || (frame.id - previous.id) as f64 / seconds);
    }
    let Some(mut image) = images.get_mut(&frame_image.0) else {
        return;
    };
    let size = Extent3d {
        width: frame.width,
        height: frame.height,
        depth_or_array_layers: 1,
    };
    image.texture_descriptor.size = size;
    image.data = Some(frame.rgba.as_ref().clone());
    current.uploaded += 1;
    current.frame = Some(frame);
}

fn measure_latency(current: Res<CurrentFrame>, mut diagnostics: Diagnostics) {
    if !current.is_changed() {
        return;
    }
    if let Some(frame) = &current.frame {
        let ms = frame.captured_at.elapsed().as_secs_f64() * 1e3;
        diagnostics.add_measurement(&CAPTURE_TO_DISPLAY_MS, || ms);
    }
}

/// Live capture: a feed per source, newest frame wins, fallback on failure.
pub struct CapturePlugin;

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        if !app.is_plugin_added::<FramePlugin>() {
            app.add_plugins(FramePlugin);
        }
        app.init_resource::<CaptureSettings>()
            .init_resource::<CaptureStatus>()
            .add_message::<SwitchSource>()
            .insert_non_send(MainThreadFeed::default())
            .add_systems(Startup, start_configured_source)
            .add_systems(
                PreUpdate,
                (switch_source, step_main_thread_feed, poll_worker)
                    .chain()
                    .in_set(FrameSystems::Receive),
            );
    }
}

/// The live capture's worker for the source now playing.
#[derive(Resource)]
pub struct LiveCapture {
    spec: SourceSpec,
    worker: Worker,
}

impl LiveCapture {
    pub fn spec(&self) -> &SourceSpec {
        &self.spec
    }

    /// Turns mirroring on or off for the frames to come.
    pub fn set_mirror(&self, on: bool) {
        self.worker.shared.mirror.store(on, Ordering::Relaxed);
    }
}

fn start_configured_source(
    mut commands: Commands,
    settings: Res<CaptureSettings>,
    mut main_thread: NonSendMut<MainThreadFeed>,
) {
    let spec = settings.source.clone();
    let mirror = settings.mirror.unwrap_or(spec.is_camera());
    commands.insert_resource(CaptureStatus {
        active_source: format!("{spec} (opening)"),
        mirror,
        ..default()
    });
    commands.insert_resource(LiveCapture {
        worker: Worker::start(&spec, &settings, mirror, &mut main_thread),
        spec,
    });
}

fn switch_source(
    mut requests: MessageReader<SwitchSource>,
    mut settings: ResMut<CaptureSettings>,
    mut status: ResMut<CaptureStatus>,
    mut live: ResMut<LiveCapture>,
    mut main_thread: NonSendMut<MainThreadFeed>,
) {
    let Some(SwitchSource(spec)) = requests.read().last() else {
        return;
    };
    settings.source = spec.clone();
    status.mirror = settings.mirror.unwrap_or(spec.is_camera());
    status.on_fallback = false;
    status.active_source = format!("{spec} (opening)");
    *live = LiveCapture {
        worker: Worker::start(spec, &settings, status.mirror, &mut main_thread),
        spec: spec.clone(),
    };
}

fn poll_worker(
    settings: Res<CaptureSettings>,
    mut status: ResMut<CaptureStatus>,
    mut live: ResMut<LiveCapture>,
    mut incoming: ResMut<IncomingFrame>,
    mut main_thread: NonSendMut<MainThreadFeed>,
) {
    let events = live.worker.take_events();
    for event in events {
        match event {
            WorkerEvent::Opened(name) => {
                info!("capture: playing {name}");
                status.active_source = name;
            }
            WorkerEvent::Failed(error) => {
                if live.spec == settings.fallback {
                    error!("capture: {error}");
                    status.report(error.to_string());
                    continue;
                }
                let problem = format!("{error} — showing the {} instead", settings.fallback);
                error!("capture: {problem}");
                status.report(problem);
                status.on_fallback = true;
                status.active_source = format!("{} (opening)", settings.fallback);
                let mirror = status.mirror && settings.fallback.is_camera();
                status.mirror = mirror;
                *live = LiveCapture {
                    worker: Worker::start(&settings.fallback, &settings, mirror, &mut main_thread),
                    spec: settings.fallback.clone(),
                };
                // The failed worker's remaining events are moot.
                break;
            }
        }
    }
    if let Some(frame) = live.worker.take_newest() {
        incoming.0 = Some(frame);
    }
}

pub(crate) enum WorkerEvent {
    Opened(String),
    Failed(CaptureError),
}

#[derive(Default)]
struct WorkerShared {
    /// One-slot mailbox: a new frame replaces one the app has not taken yet.
    newest: Mutex<Option<Frame>>,
    events: Mutex<Vec<WorkerEvent>>,
    stop: AtomicBool,
    mirror: AtomicBool,
}

/// The feed of one source: a thread that owns it, or the [`MainThreadFeed`] slot. Dropping it
/// asks the feed to stop; a thread is not joined, since a camera can block in a read for a while
/// and the app must not wait for it.
pub(crate) struct Worker {
    shared: Arc<WorkerShared>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

impl Worker {
    /// Starts a feed for `spec` where the settings say.
    fn start(
        spec: &SourceSpec,
        settings: &CaptureSettings,
        mirror: bool,
        main_thread: &mut MainThreadFeed,
    ) -> Self {
        match settings.feed {
            FeedThread::Worker => Self::spawn(spec.clone(), settings.options.clone(), mirror),
            FeedThread::MainThread => {
                Self::on_main_thread(spec, &settings.options, mirror, main_thread)
            }
        }
    }

    pub(crate) fn spawn(spec: SourceSpec, options: SourceOptions, mirror: bool) -> Self {
        let shared = WorkerShared::new(mirror);
        let thread_shared = Arc::clone(&shared);
        #[cfg(feature = "native")]
        let spawned = std::thread::Builder::new()
            .name(format!("capture {spec}"))
            .spawn(move || run_worker(&spec, &options, &thread_shared))
            .map(|_| ());
        #[cfg(not(feature = "native"))]
        let spawned: Result<(), &str> = {
            let _ = (spec, options, thread_shared);
            Err("no threads in this build (use FeedThread::MainThread)")
        };
        if let Err(e) = spawned {
            shared.fail(CaptureError::Unsupported {
                what: format!("a capture thread ({e})"),
            });
        }
        Self { shared }
    }

    /// Opens the source now and leaves it in `slot`, which [`step_main_thread_feed`] polls.
    fn on_main_thread(
        spec: &SourceSpec,
        options: &SourceOptions,
        mirror: bool,
        slot: &mut MainThreadFeed,
    ) -> Self {
        let shared = WorkerShared::new(mirror);
        slot.0 = match open_source(spec, options) {
            Ok(source) => {
                let name = source.name();
                shared.event(WorkerEvent::Opened(name.clone()));
                Some(OpenFeed {
                    interval: source.frame_interval(),
                    source,
                    name,
                    due: Instant::now(),
                    shared: Arc::clone(&shared),
                })
            }
            Err(error) => {
                shared.fail(error);
                None
            }
        };
        Self { shared }
    }

    /// The newest frame, if one arrived since the last call.
    pub(crate) fn take_newest(&self) -> Option<Frame> {
        self.shared.newest.lock().unwrap().take()
    }

    /// What happened on the worker since the last call.
    pub(crate) fn take_events(&self) -> Vec<WorkerEvent> {
        std::mem::take(&mut *self.shared.events.lock().unwrap())
    }
}

impl WorkerShared {
    fn new(mirror: bool) -> Arc<Self> {
        Arc::new(Self {
            mirror: AtomicBool::new(mirror),
            ..default()
        })
    }

    fn event(&self, event: WorkerEvent) {
        self.events.lock().unwrap().push(event);
    }

    fn fail(&self, error: CaptureError) {
        self.event(WorkerEvent::Failed(error));
    }

    /// Takes the source's next frame into the mailbox; an error ends the feed.
    #[cfg(feature = "native")]
    fn pull(&self, source: &mut dyn FrameSource, name: &str) -> Result<(), CaptureError> {
        self.hand_over(source.next_frame()?, name)
    }

    /// Like `pull`, from a source that may have nothing new yet (the main-thread feed).
    fn poll(&self, source: &mut dyn FrameSource, name: &str) -> Result<(), CaptureError> {
        match source.poll_frame()? {
            Some(frame) => self.hand_over(frame, name),
            None => Ok(()),
        }
    }

    fn hand_over(&self, mut frame: Frame, name: &str) -> Result<(), CaptureError> {
        frame.validate(name)?;
        if self.mirror.load(Ordering::Relaxed) {
            frame.mirror_horizontally();
        }
        *self.newest.lock().unwrap() = Some(frame);
        Ok(())
    }
}

/// The source a [`FeedThread::MainThread`] feed plays (sources need not be `Send`, so it is a
/// non-send resource).
#[derive(Default)]
pub struct MainThreadFeed(Option<OpenFeed>);

struct OpenFeed {
    source: Box<dyn FrameSource>,
    name: String,
    interval: Option<std::time::Duration>,
    /// When the next frame is due.
    due: Instant,
    shared: Arc<WorkerShared>,
}

/// Pulls one frame from the main-thread source when it is due (at most one per app frame: a
/// slow app gets the newest frame, as from a thread).
fn step_main_thread_feed(mut slot: NonSendMut<MainThreadFeed>) {
    let Some(feed) = slot.0.as_mut() else {
        return;
    };
    if feed.shared.stop.load(Ordering::Relaxed) {
        slot.0 = None;
        return;
    }
    let now = Instant::now();
    if let Some(interval) = feed.interval {
        if now < feed.due {
            return;
        }
        // Behind (a slow app frame): restart the clock rather than burst to catch up.
        feed.due = (feed.due + interval).max(now);
    }
    if let Err(error) = feed.shared.poll(feed.source.as_mut(), &feed.name) {
        feed.shared.fail(error);
        slot.0 = None;
    }
}

#[cfg(feature = "native")]
fn run_worker(spec: &SourceSpec, options: &SourceOptions, shared: &WorkerShared) {
    let mut source = match open_source(spec, options) {
        Ok(source) => source,
        Err(error) => return shared.fail(error),
    };
    let name = source.name();
    shared.event(WorkerEvent::Opened(name.clone()));
    let interval = source.frame_interval();
    let mut due = Instant::now();
    while !shared.stop.load(Ordering::Relaxed) {
        if let Err(error) = shared.pull(source.as_mut(), &name) {
            return shared.fail(error);
        }
        if let Some(interval) = interval {
            due += interval;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            } else {
                // Behind (slow decode): restart the clock rather than burst to catch up.
                due = now;
            }
        }
    }
}
