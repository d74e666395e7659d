//! Model comparison: every model × backend timed on the same frames, and how far each one's
//! person mask agrees with the most accurate model's.
//!
//! In the app a comparer runs the candidates one job at a time on its own thread (lowered
//! priority), in the gaps: a job is handed over only when no frame waits for the active model,
//! and the thread starts it only once the active model's job has finished. On 2 cores the async
//! compute pool has one thread, which the comparer therefore never uses. The
//! `compare_models` example runs the same [`Comparison`] from the terminal.

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use bevy::platform::time::Instant;
use bevy::prelude::*;

use super::Mask;
use super::backend::BackendKind;
#[cfg(feature = "native")]
use super::backend::load_backend;
#[cfg(feature = "native")]
use super::gpu_network::{GpuBackend, TensorDevice};
#[cfg(feature = "native")]
use super::models::ModelInfo;
use super::models::ModelRegistry;
use super::preprocess::upsample_mask;
#[cfg(feature = "native")]
use super::{Engine, InferenceSystems, run_model};
#[cfg(feature = "native")]
use crate::capture::CurrentFrame;
use crate::capture::Frame;

/// One model on one backend: a row of the table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Candidate {
    pub model: String,
    pub backend: BackendKind,
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.model, self.backend)
    }
}

/// Samples kept per candidate.
/// Timings a row keeps (the newest).
pub const TIMING_WINDOW: usize = 64;
const AGREEMENT_WINDOW: usize = 32;
/// Side of the grid masks are compared on (the frame's aspect kept).
const AGREEMENT_GRID: u32 = 256;

/// A candidate's recent figures.
#[derive(Clone, Debug, Default)]
pub struct CandidateStats {
    /// Model name for the table.
    pub name: String,
    pub inference_ms: VecDeque<f64>,
    pub preprocess_ms: VecDeque<f64>,
    /// IoU of mask > 0.5 with the reference candidate, per frame.
    pub agreement: VecDeque<f64>,
    /// Why it cannot run, if it cannot.
    pub problem: Option<String>,
    /// Runs only in a benchmark burst ("Benchmark all now"), not in the background rounds: the
    /// gpu backend on a software adapter.
    pub only_when_asked: bool,
}

/// What a row that runs only when asked shows before it has run.
pub const ONLY_WHEN_ASKED: &str =
    "runs on Benchmark all (software adapter: each run takes the picture's CPU)";

/// The gpu rows' problem until the app's render device is offered to the comparer.
const NO_GPU_YET: &str = "no GPU device offered to the comparer";

fn push(window: &mut VecDeque<f64>, value: f64, cap: usize) {
    if window.len() == cap {
        window.pop_front();
    }
    window.push_back(value);
}

/// The `q` quantile (0–1) of samples, nearest rank.
pub fn quantile(samples: &VecDeque<f64>, q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted: Vec<f64> = samples.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

impl CandidateStats {
    pub fn p50(&self) -> Option<f64> {
        quantile(&self.inference_ms, 0.5)
    }

    pub fn p95(&self) -> Option<f64> {
        quantile(&self.inference_ms, 0.95)
    }

    /// Masks a second this candidate could deliver: one job (pre-processing + inference, medians)
    /// after another, on one thread.
    pub fn sustainable_fps(&self) -> Option<f64> {
        let job = self.p50()? + quantile(&self.preprocess_ms, 0.5).unwrap_or(0.0);
        (job > 0.0).then(|| 1e3 / job)
    }

    /// Mean IoU with the reference over the recent frames.
    pub fn agreement(&self) -> Option<f64> {
        (!self.agreement.is_empty())
            .then(|| self.agreement.iter().sum::<f64>() / self.agreement.len() as f64)
    }
}

/// IoU of `mask > 0.5` between two person-probability masks of the same size.
pub fn iou(a: &[f32], b: &[f32]) -> f64 {
    let (mut both, mut either) = (0u64, 0u64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x > 0.5, y > 0.5);
        both += u64::from(x && y);
        either += u64::from(x || y);
    }
    // Two empty masks agree completely.
    if either == 0 {
        1.0
    } else {
        both as f64 / either as f64
    }
}

/// The comparison table: every candidate's recent figures, and the reference they are compared
/// with (the model with the most input pixels, on the fastest backend there is).
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    pub rows: BTreeMap<Candidate, CandidateStats>,
    pub reference: Option<Candidate>,
    /// Frames every candidate ran on.
    pub rounds: u64,
}

impl Comparison {
    /// Every model in the table on every backend; a backend that cannot run is listed with why.
    pub fn new(registry: &ModelRegistry) -> Self {
        let ort = super::ort_runtime::status();
        let mut rows = BTreeMap::new();
        for info in &registry.models {
            for backend in [BackendKind::Ort, BackendKind::Tract, BackendKind::Gpu] {
                let problem = match (&ort, backend) {
                    (Err(why), BackendKind::Ort) => {
                        Some(format!("ONNX Runtime unavailable: {why}"))
                    }
                    // Until a device is offered ([`Comparison::offer_gpu`]).
                    (_, BackendKind::Gpu) => Some(NO_GPU_YET.to_owned()),
                    _ => None,
                };
                rows.insert(
                    Candidate {
                        model: info.id.clone(),
                        backend,
                    },
                    CandidateStats {
                        name: info.name.clone(),
                        problem,
                        ..default()
                    },
                );
            }
        }
        let most_accurate = registry
            .models
            .iter()
            .max_by_key(|m| u64::from(m.input.width) * u64::from(m.input.height));
        let reference = most_accurate.and_then(|m| {
            [BackendKind::Ort, BackendKind::Tract]
                .into_iter()
                .map(|backend| Candidate {
                    model: m.id.clone(),
                    backend,
                })
                .find(|c| rows.get(c).is_some_and(|s| s.problem.is_none()))
        });
        Self {
            rows,
            reference,
            rounds: 0,
        }
    }

    /// Candidates that can run, in table order; in a benchmark burst also those that run only
    /// when asked.
    pub fn runnable(&self, burst: bool) -> Vec<Candidate> {
        self.rows
            .iter()
            .filter(|(_, s)| s.problem.is_none() && (burst || !s.only_when_asked))
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Whether the gpu backend's rows can run, and how: `Ok(software)` for a device with
    /// compute shaders (on a software adapter they run only when asked, in a benchmark burst:
    /// each run takes the CPU the picture is drawn with), `Err(why)` for none.
    pub fn offer_gpu(&mut self, gpu: Result<bool, String>) {
        for (candidate, stats) in &mut self.rows {
            if candidate.backend != BackendKind::Gpu {
                continue;
            }
            match &gpu {
                Ok(software) => {
                    if stats.problem.as_deref() == Some(NO_GPU_YET) {
                        stats.problem = None;
                    }
                    stats.only_when_asked = *software;
                }
                Err(why) => stats.problem = Some(why.clone()),
            }
        }
    }

    /// Takes one frame's results (every runnable candidate on the same frame).
    pub fn record_round(&mut self, frame: &Frame, results: Vec<(Candidate, Result<Mask, String>)>) {
        let grid = (
            AGREEMENT_GRID,
            ((AGREEMENT_GRID as u64 * frame.height as u64) / frame.width.max(1) as u64).max(1)
                as u32,
        );
        let on_grid = |mask: &Mask| {
            upsample_mask(&mask.probability(), mask.width, mask.height, grid.0, grid.1)
        };
        let reference = self.reference.as_ref().and_then(|r| {
            results
                .iter()
                .find(|(c, _)| c == r)
                .and_then(|(_, m)| m.as_ref().ok())
                .map(on_grid)
        });
        for (candidate, result) in &results {
            let Some(stats) = self.rows.get_mut(candidate) else {
                continue;
            };
            match result {
                Ok(mask) => {
                    push(&mut stats.inference_ms, mask.inference_ms, TIMING_WINDOW);
                    push(&mut stats.preprocess_ms, mask.preprocess_ms, TIMING_WINDOW);
                    if let Some(reference) = &reference {
                        push(
                            &mut stats.agreement,
                            iou(&on_grid(mask), reference),
                            AGREEMENT_WINDOW,
                        );
                    }
                }
                Err(why) => stats.problem = Some(why.clone()),
            }
        }
        self.rounds += 1;
    }

    /// The table in Markdown.
    pub fn markdown(&self) -> String {
        let reference = self
            .reference
            .as_ref()
            .map_or("none".to_owned(), |r| r.to_string());
        let mut out = format!(
            "| model | backend | p50 ms | p95 ms | fps it could sustain | IoU vs {reference} |\n|---|---|---:|---:|---:|---:|\n"
        );
        let figure =
            |v: Option<f64>, digits: usize| v.map_or("–".to_owned(), |v| format!("{v:.digits$}"));
        for (candidate, stats) in &self.rows {
            if let Some(problem) = &stats.problem {
                out += &format!(
                    "| {} | {} | – | – | – | {} |\n",
                    stats.name, candidate.backend, problem
                );
                continue;
            }
            if stats.only_when_asked && stats.inference_ms.is_empty() {
                out += &format!(
                    "| {} | {} | – | – | – | {ONLY_WHEN_ASKED} |\n",
                    stats.name, candidate.backend
                );
                continue;
            }
            out += &format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                stats.name,
                candidate.backend,
                figure(stats.p50(), 2),
                figure(stats.p95(), 2),
                figure(stats.sustainable_fps(), 0),
                figure(stats.agreement(), 4),
            );
        }
        out
    }
}

/// A candidate's model and backend, or why it did not load.
#[cfg(feature = "native")]
type Loaded = Result<(ModelInfo, Box<dyn super::SegmentationBackend>), String>;

/// Runs candidates on frames, one at a time, loading each backend once (threads: 1).
#[cfg(feature = "native")]
pub struct CandidateRunner {
    registry: ModelRegistry,
    loaded: BTreeMap<Candidate, Loaded>,
    gpu: Option<TensorDevice>,
}

#[cfg(feature = "native")]
impl CandidateRunner {
    pub fn new(registry: ModelRegistry) -> Self {
        Self {
            registry,
            loaded: BTreeMap::new(),
            gpu: None,
        }
    }

    /// Runs the gpu backend's candidates on `device` (without one they fail to load).
    pub fn with_gpu(mut self, device: Option<TensorDevice>) -> Self {
        self.gpu = device;
        self
    }

    pub fn run(&mut self, candidate: &Candidate, frame: &Frame) -> Result<Mask, String> {
        let (registry, gpu) = (&self.registry, &self.gpu);
        let entry = self.loaded.entry(candidate.clone()).or_insert_with(|| {
            let info = registry
                .get(&candidate.model)
                .map_err(|e| e.to_string())?
                .clone();
            let backend: Box<dyn super::SegmentationBackend> = match candidate.backend {
                BackendKind::Gpu => {
                    let device = gpu
                        .clone()
                        .ok_or("no GPU device to run the gpu backend on")?;
                    let bytes = registry.read(&info).map_err(|e| e.to_string())?;
                    let path = registry.path_of(&info);
                    Box::new(
                        GpuBackend::load(&path, &bytes, &info)
                            .map_err(|e| e.to_string())?
                            .on_device(device),
                    )
                }
                kind => load_backend(kind, registry, &info, 1).map_err(|e| e.to_string())?,
            };
            Ok((info, backend))
        });
        let (info, backend) = entry.as_mut().map_err(|e| e.clone())?;
        run_model(backend.as_mut(), info, frame, 0).map_err(|e| e.to_string())
    }
}

/// What the active model is doing, as the comparer's policy sees it (whether its job runs is
/// the comparer thread's business: [`wait_for_gap`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActiveModelState {
    /// A new frame is there that its next job has not started on.
    pub frame_waiting: bool,
}

/// When the comparer may start a job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ComparerPolicy {
    /// A new round (every candidate on one frame) starts at most this often.
    pub round_interval: Duration,
}

impl Default for ComparerPolicy {
    fn default() -> Self {
        Self {
            round_interval: Duration::from_secs(2),
        }
    }
}

impl ComparerPolicy {
    /// Whether a comparer job may be handed to the comparer thread now: never while a frame
    /// waits for the active model or a comparer job is out; a new round only after
    /// `round_interval` (or at once in a benchmark burst). A running active job does not stop
    /// the hand-over: the thread itself waits for that job to finish ([`wait_for_gap`]).
    pub fn may_start(
        &self,
        active: ActiveModelState,
        comparer_busy: bool,
        round_open: bool,
        since_last_round: Option<Duration>,
        burst: bool,
    ) -> bool {
        if comparer_busy || active.frame_waiting {
            return false;
        }
        burst || round_open || since_last_round.is_none_or(|t| t >= self.round_interval)
    }
}

struct Job {
    candidate: Candidate,
    frame: Frame,
}

struct Done {
    candidate: Candidate,
    result: Result<Mask, String>,
}

/// The comparer's thread, at a lowered priority: runs one job after another, each once the
/// active model's job (flagged by `active_running`) has finished.
pub struct ComparerThread {
    jobs: Sender<Job>,
    /// In a mutex only because resources must be `Sync`; one system reads it.
    done: std::sync::Mutex<Receiver<Done>>,
}

/// What the comparer thread runs a job with.
pub type RunCandidate = Box<dyn FnMut(&Candidate, &Frame) -> Result<Mask, String> + Send>;
/// Makes a [`RunCandidate`] on first use, given the device the gpu rows run on (natively, when
/// the app offered one).
#[cfg(feature = "native")]
pub type MakeRunner = Box<dyn FnOnce(Option<TensorDevice>) -> Result<RunCandidate, String> + Send>;
/// Makes a [`RunCandidate`] on first use.
#[cfg(not(feature = "native"))]
pub type MakeRunner = Box<dyn FnOnce(Option<()>) -> Result<RunCandidate, String> + Send>;

/// Blocks until the active model's job is not running (polling: jobs last milliseconds).
#[cfg(feature = "native")]
pub fn wait_for_gap(active_running: &std::sync::atomic::AtomicBool) {
    while active_running.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_micros(250));
    }
}

impl ComparerThread {
    /// Hands a job over; false if the thread has gone.
    pub fn send(&self, candidate: Candidate, frame: Frame) -> bool {
        self.jobs.send(Job { candidate, frame }).is_ok()
    }

    /// Finished jobs, oldest first.
    pub fn finished(&self) -> Vec<(Candidate, Result<Mask, String>)> {
        self.done
            .lock()
            .map(|rx| rx.try_iter().map(|d| (d.candidate, d.result)).collect())
            .unwrap_or_default()
    }

    /// A thread of its own (native; the web has none, and no comparer).
    #[cfg(feature = "native")]
    pub fn spawn(
        mut run: RunCandidate,
        active_running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> std::io::Result<Self> {
        let (jobs, job_rx) = std::sync::mpsc::channel::<Job>();
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("backdrop-comparer".into())
            .spawn(move || {
                lower_priority();
                for job in job_rx {
                    wait_for_gap(&active_running);
                    let result = run(&job.candidate, &job.frame);
                    if done_tx
                        .send(Done {
                            candidate: job.candidate,
                            result,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            })?;
        Ok(Self {
            jobs,
            done: std::sync::Mutex::new(done),
        })
    }
}

/// Nice 10 for the calling thread (Linux threads have their own nice value), so the active
/// model and the renderer win the CPU.
fn lower_priority() {
    #[cfg(all(target_os = "linux", feature = "native"))]
    // SAFETY: gettid and setpriority only read their arguments; a failure leaves the priority.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Ask for every candidate to be timed on the next `0` frames now, in the gaps and alongside
/// the active model's jobs (never ahead of a waiting frame).
#[derive(Message, Clone, Copy, Debug)]
pub struct BenchmarkAll(pub u32);

/// The live comparison and the comparer's state.
#[derive(Resource)]
pub struct ModelComparison {
    pub table: Comparison,
    pub policy: ComparerPolicy,
    /// Rounds still to run at once ("benchmark all now").
    pub burst: u32,
    /// Jobs handed to the comparer thread so far.
    pub started: u64,
    thread: Option<ComparerThread>,
    round: Option<Round>,
    busy: bool,
    last_round: Option<Instant>,
    /// Makes the runner when the first job needs it (loading models is not free). In a mutex
    /// only because resources must be `Sync`.
    make_runner: std::sync::Mutex<Option<MakeRunner>>,
    /// The device the gpu rows run on: the app's render device, once offered.
    #[cfg(feature = "native")]
    gpu: Option<TensorDevice>,
}

struct Round {
    frame: Frame,
    pending: VecDeque<Candidate>,
    results: Vec<(Candidate, Result<Mask, String>)>,
}

impl ModelComparison {
    /// No job out and no round open.
    pub fn is_idle(&self) -> bool {
        !self.busy && self.round.is_none()
    }

    /// Every model in `models_dir`'s table on every backend.
    #[cfg(feature = "native")]
    pub fn for_models(models_dir: std::path::PathBuf) -> Self {
        let table = ModelRegistry::load(&models_dir)
            .map(|r| Comparison::new(&r))
            .unwrap_or_default();
        Self::with_runner(
            table,
            Box::new(move |gpu| {
                let registry = ModelRegistry::load(&models_dir).map_err(|e| e.to_string())?;
                let mut runner = CandidateRunner::new(registry).with_gpu(gpu);
                Ok(Box::new(move |c: &Candidate, f: &Frame| runner.run(c, f)) as RunCandidate)
            }),
        )
    }

    /// A table of your own, run by `make_runner`'s runner (for other models, and for tests).
    pub fn with_runner(table: Comparison, make_runner: MakeRunner) -> Self {
        Self {
            table,
            policy: ComparerPolicy::default(),
            burst: 0,
            started: 0,
            thread: None,
            round: None,
            busy: false,
            last_round: None,
            make_runner: std::sync::Mutex::new(Some(make_runner)),
            #[cfg(feature = "native")]
            gpu: None,
        }
    }
}

/// Runs the comparer next to the active model. Needs [`super::InferencePlugin`]. Native only:
/// the comparer has a thread of its own.
#[cfg(feature = "native")]
pub struct ComparerPlugin;

#[cfg(feature = "native")]
impl Plugin for ComparerPlugin {
    fn build(&self, app: &mut App) {
        // The comparer's thread reads the files itself (a native tool): the folder the `models`
        // source reads.
        let models_dir = app
            .world()
            .get_resource::<super::ModelsLocation>()
            .and_then(|l| l.on_disk.clone())
            .unwrap_or_else(super::models::default_models_dir);
        app.insert_resource(ModelComparison::for_models(models_dir))
            .add_message::<BenchmarkAll>()
            .add_systems(
                Update,
                (offer_gpu, collect_results, dispatch)
                    .chain()
                    .after(InferenceSystems),
            );
    }
}

#[cfg(feature = "native")]
fn collect_results(
    mut comparison: ResMut<ModelComparison>,
    mut requests: MessageReader<BenchmarkAll>,
) {
    for BenchmarkAll(rounds) in requests.read() {
        comparison.burst = comparison.burst.max(*rounds);
    }
    let comparison = &mut *comparison;
    let Some(thread) = &comparison.thread else {
        return;
    };
    for done in thread.finished() {
        comparison.busy = false;
        if let Some(round) = comparison.round.as_mut() {
            round.results.push(done);
        }
    }
    if let Some(round) = comparison
        .round
        .take_if(|r| r.pending.is_empty() && !comparison.busy)
    {
        comparison.table.record_round(&round.frame, round.results);
        comparison.burst = comparison.burst.saturating_sub(1);
    }
}

/// Offers the app's render device to the gpu rows once it is there: they run on it (reading
/// their masks back, which only the comparer does), or say why they cannot.
#[cfg(feature = "native")]
fn offer_gpu(
    mut comparison: ResMut<ModelComparison>,
    device: Option<Res<bevy::render::renderer::RenderDevice>>,
    queue: Option<Res<bevy::render::renderer::RenderQueue>>,
    adapter: Option<Res<bevy::render::renderer::RenderAdapterInfo>>,
    mut offered: Local<bool>,
) {
    let (Some(device), Some(queue)) = (device, queue) else {
        return;
    };
    if std::mem::replace(&mut *offered, true) {
        return;
    }
    let offer = if super::gpu_network::render::device_runs_compute(&device) {
        let software = adapter.is_some_and(|a| a.device_type == wgpu::DeviceType::Cpu);
        let queue: &wgpu::Queue = &queue.0;
        comparison.gpu = Some(TensorDevice {
            device: device.wgpu_device().clone(),
            queue: queue.clone(),
            software,
        });
        Ok(software)
    } else {
        Err("this device has no compute shaders (the gpu backend needs them)".to_owned())
    };
    comparison.table.offer_gpu(offer);
}

/// The active model's state, read from the inference engine after this update's job start. A
/// model on the gpu backend starts no jobs (the render world segments each frame): no frame
/// waits for it.
#[cfg(feature = "native")]
fn active_state(engine: &Engine, frame: &CurrentFrame) -> ActiveModelState {
    // While a job runs its backend is out of `active` (on the job): that one runs jobs.
    let runs_jobs = engine.active.as_ref().is_some_and(|active| {
        active
            .backend
            .as_ref()
            .is_none_or(|backend| backend.gpu_network().is_none())
    });
    ActiveModelState {
        frame_waiting: runs_jobs
            && frame.frame.is_some()
            && engine.last_started != Some(frame.uploaded),
    }
}

#[cfg(feature = "native")]
fn dispatch(
    mut comparison: ResMut<ModelComparison>,
    engine: Res<Engine>,
    frame: Res<CurrentFrame>,
) {
    let comparison = &mut *comparison;
    let active = active_state(&engine, &frame);
    let since = comparison.last_round.map(|t| t.elapsed());
    let burst = comparison.burst > 0;
    if !comparison.policy.may_start(
        active,
        comparison.busy,
        comparison.round.is_some(),
        since,
        burst,
    ) {
        return;
    }
    if comparison.thread.is_none() {
        let make_runner = comparison.make_runner.get_mut().ok().and_then(Option::take);
        let Some(make_runner) = make_runner else {
            return;
        };
        let running = std::sync::Arc::clone(&engine.running);
        match make_runner(comparison.gpu.clone())
            .and_then(|run| ComparerThread::spawn(run, running).map_err(|e| e.to_string()))
        {
            Ok(thread) => comparison.thread = Some(thread),
            Err(why) => {
                warn!("model comparison off: {why}");
                return;
            }
        }
    }
    if comparison.round.is_none() {
        let Some(frame) = frame.frame.clone() else {
            return;
        };
        let pending: VecDeque<Candidate> = comparison.table.runnable(burst).into();
        if pending.is_empty() {
            return;
        }
        comparison.round = Some(Round {
            frame,
            pending,
            results: Vec::new(),
        });
        comparison.last_round = Some(Instant::now());
    }
    let (Some(round), Some(thread)) = (comparison.round.as_mut(), &comparison.thread) else {
        return;
    };
    let Some(candidate) = round.pending.pop_front() else {
        return;
    };
    if thread.send(candidate, round.frame.clone()) {
        comparison.busy = true;
        comparison.started += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let samples: VecDeque<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(quantile(&samples, 0.5), Some(10.0));
        assert_eq!(quantile(&samples, 0.95), Some(19.0));
        assert_eq!(quantile(&VecDeque::new(), 0.5), None);
    }

    #[test]
    fn iou_of_thresholded_masks() {
        assert_eq!(iou(&[0.9, 0.9, 0.1, 0.1], &[0.9, 0.1, 0.1, 0.9]), 1.0 / 3.0);
        assert_eq!(iou(&[0.0; 4], &[0.2; 4]), 1.0);
    }

    #[test]
    fn the_comparer_never_starts_ahead_of_a_waiting_frame() {
        let policy = ComparerPolicy::default();
        let waiting = ActiveModelState {
            frame_waiting: true,
        };
        let idle = ActiveModelState::default();
        let long_ago = Some(Duration::from_secs(60));
        for burst in [false, true] {
            for round_open in [false, true] {
                assert!(!policy.may_start(waiting, false, round_open, long_ago, burst));
                // One comparer job at a time.
                assert!(!policy.may_start(idle, true, round_open, long_ago, burst));
            }
        }
        assert!(policy.may_start(idle, false, true, long_ago, false));
        // New rounds at the round interval, or at once when benchmarking.
        let just_now = Some(Duration::from_millis(10));
        assert!(!policy.may_start(idle, false, false, just_now, false));
        assert!(policy.may_start(idle, false, false, just_now, true));
        assert!(policy.may_start(idle, false, false, None, false));
    }
}
