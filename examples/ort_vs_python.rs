//! The ONNX Runtime path of bevy_backdrop against raw ONNX Runtime in Python, side by side in one
//! run: rounds alternate between the two, and the table gives medians and the ratio.
//!
//! ```sh
//! cargo run --release --example ort_vs_python -- --rounds 5 --runs 200
//! ```
//!
//! Needs the ONNX Runtime library (ORT_DYLIB_PATH, or a pip-installed onnxruntime) and a Python
//! with `onnxruntime` (`--python`, default: the interpreter next to the library, else python3).

use std::path::PathBuf;
use std::process::Command;

use bevy::platform::time::Instant;
use bevy_backdrop::inference::backend::{BackendKind, load_backend};
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::ort_runtime;
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Alternating rounds (Rust, then Python) per model and thread count.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Timed runs per round.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// Python interpreter with onnxruntime installed.
    #[arg(long)]
    python: Option<PathBuf>,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The venv interpreter that owns the library, when the library sits in a venv.
fn python_next_to_library() -> Option<PathBuf> {
    let library = ort_runtime::find_library().ok()?;
    let venv = library
        .ancestors()
        .find(|p| p.join("bin/python").exists())?;
    Some(venv.join("bin/python"))
}

fn main() {
    let args = Args::parse();
    if let Err(why) = ort_runtime::status() {
        eprintln!("ONNX Runtime is unavailable: {why}");
        std::process::exit(1);
    }
    let python = args
        .python
        .or_else(python_next_to_library)
        .unwrap_or_else(|| "python3".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_onnxruntime.py");
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    let input_for =
        |len: usize| -> Vec<f32> { (0..len).map(|i| (i % 251) as f32 / 250.0).collect() };

    println!(
        "| model | threads | bevy_backdrop ort (ms, median) | Python onnxruntime (ms, median) | ratio |"
    );
    println!("|---|---|---|---|---|");
    for model in &registry.models {
        let input = input_for(model.input_shape().iter().product());
        for threads in [1, 2] {
            let mut backend = load_backend(BackendKind::Ort, &registry, model, threads).unwrap();
            for _ in 0..20 {
                backend.run(&input).unwrap();
            }
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for _ in 0..args.rounds {
                for _ in 0..args.runs {
                    let start = Instant::now();
                    backend.run(&input).unwrap();
                    ours.push(start.elapsed().as_secs_f64() * 1e3);
                }
                let output = Command::new(&python)
                    .arg(&script)
                    .arg(registry.path_of(model))
                    .args([
                        "--threads",
                        &threads.to_string(),
                        "--runs",
                        &args.runs.to_string(),
                    ])
                    .output()
                    .expect("python runs");
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                theirs.extend(
                    String::from_utf8_lossy(&output.stdout)
                        .split_whitespace()
                        .map(|t| t.parse::<f64>().unwrap()),
                );
            }
            let (a, b) = (median(&mut ours), median(&mut theirs));
            println!(
                "| {} | {threads} | {a:.3} | {b:.3} | {:.3} |",
                model.id,
                a / b
            );
        }
    }
}
