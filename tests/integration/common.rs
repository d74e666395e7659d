//! Helpers shared by the tests: fixtures made here, image comparison, one GPU user at a time.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use bevy_backdrop::batch::{BatchConfig, BatchOutput, BatchSummary, run_batch};
use bevy_backdrop::capture::{SourceOptions, SourceSpec};

/// Finishes building an app the way Bevy's runners do, for tests that call `update` themselves.
pub fn make_ready(app: &mut bevy::app::App) {
    while app.plugins_state() == bevy::app::PluginsState::Adding {
        bevy::tasks::tick_global_task_pools_on_main_thread();
    }
    app.finish();
    app.cleanup();
}

/// Runs the headless mode into a PNG folder with a segmentation model (tract, lockstep), writing
/// masks too.
pub fn segment_frames(source: SourceSpec, frames: Option<u64>, dir: &Path, model: &str) {
    let inference = bevy_backdrop::inference::InferenceSettings {
        model: model.into(),
        backend: bevy_backdrop::inference::BackendChoice::Tract,
        ..Default::default()
    };
    headless(source, frames, dir, Some(inference));
}

/// GPU tests take turns: two Bevy renderers on 2 cores only slow each other down, and lavapipe
/// is memory-hungry.
pub fn gpu_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A picture that exercises every channel value and sharp edges: a hash of the coordinates.
pub fn noise_image(width: u32, height: u32, seed: u32) -> image::RgbaImage {
    image::RgbaImage::from_fn(width, height, |x, y| {
        let mut h = x.wrapping_mul(0x9E37_79B1)
            ^ y.wrapping_mul(0x85EB_CA77)
            ^ seed.wrapping_mul(0xC2B2_AE3D);
        h ^= h >> 15;
        h = h.wrapping_mul(0x2C1B_3C6D);
        h ^= h >> 12;
        let [r, g, b, _] = h.to_le_bytes();
        image::Rgba([r, g, b, 255])
    })
}

/// Largest per-channel difference (RGB) between two images of the same size.
pub fn max_channel_difference(a: &image::RgbaImage, b: &image::RgbaImage) -> u8 {
    assert_eq!(a.dimensions(), b.dimensions(), "sizes differ");
    a.pixels()
        .zip(b.pixels())
        .flat_map(|(p, q)| (0..3).map(move |c| p.0[c].abs_diff(q.0[c])))
        .max()
        .unwrap_or(0)
}

pub fn read_png(path: &Path) -> image::RgbaImage {
    image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_rgba8()
}

/// Runs the headless mode into a PNG folder.
pub fn render_frames(source: SourceSpec, frames: Option<u64>, dir: &Path) -> BatchSummary {
    headless(source, frames, dir, None)
}

fn headless(
    source: SourceSpec,
    frames: Option<u64>,
    dir: &Path,
    inference: Option<bevy_backdrop::inference::InferenceSettings>,
) -> BatchSummary {
    let write_mask = inference.is_some();
    headless_with(
        source,
        frames,
        dir,
        inference,
        write_mask,
        Default::default(),
    )
}

/// The headless mode into a PNG folder, with every knob the tests turn.
pub fn headless_with(
    source: SourceSpec,
    frames: Option<u64>,
    dir: &Path,
    inference: Option<bevy_backdrop::inference::InferenceSettings>,
    write_mask: bool,
    effects: bevy_backdrop::effects::BackdropSettings,
) -> BatchSummary {
    let _gpu = gpu_lock();
    let summary = run_batch(BatchConfig {
        source,
        options: SourceOptions::default(),
        mirror: false,
        frames,
        output: BatchOutput::Frames(dir.to_owned()),
        progress: false,
        log: false,
        write_mask,
        effects,
        inference,
        models_dir: None,
        preset: None,
        report_every: None,
        split: None,
    })
    .expect("headless run succeeds");
    println!("{summary}");
    summary
}

/// Inference settings that run a backend of the test's own.
pub fn custom_model(
    info: bevy_backdrop::inference::ModelInfo,
    make: impl Fn() -> Box<dyn bevy_backdrop::inference::SegmentationBackend> + Send + Sync + 'static,
) -> bevy_backdrop::inference::InferenceSettings {
    bevy_backdrop::inference::InferenceSettings {
        custom: Some(bevy_backdrop::inference::CustomModel {
            info,
            make: std::sync::Arc::new(make),
        }),
        ..Default::default()
    }
}

/// A gate a fake backend waits at while the test holds it closed.
#[derive(Clone)]
pub struct Gate(std::sync::Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    pub fn new(open: bool) -> Self {
        Self(std::sync::Arc::new((
            Mutex::new(open),
            std::sync::Condvar::new(),
        )))
    }

    pub fn set_open(&self, open: bool) {
        *self.0.0.lock().unwrap() = open;
        self.0.1.notify_all();
    }

    fn pass(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }
}

/// What a fake backend did.
#[derive(Default)]
pub struct RunCounts {
    pub running: std::sync::atomic::AtomicUsize,
    pub most_at_once: std::sync::atomic::AtomicUsize,
    pub started: std::sync::atomic::AtomicUsize,
}

impl RunCounts {
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn started(&self) -> usize {
        self.started.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A fake model: sleeps `delay`, waits at `gate`, and outputs `value` at every pixel; counts
/// its runs.
pub struct FakeBackend {
    pub delay: std::time::Duration,
    pub gate: Gate,
    pub counts: std::sync::Arc<RunCounts>,
    pub pixels: usize,
    pub value: f32,
}

impl bevy_backdrop::inference::SegmentationBackend for FakeBackend {
    fn backend_name(&self) -> &'static str {
        "fake test backend"
    }

    fn run(
        &mut self,
        _input: &[f32],
    ) -> Result<Vec<f32>, bevy_backdrop::inference::models::ModelError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.counts.running.fetch_add(1, SeqCst) + 1;
        self.counts.most_at_once.fetch_max(now, SeqCst);
        self.counts.started.fetch_add(1, SeqCst);
        std::thread::sleep(self.delay);
        self.gate.pass();
        self.counts.running.fetch_sub(1, SeqCst);
        Ok(vec![self.value; self.pixels])
    }
}

/// Makes a [`FakeBackend`] the app's active model (on the landscape model's table row, so
/// pre-processing and the mask are real-sized). Returns its gate (open or not) and counts.
pub fn install_fake(
    app: &mut bevy::app::App,
    delay: std::time::Duration,
    value: f32,
    open: bool,
) -> (Gate, std::sync::Arc<RunCounts>) {
    use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    let info = registry.get("landscape").unwrap().clone();
    let gate = Gate::new(open);
    let counts = std::sync::Arc::new(RunCounts::default());
    bevy_backdrop::inference::install_backend(
        app.world_mut(),
        info.clone(),
        Box::new(FakeBackend {
            delay,
            gate: gate.clone(),
            counts: std::sync::Arc::clone(&counts),
            pixels: info.output_len(),
            value,
        }),
    );
    (gate, counts)
}
