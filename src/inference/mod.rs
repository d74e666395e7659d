//! Inference: segmentation models run off the render thread.
//!
//! When the previous job is done, the newest frame is resized to the model input and run on
//! Bevy's `AsyncComputeTaskPool`; the app polls the task once per frame and never waits (live
//! mode). The headless mode uses lockstep: each frame's own mask, waited for, so batch output is
//! exact and repeatable. Model and backend loads are tasks too, so switching never stalls frames,
//! and a model that fails to load leaves the previous one running.

pub mod assets;
pub mod backend;
// The comparer runs on a thread of its own: natively. Its table and statistics build everywhere.
#[cfg_attr(not(feature = "native"), allow(dead_code))]
pub mod compare;
pub mod gpu_network;
pub mod models;
pub mod ort_runtime;
pub mod preprocess;
pub mod tract_backend;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web_worker;

#[cfg(feature = "native")]
pub mod ort_backend;

use std::sync::Arc;

use bevy::asset::RenderAssetUsages;
use bevy::diagnostic::{Diagnostic, DiagnosticPath, Diagnostics, RegisterDiagnostic};
use bevy::platform::time::Instant;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::tasks::{AsyncComputeTaskPool, Task, block_on, futures_lite::future::poll_once};

pub use assets::{ModelSourcePlugin, ModelTable, ModelsLocation, OnnxModel};
pub use backend::{BackendChoice, BackendKind, SegmentationBackend};
pub use models::{ModelError, ModelInfo, ModelRegistry, OutputKind};

use crate::capture::{CurrentFrame, Frame};

/// Milliseconds a model run took (the job itself, pre-processing excluded).
pub const INFERENCE_MS: DiagnosticPath = DiagnosticPath::const_new("backdrop/inference_ms");
/// Milliseconds the CPU resize to the model input took.
pub const PREPROCESS_MS: DiagnosticPath = DiagnosticPath::const_new("backdrop/preprocess_ms");
/// Frames between the frame on screen and the frame the shown mask was computed from.
pub const MASK_AGE: DiagnosticPath = DiagnosticPath::const_new("backdrop/mask_age_frames");

/// How inference keeps up with frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InferenceMode {
    /// Newest frame wins; frames never wait for a mask (the playground).
    #[default]
    Live,
    /// Every new frame gets its own mask before the app frame ends (the headless mode).
    Lockstep,
}

/// What to run. Change it by sending [`SwitchModel`] / [`SwitchBackend`].
#[derive(Resource, Clone, Debug)]
pub struct InferenceSettings {
    pub model: String,
    pub backend: BackendChoice,
    /// Intra-op threads for ONNX Runtime (one is fastest on 2 cores).
    pub threads: usize,
    pub mode: InferenceMode,
    /// A model of your own instead of one from the table (then `model` and `backend` are unused).
    pub custom: Option<CustomModel>,
}

/// A backend the app makes itself: its table row and how to make it.
#[derive(Clone)]
pub struct CustomModel {
    pub info: ModelInfo,
    pub make: Arc<dyn Fn() -> Box<dyn SegmentationBackend> + Send + Sync>,
}

impl std::fmt::Debug for CustomModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomModel({:?})", self.info.id)
    }
}

impl InferenceSettings {
    /// ONNX Runtime intra-op threads (a preset's `threads`, `--threads`).
    pub const THREADS: crate::limits::Limit<u32> = crate::limits::Limit::closed("threads", 1, 64);
}

impl Default for InferenceSettings {
    fn default() -> Self {
        Self {
            model: "landscape".into(),
            backend: BackendChoice::Auto,
            threads: 1,
            mode: InferenceMode::Live,
            custom: None,
        }
    }
}

/// Ask for another model (by id).
#[derive(Message, Clone, Debug)]
pub struct SwitchModel(pub String);

/// Ask for another backend.
#[derive(Message, Clone, Copy, Debug)]
pub struct SwitchBackend(pub BackendChoice);

/// Ask for another number of ONNX Runtime intra-op threads (reloads the model).
#[derive(Message, Clone, Copy, Debug)]
pub struct SwitchThreads(pub usize);

/// A mask as the model produced it, at model resolution, tagged with its frame.
#[derive(Clone, Debug)]
pub struct Mask {
    /// The source's id of the frame the mask was computed from.
    pub frame_id: u64,
    /// That frame's upload number ([`CurrentFrame::uploaded`]), for mask age.
    pub frame_seq: u64,
    pub width: u32,
    pub height: u32,
    /// The model's output, pixel-interleaved (two values a pixel for two-class logits).
    pub raw: Vec<f32>,
    /// What `raw` holds.
    pub kind: OutputKind,
    pub model_id: String,
    pub backend: BackendKind,
    pub preprocess_ms: f64,
    pub inference_ms: f64,
}

/// The newest mask, and the texture it is in (`R16Float`, model resolution).
#[derive(Resource)]
pub struct CurrentMask {
    pub mask: Option<Arc<Mask>>,
    pub image: Handle<Image>,
}

/// What the inference is doing, for the screen and the log.
#[derive(Resource, Debug, Default, Clone)]
pub struct InferenceStatus {
    /// The model that runs now (its display name), if any.
    pub model: Option<String>,
    /// Which backend runs and why ("ONNX Runtime (…)", "tract: ONNX Runtime unavailable: …").
    pub backend: String,
    /// A model or backend being loaded.
    pub loading: Option<String>,
    /// The newest problems, each naming its file.
    pub problems: Vec<String>,
}

impl InferenceStatus {
    fn report(&mut self, problem: String) {
        error!("inference: {problem}");
        self.problems.push(problem);
        let excess = self.problems.len().saturating_sub(4);
        self.problems.drain(..excess);
    }
}

/// Ordering: inference runs after the frame upload and before anything that reads the mask.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InferenceSystems;

pub struct InferencePlugin;

impl Plugin for InferencePlugin {
    fn build(&self, app: &mut App) {
        let image = new_mask_image(1, 1, TextureFormat::R16Float, &[0.0]);
        let image = app.world_mut().resource_mut::<Assets<Image>>().add(image);
        if !app.world().contains_resource::<ModelsLocation>() {
            let location = ModelsLocation::in_default_source();
            info!(
                "inference: no `models` asset source (ModelSourcePlugin before DefaultPlugins); reading models from {}",
                location.shown
            );
            app.insert_resource(location);
        }
        use bevy::asset::AssetApp;
        app.init_asset::<ModelTable>()
            .init_asset::<OnnxModel>()
            .init_asset_loader::<assets::ModelTableLoader>()
            .init_asset_loader::<assets::OnnxModelLoader>()
            .init_resource::<InferenceSettings>()
            .init_resource::<InferenceStatus>()
            .insert_resource(CurrentMask { mask: None, image })
            .insert_resource(Engine::default())
            .add_message::<SwitchModel>()
            .add_message::<SwitchBackend>()
            .add_message::<SwitchThreads>()
            .register_diagnostic(Diagnostic::new(INFERENCE_MS).with_suffix(" ms"))
            .register_diagnostic(Diagnostic::new(PREPROCESS_MS).with_suffix(" ms"))
            .register_diagnostic(Diagnostic::new(MASK_AGE))
            .add_plugins(gpu_network::render::GpuSegmentationPlugin)
            .add_systems(Startup, load_configured_model)
            .add_systems(
                Update,
                (
                    switch_requests,
                    follow_model_assets,
                    poll_loading,
                    poll_job,
                    start_job,
                    run_on_gpu,
                    report_mask_age,
                )
                    .chain()
                    .in_set(InferenceSystems),
            );
    }
}

/// Backend loading and running state. The backend moves into a job and comes back with it.
#[derive(Resource, Default)]
struct Engine {
    active: Option<ActiveModel>,
    /// Bumped by each load; a job from an older model does not give its backend back.
    generation: u64,
    job: Option<Task<JobOutput>>,
    /// A load waiting for the table or the model's bytes to arrive through the asset server.
    fetching: Option<Fetch>,
    loading: Option<Task<LoadOutput>>,
    /// Upload number of the last frame a job was started for.
    last_started: Option<u64>,
    /// True while a job of the active model runs on the pool (the comparer waits for it).
    running: Arc<std::sync::atomic::AtomicBool>,
}

/// The model table, loaded at start and kept (an edit of `models.ron` reloads it).
#[derive(Resource, Clone, Debug)]
pub struct ModelTableHandle(pub Handle<ModelTable>);

impl ModelTableHandle {
    /// The ids in the table, once it has loaded.
    pub fn ids(&self, tables: &Assets<ModelTable>) -> Vec<String> {
        tables.get(&self.0).map(ModelTable::ids).unwrap_or_default()
    }
}

struct Fetch {
    generation: u64,
    model_id: String,
    choice: BackendChoice,
    threads: usize,
    /// The model's row and its file's handle, once the table has it.
    file: Option<(ModelInfo, Handle<OnnxModel>)>,
}

struct ActiveModel {
    info: ModelInfo,
    generation: u64,
    backend: Option<Box<dyn SegmentationBackend>>,
}

struct JobOutput {
    generation: u64,
    backend: Box<dyn SegmentationBackend>,
    result: Result<Mask, ModelError>,
}

struct LoadOutput {
    generation: u64,
    backend_line: String,
    result: Result<(ModelInfo, Box<dyn SegmentationBackend>), ModelError>,
}

/// Makes `backend` (running `info`) the active model, replacing whatever runs or loads now: for a
/// backend of your own, and for tests.
pub fn install_backend(world: &mut World, info: ModelInfo, backend: Box<dyn SegmentationBackend>) {
    let mut engine = world.resource_mut::<Engine>();
    engine.generation += 1;
    engine.loading = None;
    engine.fetching = None;
    let generation = engine.generation;
    let name = info.name.clone();
    engine.active = Some(ActiveModel {
        info,
        generation,
        backend: Some(backend),
    });
    let mut status = world.resource_mut::<InferenceStatus>();
    status.loading = None;
    status.model = Some(name);
    status.backend = "installed by the app".into();
}

fn load_configured_model(
    mut commands: Commands,
    settings: Res<InferenceSettings>,
    location: Res<ModelsLocation>,
    server: Res<AssetServer>,
    mut engine: ResMut<Engine>,
    mut status: ResMut<InferenceStatus>,
) {
    let table = server.load::<ModelTable>(location.asset_path("models.ron".as_ref()));
    commands.insert_resource(ModelTableHandle(table));
    start_load(&settings, &mut engine, &mut status);
}

/// Starts loading the configured model: a model of the app's own at once, one from the table
/// once the table and its file have arrived ([`follow_model_assets`]).
fn start_load(settings: &InferenceSettings, engine: &mut Engine, status: &mut InferenceStatus) {
    engine.generation += 1;
    let generation = engine.generation;
    let (model_id, choice, threads) = (settings.model.clone(), settings.backend, settings.threads);
    status.loading = Some(format!("{model_id} ({choice})"));
    engine.loading = None;
    engine.fetching = None;
    if let Some(custom) = settings.custom.clone() {
        engine.loading = Some(AsyncComputeTaskPool::get().spawn(async move {
            LoadOutput {
                generation,
                backend_line: "a backend of the app's own".into(),
                result: Ok((custom.info.clone(), (custom.make)())),
            }
        }));
        return;
    }
    engine.fetching = Some(Fetch {
        generation,
        model_id,
        choice,
        threads,
        file: None,
    });
}

/// Moves a fetch along: table → the model's row → its file → a backend made from the bytes on
/// the task pool. Each failure names the file and the folder it was looked for in.
#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn follow_model_assets(
    mut engine: ResMut<Engine>,
    mut status: ResMut<InferenceStatus>,
    server: Res<AssetServer>,
    location: Res<ModelsLocation>,
    table: Option<Res<ModelTableHandle>>,
    tables: Res<Assets<ModelTable>>,
    files: Res<Assets<OnnxModel>>,
    device: Option<Res<bevy::render::renderer::RenderDevice>>,
) {
    let (Some(fetch), Some(table)) = (engine.fetching.as_mut(), table) else {
        return;
    };
    let generation = fetch.generation;
    let fail = |engine: &mut Engine, status: &mut InferenceStatus, error: ModelError| {
        engine.fetching = None;
        finish_load(
            LoadOutput {
                generation,
                backend_line: String::new(),
                result: Err(error),
            },
            engine,
            status,
        );
    };
    if fetch.file.is_none() {
        let Some(rows) = tables.get(&table.0) else {
            if let bevy::asset::LoadState::Failed(error) = server.load_state(&table.0) {
                let error = location.load_error("models.ron".as_ref(), &error);
                fail(&mut engine, &mut status, error);
            }
            return;
        };
        match rows.get(&fetch.model_id) {
            Ok(info) => {
                let handle = server.load::<OnnxModel>(location.asset_path(&info.file));
                fetch.file = Some((info.clone(), handle));
            }
            Err(error) => return fail(&mut engine, &mut status, error),
        }
    }
    let Some((info, handle)) = &fetch.file else {
        return;
    };
    let Some(model) = files.get(handle) else {
        if let bevy::asset::LoadState::Failed(error) = server.load_state(handle) {
            let error = location.load_error(&info.file, &error);
            fail(&mut engine, &mut status, error);
        }
        return;
    };
    let (info, bytes) = (info.clone(), Arc::clone(&model.bytes));
    let (mut choice, threads) = (fetch.choice, fetch.threads);
    if choice == BackendChoice::Gpu
        && device.is_some_and(|d| !gpu_network::render::device_runs_compute(&d))
    {
        let error = ModelError::BackendUnavailable {
            backend: "gpu",
            reason: "the GPU has no compute shaders (WebGL2)".into(),
        };
        if engine.active.is_some() {
            return fail(&mut engine, &mut status, error);
        }
        // Nothing runs yet: the CPU engine runs instead, and the page says why.
        status.report(format!("{error} — running the CPU engine (auto) instead"));
        choice = BackendChoice::Auto;
    }
    let path = location.shown_path(&info.file);
    // The handle goes with the fetch: the bytes live on in the task until the backend has them.
    engine.fetching = None;
    engine.loading = Some(AsyncComputeTaskPool::get().spawn(async move {
        let (result, backend_line) =
            backend::load_chosen(choice, &path, &bytes, &info, threads).await;
        let result = result.map(|backend| (info, backend));
        LoadOutput {
            generation,
            backend_line,
            result,
        }
    }));
}

fn finish_load(output: LoadOutput, engine: &mut Engine, status: &mut InferenceStatus) {
    status.loading = None;
    match output.result {
        Ok((info, backend)) => {
            info!("inference: {} on {}", info.name, output.backend_line);
            status.model = Some(info.name.clone());
            status.backend = output.backend_line;
            engine.active = Some(ActiveModel {
                info,
                generation: output.generation,
                backend: Some(backend),
            });
        }
        Err(error) => {
            let keeps = status
                .model
                .as_ref()
                .map_or(String::new(), |m| format!(" — keeping {m}"));
            status.report(format!("{error}{keeps}"));
        }
    }
}

fn switch_requests(
    mut models: MessageReader<SwitchModel>,
    mut backends: MessageReader<SwitchBackend>,
    mut threads: MessageReader<SwitchThreads>,
    mut settings: ResMut<InferenceSettings>,
    mut engine: ResMut<Engine>,
    mut status: ResMut<InferenceStatus>,
) {
    let model = models.read().last().cloned();
    let backend = backends.read().last().copied();
    let thread_count = threads.read().last().copied();
    if model.is_none() && backend.is_none() && thread_count.is_none() {
        return;
    }
    if let Some(SwitchThreads(n)) = thread_count {
        settings.threads = n.max(1);
    }
    if let Some(SwitchModel(id)) = model {
        settings.model = id;
    }
    if let Some(SwitchBackend(choice)) = backend {
        settings.backend = choice;
    }
    // A load still running is superseded: its result will not match the generation.
    start_load(&settings, &mut engine, &mut status);
}

fn poll_loading(
    settings: Res<InferenceSettings>,
    mut engine: ResMut<Engine>,
    mut status: ResMut<InferenceStatus>,
) {
    let Some(task) = engine.loading.as_mut() else {
        return;
    };
    let output = if settings.mode == InferenceMode::Lockstep {
        // Headless: the frames wait for the model anyway; waiting here saves app frames.
        block_on(task)
    } else {
        let Some(output) = block_on(poll_once(task)) else {
            return;
        };
        output
    };
    engine.loading = None;
    if output.generation == engine.generation {
        finish_load(output, &mut engine, &mut status);
    }
}

fn poll_job(
    mut engine: ResMut<Engine>,
    mut current: ResMut<CurrentMask>,
    mut images: ResMut<Assets<Image>>,
    mut status: ResMut<InferenceStatus>,
    mut diagnostics: Diagnostics,
) {
    let Some(task) = engine.job.as_mut() else {
        return;
    };
    let Some(output) = block_on(poll_once(task)) else {
        return;
    };
    engine.job = None;
    accept_job(
        output,
        &mut engine,
        &mut current,
        &mut images,
        &mut status,
        &mut diagnostics,
    );
}

fn accept_job(
    output: JobOutput,
    engine: &mut Engine,
    current: &mut CurrentMask,
    images: &mut Assets<Image>,
    status: &mut InferenceStatus,
    diagnostics: &mut Diagnostics,
) {
    if let Some(active) = engine.active.as_mut()
        && active.generation == output.generation
    {
        active.backend = Some(output.backend);
    }
    match output.result {
        Ok(mask) => {
            diagnostics.add_measurement(&INFERENCE_MS, || mask.inference_ms);
            diagnostics.add_measurement(&PREPROCESS_MS, || mask.preprocess_ms);
            let size = Extent3d {
                width: mask.width,
                height: mask.height,
                depth_or_array_layers: 1,
            };
            if let Some(mut image) = images.get_mut(&current.image) {
                let format = raw_mask_format(mask.kind);
                if image.texture_descriptor.size == size
                    && image.texture_descriptor.format == format
                {
                    image.data = Some(mask_texels(&mask.raw));
                } else {
                    *image = new_mask_image(mask.width, mask.height, format, &mask.raw);
                }
            }
            current.mask = Some(Arc::new(mask));
        }
        Err(error) => status.report(error.to_string()),
    }
}

fn start_job(
    settings: Res<InferenceSettings>,
    frame: Res<CurrentFrame>,
    mut engine: ResMut<Engine>,
    mut current: ResMut<CurrentMask>,
    mut images: ResMut<Assets<Image>>,
    mut status: ResMut<InferenceStatus>,
    mut diagnostics: Diagnostics,
) {
    if engine.job.is_some() {
        return;
    }
    let Some(frame_now) = frame.frame.clone() else {
        return;
    };
    if engine.last_started == Some(frame.uploaded) {
        return;
    }
    let Some(active) = engine.active.as_mut() else {
        return;
    };
    // The GPU backend runs in the render world (`run_on_gpu`), not as a job.
    if active
        .backend
        .as_ref()
        .is_some_and(|b| b.gpu_network().is_some())
    {
        return;
    }
    let Some(backend) = active.backend.take() else {
        return;
    };
    let job = spawn_job(
        backend,
        active.info.clone(),
        active.generation,
        frame_now,
        frame.uploaded,
        Arc::clone(&engine.running),
    );
    engine.last_started = Some(frame.uploaded);
    if settings.mode == InferenceMode::Lockstep {
        let output = block_on(job);
        accept_job(
            output,
            &mut engine,
            &mut current,
            &mut images,
            &mut status,
            &mut diagnostics,
        );
    } else {
        engine.job = Some(job);
    }
}

/// With the GPU backend active: each new frame upload is segmented in the render world this very
/// frame ([`gpu_network::render`]), into a mask texture the GPU writes (Rgba16Float, storage);
/// the mask the app records is that frame's (age 0), its values stay on the GPU. Otherwise no
/// [`gpu_network::render::GpuSegmentation`] is there.
#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn run_on_gpu(
    mut commands: Commands,
    frame: Res<CurrentFrame>,
    engine: Res<Engine>,
    running: Option<Res<gpu_network::render::GpuSegmentation>>,
    mut current: ResMut<CurrentMask>,
    mut images: ResMut<Assets<Image>>,
    store: Res<bevy::diagnostic::DiagnosticsStore>,
    mut diagnostics: Diagnostics,
    mut last_timed: Local<Option<Instant>>,
) {
    let gpu = engine.active.as_ref().and_then(|active| {
        let network = active.backend.as_ref()?.gpu_network()?;
        Some((active, network))
    });
    let Some((active, network)) = gpu else {
        if running.is_some() {
            commands.remove_resource::<gpu_network::render::GpuSegmentation>();
        }
        return;
    };
    let Some(frame_now) = &frame.frame else {
        return;
    };
    if running
        .as_ref()
        .is_some_and(|r| r.generation == active.generation && r.frame_seq == frame.uploaded)
    {
        return;
    }
    let info = &active.info;
    let [_, height, width, _] = info.output_shape().map(|d| d as u32);
    let size = Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    };
    let writable = images.get(&current.image).is_some_and(|image| {
        image.texture_descriptor.size == size
            && image.texture_descriptor.format == TextureFormat::Rgba16Float
            && image
                .texture_descriptor
                .usage
                .contains(bevy::render::render_resource::TextureUsages::STORAGE_BINDING)
    });
    if !writable && let Some(mut image) = images.get_mut(&current.image) {
        *image = gpu_mask_image(size);
    }
    commands.insert_resource(gpu_network::render::GpuSegmentation {
        network,
        input: info.input.clone(),
        generation: active.generation,
        mask: current.image.id(),
        frame_seq: frame.uploaded,
    });
    // The network's GPU ms: timestamps on its pass (the chain's timer, where the device has
    // timestamp queries: WebGPU, Vulkan, Metal, DX12), each new one an inference measurement.
    let timed = store
        .get(&gpu_network::render::GPU_MS)
        .and_then(|d| d.measurement())
        .map(|m| (m.time, m.value));
    if let Some((time, ms)) = timed
        && *last_timed != Some(time)
    {
        *last_timed = Some(time);
        diagnostics.add_measurement(&INFERENCE_MS, || ms);
    }
    let inference_ms = timed.map(|(_, ms)| ms);
    current.mask = Some(Arc::new(Mask {
        frame_id: frame_now.id,
        frame_seq: frame.uploaded,
        width,
        height,
        raw: Vec::new(),
        kind: info.output,
        model_id: info.id.clone(),
        backend: BackendKind::Gpu,
        preprocess_ms: 0.0,
        inference_ms: inference_ms.unwrap_or(f64::NAN),
    }));
}

/// The mask texture the GPU backend writes: model size, Rgba16Float (r the first value, g the
/// second), usable as a storage texture and read by the chain like the CPU backends' mask.
fn gpu_mask_image(size: Extent3d) -> Image {
    let mut image = Image::new_fill(
        size,
        TextureDimension::D2,
        &[0; 8],
        TextureFormat::Rgba16Float,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= bevy::render::render_resource::TextureUsages::STORAGE_BINDING;
    image
}

fn spawn_job(
    mut backend: Box<dyn SegmentationBackend>,
    info: ModelInfo,
    generation: u64,
    frame: Frame,
    frame_seq: u64,
    running: Arc<std::sync::atomic::AtomicBool>,
) -> Task<JobOutput> {
    use std::sync::atomic::Ordering;
    running.store(true, Ordering::SeqCst);
    AsyncComputeTaskPool::get().spawn(async move {
        let result = run_model_async(backend.as_mut(), &info, &frame, frame_seq).await;
        running.store(false, Ordering::SeqCst);
        JobOutput {
            generation,
            backend,
            result,
        }
    })
}

/// Pre-processes one frame and runs the model on it: the whole job, callable outside Bevy too.
pub fn run_model(
    backend: &mut dyn SegmentationBackend,
    info: &ModelInfo,
    frame: &Frame,
    frame_seq: u64,
) -> Result<Mask, ModelError> {
    let (input, preprocess_ms) = model_input(info, frame);
    let started = Instant::now();
    let raw = backend.run(&input)?;
    into_mask(backend, info, frame, frame_seq, raw, preprocess_ms, started)
}

/// `run_model` through the backend's `run_async` (the app's jobs).
pub async fn run_model_async(
    backend: &mut dyn SegmentationBackend,
    info: &ModelInfo,
    frame: &Frame,
    frame_seq: u64,
) -> Result<Mask, ModelError> {
    let (input, preprocess_ms) = model_input(info, frame);
    let started = Instant::now();
    let raw = backend.run_async(input).await?;
    into_mask(backend, info, frame, frame_seq, raw, preprocess_ms, started)
}

/// The frame resized to the model's input tensor, and the ms that took.
fn model_input(info: &ModelInfo, frame: &Frame) -> (Vec<f32>, f64) {
    let started = Instant::now();
    let mut input = Vec::new();
    preprocess::frame_to_tensor(
        &frame.rgba,
        frame.width,
        frame.height,
        &info.input,
        &mut input,
    );
    (input, started.elapsed().as_secs_f64() * 1e3)
}

/// The model's output checked and made a mask; the inference ms are the engine's own where it
/// measures them, else the time since `started`.
fn into_mask(
    backend: &dyn SegmentationBackend,
    info: &ModelInfo,
    frame: &Frame,
    frame_seq: u64,
    raw: Vec<f32>,
    preprocess_ms: f64,
    started: Instant,
) -> Result<Mask, ModelError> {
    let inference_ms = backend
        .last_run_ms()
        .unwrap_or_else(|| started.elapsed().as_secs_f64() * 1e3);
    if raw.len() != info.output_len() {
        return Err(ModelError::WrongShape {
            path: info.file.clone(),
            what: "output length",
            found: raw.len().to_string(),
            expected: info.output_len().to_string(),
        });
    }
    Ok(Mask {
        frame_id: frame.id,
        frame_seq,
        width: info.input.width,
        height: info.input.height,
        raw: interleaved(raw, info),
        kind: info.output,
        model_id: info.id.clone(),
        // onnxruntime-web is ONNX Runtime too (its WebAssembly build).
        backend: match backend.backend_name() {
            "ort" | "onnxruntime-web" => BackendKind::Ort,
            _ => BackendKind::Tract,
        },
        preprocess_ms,
        inference_ms,
    })
}

/// Pixel-interleaved raw model output → person probability per pixel: as is, sigmoid of one
/// logit, or the softmax of two (background, person) logits. The effects chain does this on the
/// GPU (`mask_decode`); this is the same math on the CPU.
pub fn decode_raw(raw: &[f32], kind: OutputKind) -> Vec<f32> {
    match kind {
        OutputKind::Probability => raw.to_vec(),
        OutputKind::Logits => raw.iter().map(|&x| 1.0 / (1.0 + (-x).exp())).collect(),
        OutputKind::TwoClassLogits => raw
            .chunks_exact(2)
            .map(|p| 1.0 / (1.0 + (p[0] - p[1]).exp()))
            .collect(),
    }
}

impl Mask {
    /// Person probability per pixel, row-major, decoded on the CPU (for `--write-mask` and tests).
    pub fn probability(&self) -> Vec<f32> {
        decode_raw(&self.raw, self.kind)
    }
}

/// Two-class NCHW outputs are planar; textures want the two values of a pixel side by side.
fn interleaved(raw: Vec<f32>, info: &ModelInfo) -> Vec<f32> {
    if info.output != OutputKind::TwoClassLogits || info.input.layout == models::Layout::Nhwc {
        return raw;
    }
    let pixels = raw.len() / 2;
    (0..pixels)
        .flat_map(|i| [raw[i], raw[pixels + i]])
        .collect()
}

/// Texture format of the raw mask: one or two half floats a pixel (filterable everywhere).
pub fn raw_mask_format(kind: OutputKind) -> TextureFormat {
    match kind {
        OutputKind::TwoClassLogits => TextureFormat::Rg16Float,
        _ => TextureFormat::R16Float,
    }
}

fn report_mask_age(
    frame: Res<CurrentFrame>,
    current: Res<CurrentMask>,
    mut diagnostics: Diagnostics,
) {
    if let Some(mask) = &current.mask {
        let age = frame.uploaded.saturating_sub(mask.frame_seq);
        diagnostics.add_measurement(&MASK_AGE, || age as f64);
    }
}

fn mask_texels(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&p| half::f16::from_f32(p).to_le_bytes())
        .collect()
}

fn new_mask_image(width: u32, height: u32, format: TextureFormat, values: &[f32]) -> Image {
    Image::new(
        Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        mask_texels(values),
        format,
        RenderAssetUsages::default(),
    )
}
