//! The overlay's model comparison in the terminal: every model × backend on the same frames,
//! p50 / p95 inference ms, the fps each could sustain, and IoU with the most accurate model.
//!
//! ```sh
//! cargo run --release --example compare_models -- --source clip.mp4 --frames 60
//! cargo run --release --example compare_models -- --source sample --frames 30 --slowdown
//! ```
//!
//! `--slowdown` also measures what the comparer costs the active model: the active model runs
//! paced frames on one thread, with the comparer thread (lowered priority, started in the gaps)
//! off and on in alternating blocks; it prints the medians and their ratio.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bevy_backdrop::capture::{Frame, SourceOptions, SourceSpec, open_source};
use bevy_backdrop::inference::compare::{
    Candidate, CandidateRunner, ComparerThread, Comparison, RunCandidate, quantile,
};
use bevy_backdrop::inference::gpu_network::TensorDevice;
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(about = "Compare every segmentation model on every backend, as a Markdown table")]
struct Args {
    /// Frames from: an image, a folder, a video, synthetic[:WxH] or sample.
    #[arg(long, default_value = "sample")]
    source: SourceSpec,
    /// Frames to compare on.
    #[arg(long, default_value_t = 30)]
    frames: usize,
    /// Folder with models.ron.
    #[arg(long)]
    models_dir: Option<PathBuf>,
    /// Also measure the comparer's cost to the active model (landscape on the first backend).
    #[arg(long)]
    slowdown: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = args.models_dir.clone().unwrap_or_else(default_models_dir);
    let registry = ModelRegistry::load(&dir)?;
    let mut source = open_source(&args.source, &SourceOptions::default())?;
    let frames: Vec<Frame> = (0..args.frames)
        .map(|_| source.next_frame())
        .collect::<Result<_, _>>()?;
    let first = frames
        .first()
        .ok_or_else(|| anyhow::anyhow!("--frames must be at least 1"))?;

    // The gpu backend's rows on a device of the example's own (reading each mask back).
    let gpu = TensorDevice::first_adapter("compare_models");
    let mut table = Comparison::new(&registry);
    table.offer_gpu(gpu.as_ref().map(|_| false).map_err(Clone::clone));
    let candidates = table.runnable(true);
    let gpu = gpu.ok().map(|(device, _)| device);
    let mut runner = CandidateRunner::new(registry.clone()).with_gpu(gpu.clone());
    // Load every backend and run it once before timing (first runs allocate).
    for candidate in &candidates {
        runner.run(candidate, first).map_err(anyhow::Error::msg)?;
    }
    let bar = ProgressBar::new(frames.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} frames  eta {eta}").expect("template"),
    );
    for frame in &frames {
        let results = candidates
            .iter()
            .map(|c| (c.clone(), runner.run(c, frame)))
            .collect();
        table.record_round(frame, results);
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "{} frames of {}×{} from {}, one thread per backend\n",
        frames.len(),
        first.width,
        first.height,
        source.name()
    );
    println!("{}", table.markdown());

    if args.slowdown {
        let active = candidates
            .iter()
            .find(|c| c.model == "landscape")
            .or(candidates.first())
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no model runs"))?;
        slowdown(&registry, gpu, &candidates, &active, &frames)?;
    }
    Ok(())
}

/// The active model's inference ms with the comparer off and on, alternating blocks of paced
/// frames (30 fps), medians and their ratio.
fn slowdown(
    registry: &ModelRegistry,
    gpu: Option<TensorDevice>,
    candidates: &[Candidate],
    active: &Candidate,
    frames: &[Frame],
) -> anyhow::Result<()> {
    const BLOCKS: usize = 6;
    const PER_BLOCK: usize = 60;
    const PERIOD: Duration = Duration::from_millis(33);
    let mut active_runner = CandidateRunner::new(registry.clone());
    active_runner
        .run(active, &frames[0])
        .map_err(anyhow::Error::msg)?;
    let running = Arc::new(AtomicBool::new(false));
    let mut comparer_runner = CandidateRunner::new(registry.clone()).with_gpu(gpu);
    let run: RunCandidate = Box::new(move |c, f| comparer_runner.run(c, f));
    let comparer = ComparerThread::spawn(run, Arc::clone(&running))?;
    let (mut alone, mut with_comparer) = (Vec::new(), Vec::new());
    let mut next = 0usize;
    let mut outstanding = 0usize;
    for block in 0..BLOCKS {
        let comparing = block % 2 == 1;
        for i in 0..PER_BLOCK {
            let tick = Instant::now();
            let frame = &frames[i % frames.len()];
            // As in the app: the comparer is handed a job only when no frame waits, i.e. here,
            // before the active job starts; it starts it once the active job is done.
            for _ in comparer.finished() {
                outstanding -= 1;
            }
            if comparing && outstanding == 0 {
                comparer.send(candidates[next % candidates.len()].clone(), frame.clone());
                next += 1;
                outstanding += 1;
            }
            running.store(true, Ordering::SeqCst);
            let mask = active_runner
                .run(active, frame)
                .map_err(anyhow::Error::msg)?;
            running.store(false, Ordering::SeqCst);
            if comparing {
                &mut with_comparer
            } else {
                &mut alone
            }
            .push(mask.inference_ms);
            std::thread::sleep(PERIOD.saturating_sub(tick.elapsed()));
        }
        // Let a comparer job finish before a block without it.
        while outstanding > 0 {
            outstanding -= comparer.finished().len();
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let median = |v: Vec<f64>| quantile(&v.into(), 0.5).unwrap_or(f64::NAN);
    let (a, b) = (median(alone), median(with_comparer));
    println!(
        "comparer cost to the active model ({active}, 30 fps frames, {} blocks of {PER_BLOCK}):\n\
         | comparer | median inference ms |\n|---|---:|\n| off | {a:.3} |\n| on | {b:.3} |\n\
         ratio on/off: {:.3}",
        BLOCKS,
        b / a
    );
    Ok(())
}
