//! The GPU backend's network (src/inference/gpu_network) against tract, on the project's
//! segmentation fixtures: every node's output tensor (each op, in the models' own context) and the
//! whole model's mask, max |Δ| ≤ 1e-3. On a device of the test's own (lavapipe here); no adapter
//! is a failure.

use std::io::Cursor;

use bevy_backdrop::inference::gpu_network::{GpuNetwork, LowerError, Network};
use bevy_backdrop::inference::models::{ModelRegistry, default_models_dir};
use bevy_backdrop::inference::preprocess::frame_to_tensor;
use tract_onnx::prelude::*;

use super::inference::load_frame;

/// A device on the first adapter wgpu finds (lavapipe on a machine without a GPU).
pub fn device() -> (wgpu::Device, wgpu::Queue, String) {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = bevy::tasks::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .unwrap_or_else(|e| panic!("no GPU adapter for the GPU backend's tests: {e}"));
    let name = adapter.get_info().name;
    let (device, queue) = bevy::tasks::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("gpu_network tests"),
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .unwrap_or_else(|e| panic!("no device on {name}: {e}"));
    (device, queue, name)
}

/// tract's value of every named tensor for `input` (the ONNX graph's own tensors, NCHW inside).
fn tract_tensors(bytes: &[u8], shape: [usize; 4], input: &[f32], names: &[String]) -> Vec<Vec<f32>> {
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
        .map(|t| t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec())
        .collect()
}

fn max_difference(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    let scale = b.iter().map(|v| v.abs()).fold(0.0, f32::max);
    (worst, scale)
}

#[test]
fn every_node_and_every_mask_matches_tract() {
    let (device, queue, adapter) = device();
    println!("adapter: {adapter}");
    let registry = ModelRegistry::load(&default_models_dir()).unwrap();
    for (model_id, fixtures) in [
        ("landscape", ["astronaut_256x144", "camera_256x144", "coffee_256x144"]),
        ("general", ["astronaut_256x256", "camera_256x256", "coffee_256x256"]),
    ] {
        let info = registry.get(model_id).unwrap();
        let bytes = registry.read(info).unwrap();
        let network = Network::from_onnx(&bytes, info.input_shape()).unwrap();
        let gpu = GpuNetwork::new(&device, network.clone());
        let outputs: Vec<usize> = network.steps.iter().map(|s| s.output).collect();
        for (k, fixture) in fixtures.iter().enumerate() {
            let frame = load_frame(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/segmentation")
                    .join(format!("{fixture}.png")),
            );
            let mut input = Vec::new();
            frame_to_tensor(&frame.rgba, frame.width, frame.height, &info.input, &mut input);
            // Every node's output on the first fixture; the mask on all of them.
            let wanted = if k == 0 { &outputs[..] } else { &[network.output][..] };
            let wanted_names: Vec<String> =
                wanted.iter().map(|&t| network.tensors[t].name.clone()).collect();
            let ours = gpu.run_blocking(&device, &queue, &input, wanted);
            let theirs = tract_tensors(&bytes, info.input_shape(), &input, &wanted_names);
            let mut worst_by_op = std::collections::BTreeMap::<&str, f32>::new();
            for ((ours, theirs), &tensor) in ours.iter().zip(&theirs).zip(wanted) {
                let step = network.steps.iter().find(|s| s.output == tensor).unwrap();
                let (worst, scale) = max_difference(ours, theirs);
                // Inside the network values reach tens: the bound is relative to the tensor's
                // largest value there, absolute for the mask (a probability).
                let bound = if tensor == network.output { 1e-3 } else { 1e-3 * scale.max(1.0) };
                assert!(
                    worst <= bound,
                    "{model_id} {fixture}: node {:?} ({}) max |Δ| {worst:.2e} > {bound:.1e} (largest value {scale:.2})",
                    step.node,
                    step.kernel.op()
                );
                let entry = worst_by_op.entry(step.kernel.op()).or_default();
                *entry = entry.max(worst / scale.max(1.0));
            }
            let mask = &ours[ours.len() - 1];
            let (worst, _) = max_difference(mask, &theirs[theirs.len() - 1]);
            println!("{model_id} {fixture}: mask max |Δ| {worst:.2e}; worst per op (relative) {worst_by_op:?}");
            if k == 0 {
                assert_eq!(worst_by_op.len(), 10, "every op compared: {worst_by_op:?}");
            }
        }
    }
}

/// A model with a node the lowering does not know: the error names the op and the node.
#[test]
fn an_unknown_op_is_named_with_its_node() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models/unknown_op.onnx");
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
    assert!(message.contains("\"the_odd_one\" is a Softsign"), "{message}");
}
