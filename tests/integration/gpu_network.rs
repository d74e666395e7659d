//! The GPU backend's network (src/inference/gpu_network) against tract, on the project's
//! segmentation fixtures: every node's output tensor (each op, in the models' own context) and the
//! whole model's mask, max |Δ| ≤ 1e-3. On a device of the test's own (lavapipe here); no adapter
//! is a failure.

use std::io::Cursor;

use bevy_backdrop::inference::BackendKind;
use bevy_backdrop::inference::gpu_network::{self, GpuNetwork, LowerError, Network};
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::preprocess::frame_to_tensor;
use tract_onnx::prelude::*;

use super::inference::load_frame;
use super::inference_app::update_until;

/// A device on the first adapter wgpu finds (lavapipe on a machine without a GPU).
pub fn device() -> (wgpu::Device, wgpu::Queue, String) {
    let (gpu, name) = gpu_network::TensorDevice::first_adapter("gpu_network tests")
        .unwrap_or_else(|e| panic!("the GPU backend's tests: {e}"));
    (gpu.device, gpu.queue, name)
}

/// tract's value of every named tensor for `input` (the ONNX graph's own tensors, NCHW inside).
fn tract_tensors(
    bytes: &[u8],
    shape: [usize; 4],
    input: &[f32],
    names: &[String],
) -> Vec<Vec<f32>> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut Cursor::new(bytes))
        .unwrap()
        .with_input_fact(0, f32::fact(shape).into())
        .unwrap()
        .with_outputs_by_name(names)
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let tensor = Tensor::from_shape(&shape, input).unwrap();
    model
        .run(tvec!(tensor.into()))
        .unwrap()
        .iter()
        .map(|t| {
            t.try_as_plain_ram()
                .unwrap()
                .as_slice::<f32>()
                .unwrap()
                .to_vec()
        })
        .collect()
}

fn max_difference(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    let scale = b.iter().map(|v| v.abs()).fold(0.0, f32::max);
    (worst, scale)
}

#[test]
fn every_node_and_every_mask_matches_tract() {
    let (device, queue, adapter) = device();
    println!("adapter: {adapter}");
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    for (model_id, fixtures) in [
        (
            "landscape",
            ["astronaut_256x144", "camera_256x144", "coffee_256x144"],
        ),
        (
            "general",
            ["astronaut_256x256", "camera_256x256", "coffee_256x256"],
        ),
    ] {
        let info = registry.get(model_id).unwrap();
        let bytes = registry.read(info).unwrap();
        let as_written = Network::from_onnx(&bytes, info.input_shape()).unwrap();
        // Node by node as the file has them (every op's own kernel), then with the activations
        // folded into the convolutions (what the backend runs): each step's output against
        // tract's tensor of the same name.
        for (form, network) in [
            ("as written", as_written.clone()),
            ("fused", as_written.fused()),
        ] {
            let gpu = GpuNetwork::new(&device, std::sync::Arc::new(network.clone()));
            let outputs: Vec<usize> = network.steps.iter().map(|s| s.output).collect();
            for (k, fixture) in fixtures.iter().enumerate() {
                let frame = load_frame(
                    &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("tests/fixtures/segmentation")
                        .join(format!("{fixture}.png")),
                );
                let mut input = Vec::new();
                frame_to_tensor(
                    &frame.rgba,
                    frame.width,
                    frame.height,
                    &info.input,
                    &mut input,
                );
                // Every node's output on the first fixture; the mask on all of them.
                let wanted = if k == 0 {
                    &outputs[..]
                } else {
                    &[network.output][..]
                };
                let wanted_names: Vec<String> = wanted
                    .iter()
                    .map(|&t| network.tensors[t].name.clone())
                    .collect();
                let ours = gpu.run_blocking(&device, &queue, &input, wanted);
                let theirs = tract_tensors(&bytes, info.input_shape(), &input, &wanted_names);
                let mut worst_by_op = std::collections::BTreeMap::<&str, f32>::new();
                for ((ours, theirs), &tensor) in ours.iter().zip(&theirs).zip(wanted) {
                    let step = network.steps.iter().find(|s| s.output == tensor).unwrap();
                    let (worst, scale) = max_difference(ours, theirs);
                    // Inside the network values reach tens: the bound is relative to the tensor's
                    // largest value there, absolute for the mask (a probability).
                    let bound = if tensor == network.output {
                        1e-3
                    } else {
                        1e-3 * scale.max(1.0)
                    };
                    assert!(
                        worst <= bound,
                        "{model_id} {fixture} ({form}): node {:?} ({}, {:?}) max |Δ| {worst:.2e} > {bound:.1e} (largest value {scale:.2})",
                        step.node,
                        step.kernel.op(),
                        step.activation
                    );
                    let entry = worst_by_op.entry(step.kernel.op()).or_default();
                    *entry = entry.max(worst / scale.max(1.0));
                }
                let mask = &ours[ours.len() - 1];
                let (worst, _) = max_difference(mask, &theirs[theirs.len() - 1]);
                println!(
                    "{model_id} {fixture} ({form}): mask max |Δ| {worst:.2e}; worst per op (relative) {worst_by_op:?}"
                );
                if k == 0 && form == "as written" {
                    assert_eq!(worst_by_op.len(), 10, "every op compared: {worst_by_op:?}");
                }
            }
        }
    }
}

/// A model with a node the lowering does not know: the error names the op and the node.
#[test]
fn an_unknown_op_is_named_with_its_node() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/models/unknown_op.onnx");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let error = Network::from_onnx(&bytes, [1, 4, 4, 3]).unwrap_err();
    assert_eq!(
        error,
        LowerError::UnknownOp {
            node: "the_odd_one".into(),
            op: "Softsign".into()
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("\"the_odd_one\" is a Softsign"),
        "{message}"
    );
}

/// Reads a texture of Rgba16Float texels back: the first channel of each.
fn read_mask(device: &wgpu::Device, queue: &wgpu::Queue, texture: &wgpu::Texture) -> Vec<f32> {
    let (width, height) = (texture.width(), texture.height());
    let row = (width * 8).next_multiple_of(256);
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("mask readback"),
        size: (row * height) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row),
                rows_per_image: None,
            },
        },
        texture.size(),
    );
    queue.submit([encoder.finish()]);
    buffer
        .slice(..)
        .map_async(wgpu::MapMode::Read, |r| r.unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let bytes = buffer.slice(..).get_mapped_range();
    let mut values = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            let at = (y * row + x * 8) as usize;
            values.push(half::f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32());
        }
    }
    values
}

/// Frame texture → mask texture on the GPU (GpuSegmenter: pre-processing, network, mask write)
/// against the CPU path (frame_to_tensor, then tract), on frames whose size is not the model's.
#[test]
fn frame_texture_to_mask_texture_matches_the_cpu_path() {
    let (device, queue, _) = device();
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    for model_id in ["landscape", "general"] {
        let info = registry.get(model_id).unwrap();
        let bytes = registry.read(info).unwrap();
        let network = Network::from_onnx(&bytes, info.input_shape()).unwrap();
        let segmenter =
            gpu_network::GpuSegmenter::new(&device, std::sync::Arc::new(network), &info.input);
        let (w, h) = (info.input.width, info.input.height);
        let mask = gpu_network::mask_texture(&device, w, h);
        for fixture in ["astronaut_384x288", "camera_300x400"] {
            let frame = load_frame(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/segmentation")
                    .join(format!("{fixture}.png")),
            );
            let texture = gpu_network::frame_texture(&device, &queue, &frame);
            let mut encoder = device.create_command_encoder(&Default::default());
            segmenter.encode(
                &device,
                &mut encoder,
                &texture.create_view(&Default::default()),
                &mask.create_view(&Default::default()),
                None,
            );
            queue.submit([encoder.finish()]);
            // The pre-processed input, read back from the network's input buffer.
            let input_index = segmenter.network.network().input;
            let gpu_input = segmenter
                .network
                .run_blocking_read(&device, &queue, &[input_index]);
            let mut cpu_input = Vec::new();
            frame_to_tensor(
                &frame.rgba,
                frame.width,
                frame.height,
                &info.input,
                &mut cpu_input,
            );
            let (input_worst, _) = max_difference(&gpu_input[0], &cpu_input);
            let gpu_mask = read_mask(&device, &queue, &mask);
            let cpu_mask = tract_tensors(
                &bytes,
                info.input_shape(),
                &cpu_input,
                &[
                    segmenter.network.network().tensors[segmenter.network.network().output]
                        .name
                        .clone(),
                ],
            );
            let (mask_worst, _) = max_difference(&gpu_mask, &cpu_mask[0]);
            println!(
                "{model_id} {fixture} ({}×{}): input max |Δ| {input_worst:.2e}, mask max |Δ| {mask_worst:.2e}",
                frame.width, frame.height
            );
            assert!(
                input_worst <= 1e-5,
                "{model_id} {fixture}: pre-processing max |Δ| {input_worst}"
            );
            assert!(
                mask_worst <= 1e-3,
                "{model_id} {fixture}: mask max |Δ| {mask_worst}"
            );
        }
    }
}

// ---- The GPU backend in the app ----

use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy_backdrop::capture::{CaptureSettings, CurrentFrame, FeedThread, FrameSystems, SourceSpec};
use bevy_backdrop::display::DisplayPlugin;
use bevy_backdrop::effects::{BackdropSettings, ChainView, FrameChain};
use bevy_backdrop::inference::{
    BackendChoice, CurrentMask, InferenceMode, InferenceSettings, InferenceStatus,
    ModelSourcePlugin, SwitchModel,
};
use bevy_backdrop::overlay::OverlayPlugin;
use bevy_backdrop::{BackdropPlugins, headless_default_plugins};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/segmentation")
        .join(format!("{name}.png"))
}

/// An app on a still image with the effects chain showing the decoded mask (grey, at frame size).
fn mask_app(
    models_dir: std::path::PathBuf,
    source: &str,
    model: &str,
    backend: BackendChoice,
) -> App {
    let mut app = App::new();
    app.add_plugins(ModelSourcePlugin {
        folder: Some(models_dir),
    })
    .add_plugins(headless_default_plugins(false))
    .insert_resource(CaptureSettings {
        source: SourceSpec::Image(fixture(source)),
        feed: FeedThread::MainThread,
        ..default()
    })
    .insert_resource(InferenceSettings {
        model: model.into(),
        backend,
        threads: 1,
        mode: InferenceMode::Lockstep,
        custom: None,
    })
    .add_plugins(
        BackdropPlugins
            .build()
            .disable::<DisplayPlugin>()
            .disable::<OverlayPlugin>(),
    )
    .add_plugins(bevy_backdrop::effects::gpu_time::ChainGpuTimesPlugin);
    crate::common::make_ready(&mut app);
    let camera = app.world().resource::<FrameChain>().camera;
    let settings = BackdropSettings {
        view: ChainView::DecodedMask,
        ..default()
    };
    app.world_mut().entity_mut(camera).insert(settings);
    app
}

/// The CPU copy of each frame the backends read (`CurrentFrame`'s bytes) made black after the
/// frame went to the GPU: a backend that reads it sees nothing of the person.
fn poison(mut current: ResMut<CurrentFrame>) {
    if let Some(frame) = current.frame.as_mut()
        && frame.rgba.iter().any(|&b| b != 0)
    {
        frame.rgba = Arc::new(vec![0; frame.rgba.len()]);
    }
}

/// Runs until a mask of the chosen backend is there, a few frames more, and reads the chain's
/// picture back.
fn picture(app: &mut App, backend: BackendKind) -> image::RgbaImage {
    let start = std::time::Instant::now();
    let mut after = 0;
    while after < 4 {
        app.update();
        let mask = app.world().resource::<CurrentMask>().mask.clone();
        if mask.is_some_and(|m| m.backend == backend) {
            after += 1;
        }
        let status = app.world().resource::<InferenceStatus>();
        assert!(status.problems.is_empty(), "{:?}", status.problems);
        assert!(
            start.elapsed().as_secs() < 120,
            "no {backend} mask: {status:?}"
        );
    }
    let target = app.world().resource::<FrameChain>().target.clone();
    let shot: Arc<Mutex<Option<Image>>> = Arc::default();
    let into = Arc::clone(&shot);
    app.world_mut().spawn(Screenshot::image(target)).observe(
        move |captured: On<ScreenshotCaptured>| {
            *into.lock().unwrap() = Some(captured.image.clone());
        },
    );
    while shot.lock().unwrap().is_none() {
        app.update();
        assert!(start.elapsed().as_secs() < 120, "no screenshot");
    }
    let image = shot.lock().unwrap().take().unwrap();
    bevy_backdrop::effects::picture_rgba(image).unwrap()
}

fn grey(picture: &image::RgbaImage) -> Vec<f32> {
    picture.pixels().map(|p| p.0[0] as f32 / 255.0).collect()
}

/// The gpu backend in the app: its mask (the decoded-mask view, at frame size) matches
/// MediaPipe's reference and tract's, is the same frame's (age 0), and stays right when the CPU
/// copy of the frame is poisoned after the upload — where tract's, which reads that copy, does
/// not (the negative control).
#[test]
fn the_gpu_backend_segments_the_frame_texture_without_a_cpu_copy() {
    let _gpu = crate::common::gpu_lock();
    for (model, source) in [
        ("landscape", "astronaut_384x288"),
        ("general", "camera_300x400"),
    ] {
        let run = |backend: BackendChoice, poisoned: bool| {
            let mut app = mask_app(default_models_dir(), source, model, backend);
            if poisoned {
                app.add_systems(PreUpdate, poison.after(FrameSystems::Upload));
            }
            let kind = if backend == BackendChoice::Gpu {
                BackendKind::Gpu
            } else {
                BackendKind::Tract
            };
            let shot = picture(&mut app, kind);
            if backend == BackendChoice::Gpu {
                // Its GPU ms: timestamps on its compute pass, through the chain's timer.
                let start = std::time::Instant::now();
                loop {
                    let store = app.world().resource::<bevy::diagnostic::DiagnosticsStore>();
                    let ms = store
                        .get(&bevy_backdrop::inference::gpu_network::render::GPU_MS)
                        .and_then(|d| d.value());
                    if let Some(ms) = ms {
                        println!("{model}: the gpu network's pass: {ms:.1} ms on the GPU");
                        assert!(ms > 0.0);
                        break;
                    }
                    assert!(
                        start.elapsed().as_secs() < 60,
                        "no GPU ms for the gpu network"
                    );
                    app.update();
                }
            }
            let age = {
                let world = app.world();
                world.resource::<CurrentFrame>().uploaded
                    - world
                        .resource::<CurrentMask>()
                        .mask
                        .as_ref()
                        .unwrap()
                        .frame_seq
            };
            (shot, age)
        };
        let (gpu, gpu_age) = run(BackendChoice::Gpu, true);
        let (tract, _) = run(BackendChoice::Tract, false);
        let (tract_poisoned, _) = run(BackendChoice::Tract, true);
        let (_, _, reference) = crate::inference::reference_mask(model, source);
        let gpu_vs_reference = crate::inference::iou(&grey(&gpu), &reference);
        let gpu_vs_tract = crate::common::max_channel_difference(&gpu, &tract);
        let control = crate::common::max_channel_difference(&tract_poisoned, &tract);
        println!(
            "{model} {source}: gpu (poisoned CPU copy) vs MediaPipe IoU {gpu_vs_reference:.4}, \
             vs tract max |Δ| {gpu_vs_tract}/255, mask age {gpu_age}; tract on the poisoned copy vs \
             tract: max |Δ| {control}/255"
        );
        assert!(
            gpu_vs_reference >= 0.995,
            "{model} {source}: IoU {gpu_vs_reference}"
        );
        assert!(
            gpu_vs_tract <= 2,
            "{model} {source}: gpu vs tract max |Δ| {gpu_vs_tract}"
        );
        assert_eq!(gpu_age, 0, "{model}: the gpu mask is not the frame's own");
        assert!(
            control > 128,
            "negative control: tract did not see the poisoned copy ({control})"
        );
    }
}

/// A model with an op the GPU backend does not run: the switch fails with the op and node named,
/// and the backend that ran keeps running.
#[test]
fn an_unknown_op_keeps_the_previous_backend() {
    let dir = tempfile::tempdir().unwrap();
    let models = default_models_dir();
    std::fs::copy(
        models.join("selfie_landscape.onnx"),
        dir.path().join("selfie_landscape.onnx"),
    )
    .unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/models/unknown_op.onnx"),
        dir.path().join("unknown_op.onnx"),
    )
    .unwrap();
    let table = std::fs::read_to_string(models.join("models.ron")).unwrap();
    let extra = r#"
    (id: "odd", name: "Odd", file: "unknown_op.onnx",
     input: (width: 4, height: 4, layout: Nhwc, range: ZeroToOne),
     output: Probability, licence: "none"),
]"#;
    std::fs::write(
        dir.path().join("models.ron"),
        format!("{}{extra}", table.trim_end().trim_end_matches(']')),
    )
    .unwrap();
    let _gpu = crate::common::gpu_lock();
    let mut app = mask_app(
        dir.path().to_owned(),
        "astronaut_384x288",
        "landscape",
        BackendChoice::Gpu,
    );
    let _ = picture(&mut app, BackendKind::Gpu);
    app.world_mut().write_message(SwitchModel("odd".into()));
    update_until(&mut app, "the odd model's error", |w| {
        !w.resource::<InferenceStatus>().problems.is_empty()
    });
    let message = app.world().resource::<InferenceStatus>().problems[0].clone();
    println!("{message}");
    assert!(
        message.contains("unknown_op.onnx: not a usable ONNX model (gpu)"),
        "{message}"
    );
    assert!(
        message.contains("node \"the_odd_one\" is a Softsign"),
        "{message}"
    );
    assert!(
        message.contains("keeping MediaPipe selfie, landscape"),
        "{message}"
    );
    // Masks keep coming from the GPU backend and the model that ran.
    let seq = app
        .world()
        .resource::<CurrentMask>()
        .mask
        .as_ref()
        .unwrap()
        .frame_seq;
    update_until(&mut app, "newer masks after the failed switch", |w| {
        w.resource::<CurrentMask>().mask.as_ref().unwrap().frame_seq > seq + 2
    });
    let mask = app.world().resource::<CurrentMask>().mask.clone().unwrap();
    assert!(mask.backend == BackendKind::Gpu && mask.model_id == "landscape");
}
