//! Headless mode: the same plugins without a window. Every source frame is pulled in order,
//! rendered through the chain, read back, and written as `frame_00000.png`… or into a video —
//! output k always comes from source frame k, and the output has the source's size.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::app::{AppExit, ScheduleRunnerPlugin};
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use indicatif::{ProgressBar, ProgressStyle};

use crate::capture::{
    CaptureError, Frame, FramePlugin, FrameSystems, IncomingFrame, SourceOptions, SourceSpec,
    open_source,
};
use crate::effects::{BackdropSettings, EffectsPlugin, FrameChain};
use crate::inference::preprocess::upsample_mask;
use crate::inference::{
    CurrentMask, InferenceMode, InferencePlugin, InferenceSettings, InferenceStatus, Mask,
};
use crate::memory::FrameReporter;
use crate::preset::{Preset, PresetCatalog, PresetPlugin};

/// Frames rendered but not yet read back, at most. Two keeps the GPU busy while the CPU writes.
const MAX_IN_FLIGHT: u64 = 2;
/// App updates to let a new frame size reach the camera and its target before capturing.
const SETTLE_UPDATES: u32 = 2;
/// With no frame read back for this long the run is abandoned with an error instead of hanging.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the frames go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchOutput {
    /// `DIR/frame_00000.png`, one PNG per frame.
    Frames(PathBuf),
    /// One video file (H.264), written by `ffmpeg`.
    Video(PathBuf),
}

impl BatchOutput {
    /// A path with a video extension (`.mp4`, `.mkv`, `.mov`, `.webm`) is a video; anything else a
    /// folder for PNGs.
    pub fn from_path(path: &Path) -> Self {
        let is_video = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["mp4", "mkv", "mov", "webm"].contains(&e.to_ascii_lowercase().as_str())
        });
        if is_video {
            BatchOutput::Video(path.to_owned())
        } else {
            BatchOutput::Frames(path.to_owned())
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            BatchOutput::Frames(p) | BatchOutput::Video(p) => p,
        }
    }

    /// The file frame `k` is written to, for PNG output.
    pub fn frame_path(dir: &Path, k: u64) -> PathBuf {
        dir.join(format!("frame_{k:05}.png"))
    }

    /// The file frame `k`'s mask is written to (`--write-mask`).
    pub fn mask_path(dir: &Path, k: u64) -> PathBuf {
        dir.join(format!("mask_{k:05}.png"))
    }
}

/// A headless run.
#[derive(Clone, Debug)]
pub struct BatchConfig {
    pub source: SourceSpec,
    pub options: SourceOptions,
    pub mirror: bool,
    /// Frames to write; `None`: one pass through a finite source.
    pub frames: Option<u64>,
    pub output: BatchOutput,
    /// Show a progress bar (it draws only on a terminal).
    pub progress: bool,
    /// Install Bevy's logger (leave off when the caller has one).
    pub log: bool,
    /// Segmentation to run on every frame (always in lockstep: frame k gets frame k's mask);
    /// `None` renders the frames as they are.
    pub inference: Option<InferenceSettings>,
    /// The folder with `models.ron` and the model files (the `models` asset source); `None`:
    /// `models/` under Bevy's asset base.
    pub models_dir: Option<PathBuf>,
    /// Also write `mask_00000.png`…: the raw model mask upsampled to frame size (PNG output only).
    pub write_mask: bool,
    /// The effects chain's settings.
    pub effects: BackdropSettings,
    /// Show chain A (`effects`) and chain B side by side (the split view) and write that.
    pub split: Option<crate::effects::split::SplitView>,
    /// A preset file that replaces every setting it holds (model, backend, threads and the
    /// chain's settings) from frame 0, and is watched: an edit applies to the frames after it.
    pub preset: Option<PathBuf>,
    /// Print a line every N frames written: frames, fps, resident memory (soak runs).
    pub report_every: Option<u64>,
}

/// What a finished run did.
#[derive(Clone, Debug)]
pub struct BatchSummary {
    pub frames: u64,
    pub seconds: f64,
    /// Size of the last frame written.
    pub width: u32,
    pub height: u32,
    pub output: PathBuf,
    pub source: String,
    /// The GPU adapter that rendered (on a machine without a GPU: llvmpipe).
    pub adapter: String,
    /// The process's resident memory when the last frame had rendered, in MB (where the platform
    /// reports it).
    pub resident_mb: Option<f64>,
}

impl BatchSummary {
    pub fn fps(&self) -> f64 {
        self.frames as f64 / self.seconds.max(1e-9)
    }
}

impl std::fmt::Display for BatchSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} frames of {}×{} from {} → {} in {:.2} s ({:.1} fps, {}, resident {})",
            self.frames,
            self.width,
            self.height,
            self.source,
            self.output.display(),
            self.seconds,
            self.fps(),
            self.adapter,
            self.resident_mb
                .map_or("n/a".into(), |mb| format!("{mb:.0} MB"))
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("{source_name} has no end: give the number of frames to write with --frames N")]
    Endless { source_name: String },
    #[error("{}: {message}", path.display())]
    Output { path: PathBuf, message: String },
    #[error("rendering stalled: no frame read back for {} s", STALL_TIMEOUT.as_secs())]
    Stalled,
    #[error("the app stopped before all frames were written")]
    Interrupted,
    #[error("segmentation: {0}")]
    Inference(String),
    #[error("background: {0}")]
    Background(String),
    #[error("preset {0}")]
    Preset(String),
    #[error("--write-mask needs a model (not --model none) and PNG output (a folder)")]
    MaskWithoutModel,
    #[error(
        "--write-mask writes the mask from the CPU; the GPU backend keeps it on the GPU: write \
         the picture with --view decoded instead, or use another backend"
    )]
    MaskOnTheGpu,
}

/// Runs a headless batch to the end. Blocks; returns what was written.
pub fn run_batch(mut config: BatchConfig) -> Result<BatchSummary, BatchError> {
    let started = Instant::now();
    let presets = match &config.preset {
        Some(path) => {
            // Read up front, so frame 0 already has it; a broken file stops the run here.
            let preset = Preset::load_file(path).map_err(BatchError::Preset)?;
            let catalog = PresetCatalog::shipped()
                .with_start(path)
                .map_err(BatchError::Preset)?;
            let folder = crate::preset::folder_of(path);
            config.effects = preset.effects(&config.effects, folder.as_deref());
            if let Some(inference) = config.inference.as_mut().filter(|i| i.custom.is_none()) {
                inference.model = preset.model.clone();
                inference.backend = preset.backend;
                inference.threads = preset.threads as usize;
            }
            Some(catalog)
        }
        None => None,
    };
    if config.write_mask
        && (config.inference.is_none() || matches!(config.output, BatchOutput::Video(_)))
    {
        return Err(BatchError::MaskWithoutModel);
    }
    if config.write_mask
        && config.inference.as_ref().is_some_and(|i| {
            i.custom.is_none() && i.backend == crate::inference::BackendChoice::Gpu
        })
    {
        return Err(BatchError::MaskOnTheGpu);
    }
    let reader = SourceReader::spawn(config.source.clone(), config.options.clone())?;
    let total = config
        .frames
        .or(reader.frames_per_pass)
        .ok_or_else(|| BatchError::Endless {
            source_name: reader.name.clone(),
        })?;
    if let BatchOutput::Frames(dir) = &config.output {
        std::fs::create_dir_all(dir).map_err(|e| BatchError::Output {
            path: dir.clone(),
            message: format!("cannot create the folder: {e}"),
        })?;
    }

    let progress = if config.progress {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} frames  {per_sec}  eta {eta}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let (to_writer, from_renderer) = sync_channel::<Captured>(MAX_IN_FLIGHT as usize + 1);
    let writer = Writer::spawn(
        config.output.clone(),
        reader.fps,
        from_renderer,
        progress.clone(),
        config.report_every.map(FrameReporter::new),
    );

    let shared = Arc::new(BatchShared::default());
    let mut app = App::new();
    let with_presets = presets.is_some();
    // Asset sources first: they are fixed when the AssetPlugin builds.
    if let Some(catalog) = presets {
        catalog.install(&mut app);
    }
    app.add_plugins(crate::inference::ModelSourcePlugin {
        folder: config.models_dir.clone(),
    });
    app.add_plugins(headless_plugins(config.log))
        .add_plugins(FramePlugin);
    if let Some(inference) = &config.inference {
        app.insert_resource(InferenceSettings {
            mode: InferenceMode::Lockstep,
            ..inference.clone()
        })
        .add_plugins(InferencePlugin);
    }
    app.add_plugins(EffectsPlugin)
        .insert_resource(crate::effects::background::BackgroundPlayback::Lockstep);
    if with_presets {
        app.add_plugins(PresetPlugin);
    }
    if let Some(split) = &config.split {
        app.insert_resource(split.clone());
    }
    let camera = app.world().resource::<FrameChain>().camera;
    app.world_mut()
        .entity_mut(camera)
        .insert(config.effects.clone());
    app.insert_resource(BatchDriver {
        frames: Mutex::new(reader.frames),
        total,
        mirror: config.mirror,
        source_name: reader.name.clone(),
        requested: 0,
        settle: 0,
        last_size: None,
        pending: None,
        last_progress: Instant::now(),
        fed: None,
        write_mask: config.write_mask,
        to_writer,
        shared: Arc::clone(&shared),
    })
    .add_systems(PreUpdate, feed_batch.in_set(FrameSystems::Receive))
    .add_systems(PostUpdate, capture_batch);
    app.run();
    // Before the app goes: its memory is what a longer run would keep.
    let resident_mb = crate::memory::resident_mb();
    let adapter = shared.adapter.lock().unwrap().clone();
    // The app (and with it the writer's channel) must go before the writer can finish.
    drop(app);
    let written = writer.finish();
    progress.finish_and_clear();
    if let Some(error) = shared.failure.lock().unwrap().take() {
        return Err(error);
    }
    let (width, height) = written?;
    let frames = shared.captured.load(Ordering::Relaxed);
    if frames < total {
        return Err(BatchError::Interrupted);
    }
    Ok(BatchSummary {
        frames,
        seconds: started.elapsed().as_secs_f64(),
        width,
        height,
        output: config.output.path().to_owned(),
        source: reader.name,
        adapter,
        resident_mb,
    })
}

fn headless_plugins(log: bool) -> bevy::app::PluginGroupBuilder {
    crate::headless_default_plugins(log).add(ScheduleRunnerPlugin::run_loop(Duration::ZERO))
}

/// The source, opened and read on its own thread so decoding overlaps rendering.
struct SourceReader {
    name: String,
    frames_per_pass: Option<u64>,
    fps: f32,
    frames: Receiver<Result<Frame, CaptureError>>,
}

impl SourceReader {
    fn spawn(spec: SourceSpec, options: SourceOptions) -> Result<Self, CaptureError> {
        let (opened_tx, opened_rx) = sync_channel(1);
        let (frame_tx, frames) = sync_channel(2);
        std::thread::Builder::new()
            .name("batch source".into())
            .spawn(move || {
                let mut source = match open_source(&spec, &options) {
                    Ok(source) => source,
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                let fps = source
                    .frame_interval()
                    .map_or(30.0, |d| 1.0 / d.as_secs_f32());
                let _ = opened_tx.send(Ok((source.name(), source.frames_per_pass(), fps)));
                loop {
                    let next = source.next_frame();
                    let failed = next.is_err();
                    // The receiver hangs up when the run is over.
                    if frame_tx.send(next).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|e| CaptureError::Unsupported {
                what: format!("a source thread ({e})"),
            })?;
        let (name, frames_per_pass, fps) =
            opened_rx.recv().map_err(|_| CaptureError::Unsupported {
                what: "the source thread (it stopped while opening)".into(),
            })??;
        Ok(Self {
            name,
            frames_per_pass,
            fps,
            frames,
        })
    }
}

#[derive(Default)]
struct BatchShared {
    captured: AtomicU64,
    adapter: Mutex<String>,
    failure: Mutex<Option<BatchError>>,
}

#[derive(Resource)]
struct BatchDriver {
    frames: Mutex<Receiver<Result<Frame, CaptureError>>>,
    total: u64,
    mirror: bool,
    source_name: String,
    /// Frames whose screenshot has been requested.
    requested: u64,
    /// Updates still to wait before capturing `pending` (a new size settles).
    settle: u32,
    last_size: Option<(u32, u32)>,
    /// A frame uploaded but not yet captured (waiting for its size to settle).
    pending: Option<Frame>,
    last_progress: Instant,
    /// The frame fed in this app update, to be captured in `PostUpdate`.
    fed: Option<Frame>,
    write_mask: bool,
    to_writer: SyncSender<Captured>,
    shared: Arc<BatchShared>,
}

/// One read-back frame and, with `--write-mask`, its mask.
struct Captured {
    k: u64,
    image: Image,
    mask: Option<Arc<Mask>>,
}

impl BatchDriver {
    fn fail(&self, error: BatchError, exit: &mut MessageWriter<AppExit>) {
        self.shared.failure.lock().unwrap().get_or_insert(error);
        exit.write(AppExit::error());
    }
}

/// Pulls the next source frame in order (blocking: headless never drops one) and hands it to the
/// upload.
fn feed_batch(
    mut driver: ResMut<BatchDriver>,
    mut incoming: ResMut<IncomingFrame>,
    mut reset: ResMut<crate::effects::TemporalReset>,
    mut exit: MessageWriter<AppExit>,
    adapter: Option<Res<RenderAdapterInfo>>,
    inference: Option<Res<InferenceStatus>>,
) {
    if let Some(adapter) = adapter.filter(|a| a.is_added()) {
        *driver.shared.adapter.lock().unwrap() = adapter.name.clone();
    }
    driver.fed = None;
    if inference.is_some_and(|i| i.loading.is_some()) {
        // Frame k gets frame k's mask: no frame before the model is in place (it arrives through
        // the asset server, a few app frames after the start).
        return;
    }
    let captured = driver.shared.captured.load(Ordering::Relaxed);
    if driver.shared.failure.lock().unwrap().is_some() {
        exit.write(AppExit::error());
        return;
    }
    if captured >= driver.total {
        exit.write(AppExit::Success);
        return;
    }
    if captured > 0 && driver.last_progress.elapsed() > STALL_TIMEOUT {
        driver.fail(BatchError::Stalled, &mut exit);
        return;
    }
    if driver.requested >= driver.total || driver.requested - captured >= MAX_IN_FLIGHT {
        return;
    }

    let frame = match driver.pending.take() {
        Some(frame) => frame,
        None => {
            let next = driver.frames.lock().unwrap().recv();
            let mut frame = match next {
                Ok(Ok(frame)) => frame,
                Ok(Err(e)) => return driver.fail(e.into(), &mut exit),
                Err(_) => return driver.fail(BatchError::Interrupted, &mut exit),
            };
            if let Err(e) = frame.validate(&driver.source_name) {
                return driver.fail(e.into(), &mut exit);
            }
            if driver.mirror {
                frame.mirror_horizontally();
            }
            let size = Some((frame.width, frame.height));
            if driver.last_size != size {
                driver.last_size = size;
                driver.settle = SETTLE_UPDATES;
            }
            frame
        }
    };
    incoming.0 = Some(frame.clone());
    if driver.settle > 0 {
        driver.settle -= 1;
        driver.pending = Some(frame);
        if driver.settle == 0 {
            // The renders while the size settled were not the picture: no history from them.
            reset.0 += 1;
        }
        return;
    }
    driver.fed = Some(frame);
}

/// Requests the read-back of the frame fed in this update, once its own mask is in place (the
/// lockstep inference computed it in `Update`).
#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn capture_batch(
    mut driver: ResMut<BatchDriver>,
    shown: Res<crate::effects::split::ShownImage>,
    mask: Option<Res<CurrentMask>>,
    inference: Option<Res<InferenceStatus>>,
    background: Res<crate::effects::background::BackgroundPicture>,
    current: Res<crate::capture::CurrentFrame>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    if driver.fed.take().is_none() {
        return;
    }
    if let Some(problem) = background.problems.last() {
        return driver.fail(BatchError::Background(problem.clone()), &mut exit);
    }
    let mask = match &mask {
        None => None,
        Some(mask) => match &mask.mask {
            Some(m) if m.frame_seq == current.uploaded => Some(Arc::clone(m)),
            _ => {
                let why = inference
                    .and_then(|s| s.problems.last().cloned())
                    .unwrap_or_else(|| "no mask was computed for the frame".into());
                return driver.fail(BatchError::Inference(why), &mut exit);
            }
        },
    };
    let k = driver.requested;
    driver.requested += 1;
    let to_writer = driver.to_writer.clone();
    let shared = Arc::clone(&driver.shared);
    let mask = mask.filter(|_| driver.write_mask);
    commands.spawn(Screenshot::image(shown.0.clone())).observe(
        move |captured: On<ScreenshotCaptured>| {
            // The writer only goes away when the run is over.
            let _ = to_writer.send(Captured {
                k,
                image: captured.image.clone(),
                mask: mask.clone(),
            });
            shared.captured.fetch_add(1, Ordering::Relaxed);
        },
    );
    driver.last_progress = Instant::now();
}

/// Writes read-back frames on its own thread, in order.
struct Writer {
    thread: std::thread::JoinHandle<Result<(u32, u32), BatchError>>,
}

impl Writer {
    fn spawn(
        output: BatchOutput,
        fps: f32,
        frames: Receiver<Captured>,
        progress: ProgressBar,
        mut reporter: Option<FrameReporter>,
    ) -> Self {
        let thread = std::thread::Builder::new()
            .name("batch writer".into())
            .spawn(move || write_frames(&output, fps, frames, &progress, reporter.as_mut()))
            .expect("the writer thread starts");
        Self { thread }
    }

    fn finish(self) -> Result<(u32, u32), BatchError> {
        self.thread.join().unwrap_or(Err(BatchError::Interrupted))
    }
}

fn output_error(path: &Path, message: impl std::fmt::Display) -> BatchError {
    BatchError::Output {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

fn write_frames(
    output: &BatchOutput,
    fps: f32,
    frames: Receiver<Captured>,
    progress: &ProgressBar,
    mut reporter: Option<&mut FrameReporter>,
) -> Result<(u32, u32), BatchError> {
    let mut video: Option<crate::capture::video::VideoWriter> = None;
    let mut size = (0, 0);
    for (expected, Captured { k, image, mask }) in frames.into_iter().enumerate() {
        // Screenshots arrive in the order they were requested; output k must be source frame k,
        // so anything else stops the run (in release builds too).
        if k != expected as u64 {
            return Err(output_error(
                output.path(),
                format!("frame {k} arrived where frame {expected} was due: frames out of order"),
            ));
        }
        let rgba = crate::effects::picture_rgba(image)
            .map_err(|e| output_error(output.path(), format!("frame {k}: {e}")))?;
        size = rgba.dimensions();
        match output {
            BatchOutput::Frames(dir) => {
                let path = BatchOutput::frame_path(dir, k);
                save_png(&path, &rgba).map_err(|e| output_error(&path, e))?;
                if let Some(mask) = mask {
                    let path = BatchOutput::mask_path(dir, k);
                    let luma = mask_to_luma(&mask, size.0, size.1);
                    save_png(&path, &luma).map_err(|e| output_error(&path, e))?;
                }
            }
            BatchOutput::Video(path) => {
                let writer = match &mut video {
                    Some(writer) => writer,
                    None => video.insert(crate::capture::video::VideoWriter::create(
                        path, size.0, size.1, fps,
                    )?),
                };
                if writer.size() != size {
                    return Err(output_error(
                        path,
                        format!(
                            "frame {k} is {}×{}, the video is {}×{}: a video needs one size",
                            size.0,
                            size.1,
                            writer.size().0,
                            writer.size().1
                        ),
                    ));
                }
                writer.write(rgba.as_raw())?;
            }
        }
        progress.inc(1);
        if let Some(line) = reporter.as_mut().and_then(|r| r.frame(k + 1)) {
            progress.suspend(|| println!("{line}"));
        }
    }
    if let Some(writer) = video {
        writer.finish()?;
    }
    Ok(size)
}

/// The raw model mask at frame size: bilinear upsampling, 8-bit person probability.
pub fn mask_to_luma(mask: &Mask, width: u32, height: u32) -> image::GrayImage {
    let up = upsample_mask(&mask.probability(), mask.width, mask.height, width, height);
    let bytes = up
        .iter()
        .map(|p| (p.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    image::GrayImage::from_raw(width, height, bytes).expect("upsampled to the frame size")
}

/// PNG with fast compression: the writer thread must keep up with the renderer.
fn save_png<P>(path: &Path, picture: &image::ImageBuffer<P, Vec<u8>>) -> image::ImageResult<()>
where
    P: image::PixelWithColorType<Subpixel = u8>,
{
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    PngEncoder::new_with_quality(file, CompressionType::Fast, FilterType::Adaptive).write_image(
        picture.as_raw(),
        picture.width(),
        picture.height(),
        P::COLOR_TYPE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(k: u64) -> Captured {
        Captured {
            k,
            image: Image::new_fill(
                bevy::render::render_resource::Extent3d {
                    width: 2,
                    height: 2,
                    depth_or_array_layers: 1,
                },
                bevy::render::render_resource::TextureDimension::D2,
                &[10, 20, 30, 255],
                bevy::render::render_resource::TextureFormat::Rgba8UnormSrgb,
                bevy::asset::RenderAssetUsages::default(),
            ),
            mask: None,
        }
    }

    #[test]
    fn frames_out_of_order_stop_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let output = BatchOutput::Frames(dir.path().to_owned());
        let write = |order: &[u64]| {
            let (tx, rx) = sync_channel(order.len());
            for &k in order {
                tx.send(captured(k)).unwrap();
            }
            drop(tx);
            write_frames(&output, 30.0, rx, &ProgressBar::hidden(), None)
        };
        assert_eq!(write(&[0, 1, 2]).unwrap(), (2, 2));
        let error = write(&[0, 2, 1]).unwrap_err().to_string();
        assert!(
            error.contains("frame 2 arrived where frame 1 was due"),
            "{error}"
        );
    }
}
