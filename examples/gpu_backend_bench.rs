//! The GPU segmentation backend against the CPU engines, per model, on one frame (a photo of a
//! person, or the fixture's): prints Markdown tables of medians.
//!
//! - **GPU ms**: the backend's compute pass (frame texture → input tensor → network → mask
//!   texture), from timestamp queries on the pass;
//! - **frame → mask ms**: wall clock from handing the frame's pixels to the GPU (a texture
//!   upload) to the mask being there (the GPU waited for) — for the CPU engines, from the frame's
//!   pixels to the mask in memory (pre-processing + inference, on this thread);
//! - the same network node by node as the file has it ("nodes as written": no activation folded
//!   into the convolutions), side by side with what the backend runs;
//! - where the GPU time goes: each network step alone (submitted and waited for, wall clock),
//!   summed per op, beside the steps' count and their output elements.
//!
//! ```text
//! cargo run --release --example gpu_backend_bench -- [RUNS] [FRAME.png|jpg]
//! ```
//! RUNS defaults to 30 (after 5 warm-up runs); the frame to `../shared/media`'s first photo when
//! there, else a fixture (384×288). ONNX Runtime rows need its library (ORT_DYLIB_PATH or a
//! pip-installed onnxruntime); they say so when it is absent.

use std::collections::BTreeMap;
use std::time::Instant;

use bevy_backdrop::capture::Frame;
use bevy_backdrop::inference::backend::{BackendKind, load_backend};
use bevy_backdrop::inference::gpu_network::graph::Kernel;
use bevy_backdrop::inference::gpu_network::{self, GpuSegmenter, Network, TensorDevice};
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::{ort_runtime, run_model};

const WARM_UP: usize = 5;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A frame to segment: the argument, a photo from `../shared/media`, or a fixture.
fn frame(argument: Option<&str>) -> (Frame, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = argument.map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::fs::read_dir(root.join("../shared/media"))
            .ok()
            .and_then(|entries| {
                let mut photos: Vec<_> = entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "png"))
                    .collect();
                photos.sort();
                photos.into_iter().next()
            })
            .unwrap_or_else(|| root.join("tests/fixtures/segmentation/astronaut_384x288.png"))
    });
    let rgba = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_rgba8();
    let name = format!(
        "{} ({}×{})",
        path.file_name().unwrap().to_string_lossy(),
        rgba.width(),
        rgba.height()
    );
    (
        Frame::new(0, rgba.width(), rgba.height(), rgba.into_raw()),
        name,
    )
}

struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    name: String,
    period_ns: f32,
}

fn gpu() -> Gpu {
    let (gpu, name) =
        TensorDevice::first_adapter("gpu_backend_bench").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        gpu.device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY),
        "{name}: no timestamp queries"
    );
    let period_ns = gpu.queue.get_timestamp_period();
    Gpu {
        device: gpu.device,
        queue: gpu.queue,
        name,
        period_ns,
    }
}

/// Timestamps for up to `passes` passes, resolved and read back after a submit.
struct Timer {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    read: wgpu::Buffer,
    passes: u32,
}

impl Timer {
    fn new(gpu: &Gpu, passes: u32) -> Self {
        let size = passes as u64 * 16;
        Self {
            set: gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("bench"),
                ty: wgpu::QueryType::Timestamp,
                count: passes * 2,
            }),
            resolve: gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("resolve"),
                size,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
            read: gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("read"),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            passes,
        }
    }

    fn writes(&self, pass: u32) -> wgpu::ComputePassTimestampWrites<'_> {
        wgpu::ComputePassTimestampWrites {
            query_set: &self.set,
            beginning_of_pass_write_index: Some(pass * 2),
            end_of_pass_write_index: Some(pass * 2 + 1),
        }
    }

    /// Resolves into the encoder; after the submit, `read_ms` gives each pass's ms.
    fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.resolve_query_set(&self.set, 0..self.passes * 2, &self.resolve, 0);
        encoder.copy_buffer_to_buffer(&self.resolve, 0, &self.read, 0, self.passes as u64 * 16);
    }

    fn read_ms(&self, gpu: &Gpu) -> Vec<f64> {
        self.read
            .slice(..)
            .map_async(wgpu::MapMode::Read, |r| r.expect("map"));
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("poll");
        let ms = {
            let bytes = self.read.slice(..).get_mapped_range();
            let ticks: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
                .collect();
            ticks
                .chunks_exact(2)
                .map(|t| t[1].saturating_sub(t[0]) as f64 * gpu.period_ns as f64 / 1e6)
                .collect()
        };
        self.read.unmap();
        ms
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(30);
    let (frame, frame_name) = frame(args.get(1).map(String::as_str));
    let gpu = gpu();
    let registry = ModelRegistry::load(&default_models_dir()).expect("models/models.ron");
    let ort = ort_runtime::status();
    println!(
        "Frame {frame_name}; {runs} runs after {WARM_UP} warm-up; GPU: {}; CPU: {} cores\n",
        gpu.name,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| model | backend | GPU ms (network pass) | frame → mask ms |");
    println!("|---|---|---:|---:|");
    let mut breakdowns = Vec::new();
    for info in &registry.models {
        let bytes = registry.read(info).expect("model file");
        let as_written = Network::from_onnx(&bytes, info.input_shape()).expect("lowered");
        // What the backend runs: activations folded into the convolutions.
        let network = as_written.clone().fused();
        let steps: Vec<(&'static str, usize)> = network
            .steps
            .iter()
            .map(|s| {
                let out = network.tensors[s.output].shape;
                let kind = match &s.kernel {
                    Kernel::Conv { groups, kernel, .. } if *groups == out[1] => "Conv, depthwise",
                    Kernel::Conv { kernel, .. } if kernel == &[1, 1] => "Conv, 1×1",
                    Kernel::Conv { .. } => "Conv, other",
                    other => other.op(),
                };
                (kind, network.tensors[s.output].len())
            })
            .collect();
        let segmenter = GpuSegmenter::new(&gpu.device, std::sync::Arc::new(network), &info.input);
        let unfused = GpuSegmenter::new(&gpu.device, std::sync::Arc::new(as_written), &info.input);
        let texture = gpu_network::frame_texture(&gpu.device, &gpu.queue, &frame);
        let mask = gpu_network::mask_texture(&gpu.device, info.input.width, info.input.height);
        let (frame_view, mask_view) = (
            texture.create_view(&Default::default()),
            mask.create_view(&Default::default()),
        );
        // Side by side: the fused network, and the same one node by node as the file has it.
        for (form, segmenter) in [
            (format!("gpu ({})", gpu.name), &segmenter),
            ("gpu, nodes as written".to_owned(), &unfused),
        ] {
            let whole = Timer::new(&gpu, 1);
            let parts = Timer::new(&gpu, 3);
            let (mut gpu_ms, mut latency_ms) = (Vec::new(), Vec::new());
            let mut part_ms: [Vec<f64>; 3] = Default::default();
            for run in 0..WARM_UP + runs {
                let started = Instant::now();
                gpu_network::write_frame(&gpu.queue, &texture, &frame);
                let mut encoder = gpu.device.create_command_encoder(&Default::default());
                segmenter.encode(
                    &gpu.device,
                    &mut encoder,
                    &frame_view,
                    &mask_view,
                    Some(whole.writes(0)),
                );
                whole.resolve(&mut encoder);
                gpu.queue.submit([encoder.finish()]);
                let ms = whole.read_ms(&gpu)[0];
                let elapsed = started.elapsed().as_secs_f64() * 1e3;
                if run >= WARM_UP {
                    gpu_ms.push(ms);
                    latency_ms.push(elapsed);
                }
            }
            for _ in 0..(runs / 3).max(5) {
                let mut encoder = gpu.device.create_command_encoder(&Default::default());
                segmenter.encode_in_parts(
                    &gpu.device,
                    &mut encoder,
                    &frame_view,
                    &mask_view,
                    &parts.set,
                    0,
                );
                parts.resolve(&mut encoder);
                gpu.queue.submit([encoder.finish()]);
                for (k, ms) in parts.read_ms(&gpu).into_iter().enumerate() {
                    part_ms[k].push(ms);
                }
            }
            let [pre, net, write] = part_ms.map(median);
            println!(
                "| {} | {} | {:.2} (in three passes: pre-processing {pre:.2}, network {net:.2}, mask write {write:.2}) | {:.2} |",
                info.id,
                form,
                median(gpu_ms),
                median(latency_ms)
            );
        }
        // CPU engines: the frame's pixels → mask in memory.
        let mut kinds = vec![BackendKind::Tract];
        if ort.is_ok() {
            kinds.insert(0, BackendKind::Ort);
        }
        for kind in kinds {
            let mut backend = load_backend(kind, &registry, info, 1).expect("backend");
            let mut times = Vec::new();
            for run in 0..WARM_UP + runs {
                let started = Instant::now();
                let mask = run_model(backend.as_mut(), info, &frame, 0).expect("mask");
                std::hint::black_box(mask);
                if run >= WARM_UP {
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                }
            }
            println!(
                "| {} | {kind} (CPU, 1 thread) | – | {:.2} |",
                info.id,
                median(times)
            );
        }
        if let Err(why) = &ort {
            println!("| {} | ort | ONNX Runtime unavailable: {why} | |", info.id);
        }
        // Where the GPU time goes: each step alone, submitted and waited for (wall clock: on
        // lavapipe, timestamps around a lone dispatch leave most of its work out — they summed
        // to ~10 ms for a network whose pass takes ~1 s).
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); steps.len()];
        for _ in 0..(runs / 3).max(3) {
            for (step, times) in samples.iter_mut().enumerate() {
                let wall = Instant::now();
                let mut encoder = gpu.device.create_command_encoder(&Default::default());
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    segmenter.network.encode_step(&mut pass, step);
                }
                gpu.queue.submit([encoder.finish()]);
                gpu.device
                    .poll(wgpu::PollType::wait_indefinitely())
                    .expect("poll");
                times.push(wall.elapsed().as_secs_f64() * 1e3);
            }
        }
        let mut by_op: BTreeMap<&'static str, (usize, usize, f64)> = BTreeMap::new();
        for ((op, elements), times) in steps.iter().zip(samples) {
            let entry = by_op.entry(op).or_default();
            entry.0 += 1;
            entry.1 += elements;
            entry.2 += median(times);
        }
        breakdowns.push((info.id.clone(), by_op));
    }
    for (model, by_op) in breakdowns {
        let total: f64 = by_op.values().map(|v| v.2).sum();
        println!(
            "\nWhere the GPU time goes — {model}, each step alone, submitted and waited for (sum {total:.2} ms):\n"
        );
        println!("| op | steps | output elements | ms (sum of medians) | share |");
        println!("|---|---:|---:|---:|---:|");
        let mut rows: Vec<_> = by_op.into_iter().collect();
        rows.sort_by(|a, b| b.1.2.total_cmp(&a.1.2));
        for (op, (count, elements, ms)) in rows {
            println!(
                "| {op} | {count} | {elements} | {ms:.2} | {:.0} % |",
                ms / total * 100.0
            );
        }
    }
}
