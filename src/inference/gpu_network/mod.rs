//! The GPU segmentation backend's network: an ONNX model lowered ([`graph`]) to a fixed sequence
//! of WGSL compute dispatches (`shaders/gpu_network.wgsl`), with every buffer — weights, each
//! intermediate tensor, each dispatch's parameters — made once per model and input size
//! ([`GpuNetwork::new`]). Running it is recording those dispatches into a compute pass
//! ([`GpuNetwork::encode`]); the input is an NHWC storage buffer the caller fills (on the GPU, or
//! from the CPU with [`GpuNetwork::run_blocking`] for tests and benchmarks), the output the mask
//! as a storage buffer (H × W floats, row-major).
//!
//! Plain `wgpu` types, so the same code runs in Bevy's render world (its `RenderDevice` wraps a
//! `wgpu::Device`), in tests on a device of their own, and on WebGPU.

pub mod graph;
pub mod render;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::backend::{SegmentationBackend, check_shape};
use super::models::{InputRange, Layout, ModelError, ModelInfo, ModelInput};

use graph::{Activation, Binary, Kernel, Unary};
pub use graph::{LowerError, Network, SUPPORTED_OPS};

/// The kernels' WGSL (the same file the shader folder holds).
pub const SHADER: &str = include_str!("../../../shaders/gpu_network.wgsl");

/// The output tile a workgroup computes (`TILE` in the WGSL): 8 × 8 elements of one channel.
const TILE: u32 = 8;

/// The kernels' entry points, in the order of [`GpuNetwork`]'s pipelines.
const ENTRY_POINTS: [&str; 10] = [
    "conv",
    "conv4",
    "pointwise",
    "depthwise4",
    "conv_transpose",
    "unary",
    "binary",
    "global_average_pool",
    "resize_bilinear",
    "transpose",
];

fn entry_index(kernel: &Kernel, out: [usize; 4]) -> usize {
    match kernel {
        Kernel::Conv { .. } if pointwise(kernel, out) => 2,
        Kernel::Conv { .. } if depthwise(kernel, out) => 3,
        Kernel::Conv { .. } if blocks_of_four(kernel, out) => 1,
        Kernel::Conv { .. } => 0,
        Kernel::ConvTranspose { .. } => 4,
        Kernel::Unary(_) => 5,
        Kernel::Binary(_) => 6,
        Kernel::GlobalAveragePool => 7,
        Kernel::ResizeBilinear => 8,
        Kernel::Transpose { .. } => 9,
    }
}

/// Whether a convolution is a matrix product in blocks of four (`pointwise`): 1 × 1, stride 1,
/// no padding, one group, and the output's channels and plane in whole blocks of four.
fn pointwise(kernel: &Kernel, out: [usize; 4]) -> bool {
    match kernel {
        Kernel::Conv {
            groups,
            kernel,
            stride,
            pad,
            ..
        } => {
            *groups == 1
                && *kernel == [1, 1]
                && *stride == [1, 1]
                && *pad == [0, 0]
                && out[1].is_multiple_of(4)
                && (out[2] * out[3]).is_multiple_of(4)
        }
        _ => false,
    }
}

/// Whether a convolution is depthwise (`depthwise4`): a group per output channel, one input
/// channel each.
fn depthwise(kernel: &Kernel, out: [usize; 4]) -> bool {
    match kernel {
        Kernel::Conv {
            weights,
            groups,
            kernel,
            ..
        } => *groups == out[1] && weights.len() == out[1] * (kernel[0] * kernel[1] + 1),
        _ => false,
    }
}

/// Invocations of `pointwise` a workgroup runs (its `workgroup_size`).
const POINTWISE_GROUP: u32 = 64;

/// Whether a convolution runs four output channels an invocation (`conv4`): more than one input
/// channel a group (not depthwise) and whole blocks of four output channels in each group.
fn blocks_of_four(kernel: &Kernel, out: [usize; 4]) -> bool {
    match kernel {
        Kernel::Conv {
            weights,
            groups,
            kernel,
            ..
        } => {
            let per_group_out = out[1] / groups;
            let in_per_group = (weights.len() - out[1]) / (out[1] * kernel[0] * kernel[1]);
            in_per_group > 1 && per_group_out.is_multiple_of(4)
        }
        _ => false,
    }
}

struct Dispatch {
    pipeline: usize,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
}

/// A lowered network's buffers and dispatches on one device.
pub struct GpuNetwork {
    network: Arc<Network>,
    /// The kernels' module (the segmenter's frame-in and mask-out pipelines use it too).
    module: wgpu::ShaderModule,
    pipelines: Vec<wgpu::ComputePipeline>,
    tensors: Vec<wgpu::Buffer>,
    dispatches: Vec<Dispatch>,
}

/// The `Params` uniform of the WGSL, as bytes.
fn params(network: &Network, step: &graph::Step) -> Vec<u8> {
    let shape = |t: usize| network.tensors[t].shape.map(|d| d as u32);
    let none = [0u32; 4];
    let out = shape(step.output);
    let a = shape(step.inputs[0]);
    let b = step.inputs.get(1).map_or(none, |&t| shape(t));
    let (mut window, mut misc, mut factors, mut perm, mut grouping) =
        (none, none, [0f32; 4], none, none);
    match &step.kernel {
        Kernel::Conv {
            groups,
            kernel,
            stride,
            pad,
            ..
        } => {
            window = [kernel[0], kernel[1], stride[0], stride[1]].map(|v| v as u32);
            let (activation, [alpha, beta]) = match step.activation {
                Activation::None => (0, [0.0; 2]),
                Activation::Relu => (1, [0.0; 2]),
                Activation::HardSigmoid { alpha, beta } => (2, [alpha, beta]),
                Activation::HardSwish { alpha, beta } => (3, [alpha, beta]),
                Activation::Sigmoid => (4, [0.0; 2]),
            };
            misc = [pad[0] as u32, pad[1] as u32, activation, 0];
            factors = [alpha, beta, 0.0, 0.0];
            grouping = [a[1] / *groups as u32, out[1] / *groups as u32, 0, 0];
        }
        Kernel::ConvTranspose { kernel, stride, .. } => {
            window = [kernel[0], kernel[1], stride[0], stride[1]].map(|v| v as u32);
        }
        Kernel::Unary(op) => {
            misc[3] = match op {
                Unary::Relu => 0,
                Unary::Sigmoid => 1,
                Unary::HardSigmoid { alpha, beta } => {
                    factors = [*alpha, *beta, 0.0, 0.0];
                    2
                }
            };
        }
        Kernel::Binary(op) => {
            misc[3] = match op {
                Binary::Add => 0,
                Binary::Mul => 1,
            };
        }
        Kernel::Transpose { perm: p } => perm = p.map(|v| v as u32),
        Kernel::GlobalAveragePool | Kernel::ResizeBilinear => {}
    }
    params_bytes([
        out,
        a,
        b,
        window,
        misc,
        grouping,
        factors.map(f32::to_bits),
        perm,
    ])
}

/// The WGSL's `Params` (eight `vec4`s, in its field order) as bytes.
fn params_bytes(fields: [[u32; 4]; 8]) -> Vec<u8> {
    fields
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Workgroups covering a plane of `width` × `height` in tiles, `planes` deep.
fn tiles(width: usize, height: usize, planes: usize) -> [u32; 3] {
    [
        (width as u32).div_ceil(TILE).max(1),
        (height as u32).div_ceil(TILE).max(1),
        planes.max(1) as u32,
    ]
}

/// A step's workgroups: a tile per 8 × 8 output elements of each channel; one workgroup per
/// channel for the pooling (its invocations share the channel's sum).
fn workgroups(kernel: &Kernel, out: [usize; 4]) -> [u32; 3] {
    match kernel {
        Kernel::GlobalAveragePool => [1, 1, out[1] as u32],
        _ if depthwise(kernel, out) => tiles(out[3].div_ceil(4), out[2], out[1]),
        _ if pointwise(kernel, out) => [
            ((out[2] * out[3] / 4) as u32).div_ceil(POINTWISE_GROUP),
            1,
            (out[1] / 4) as u32,
        ],
        _ if blocks_of_four(kernel, out) => tiles(out[3], out[2], out[1] / 4),
        _ => tiles(out[3], out[2], out[1]),
    }
}

impl GpuNetwork {
    /// Makes every pipeline and buffer the network needs on `device`, and writes the weights.
    pub fn new(device: &wgpu::Device, network: Arc<Network>) -> Self {
        use wgpu::util::DeviceExt;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("gpu_network.wgsl"),
            source: wgpu::ShaderSource::Wgsl(Cow::Borrowed(SHADER)),
        });
        let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("gpu_network"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, true),
                storage(3, true),
                storage(4, false),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("gpu_network"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipelines = ENTRY_POINTS
            .iter()
            .map(|entry| {
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
            })
            .collect();
        // A tensor no step reads or writes (one a fused step no longer writes) gets no memory.
        let used = |t: usize| {
            t == network.input
                || t == network.output
                || network
                    .steps
                    .iter()
                    .any(|s| s.output == t || s.inputs.contains(&t))
        };
        let tensors: Vec<wgpu::Buffer> = network
            .tensors
            .iter()
            .enumerate()
            .map(|(index, t)| {
                let len = if used(index) { t.len() } else { 0 };
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(&t.name),
                    size: (len.max(1) * 4) as u64,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_DST
                        | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                })
            })
            .collect();
        // Bound where a kernel reads no second input or no weights.
        let placeholder = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gpu_network placeholder"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let dispatches = network
            .steps
            .iter()
            .map(|step| {
                let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(&step.node),
                    contents: &params(&network, step),
                    usage: wgpu::BufferUsages::UNIFORM,
                });
                let weights = match &step.kernel {
                    Kernel::Conv { weights, .. } | Kernel::ConvTranspose { weights, .. } => Some(
                        device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                            label: Some(&step.node),
                            contents: &f32_bytes(weights),
                            usage: wgpu::BufferUsages::STORAGE,
                        }),
                    ),
                    _ => None,
                };
                let second = step.inputs.get(1).map(|&t| &tensors[t]);
                fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
                    wgpu::BindGroupEntry {
                        binding,
                        resource: buffer.as_entire_binding(),
                    }
                }
                let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&step.node),
                    layout: &layout,
                    entries: &[
                        entry(0, &uniform),
                        entry(1, &tensors[step.inputs[0]]),
                        entry(2, second.unwrap_or(&placeholder)),
                        entry(3, weights.as_ref().unwrap_or(&placeholder)),
                        entry(4, &tensors[step.output]),
                    ],
                });
                Dispatch {
                    pipeline: entry_index(&step.kernel, network.tensors[step.output].shape),
                    bind_group,
                    workgroups: workgroups(&step.kernel, network.tensors[step.output].shape),
                }
            })
            .collect();
        Self {
            network,
            module,
            pipelines,
            tensors,
            dispatches,
        }
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The input tensor's buffer (NHWC f32, the model's input size; values as the model wants
    /// them, e.g. RGB in [0, 1]).
    pub fn input(&self) -> &wgpu::Buffer {
        &self.tensors[self.network.input]
    }

    /// The output tensor's buffer (the mask: H × W f32, row-major).
    pub fn output(&self) -> &wgpu::Buffer {
        &self.tensors[self.network.output]
    }

    /// Records the whole network, step by step, into `pass` (WebGPU orders the dispatches'
    /// storage writes before the next dispatch's reads).
    pub fn encode(&self, pass: &mut wgpu::ComputePass) {
        for step in 0..self.dispatches.len() {
            self.encode_step(pass, step);
        }
    }

    /// Records one step ([`Network::steps`]'s `index`-th): for timing steps one by one.
    pub fn encode_step(&self, pass: &mut wgpu::ComputePass, index: usize) {
        let dispatch = &self.dispatches[index];
        pass.set_pipeline(&self.pipelines[dispatch.pipeline]);
        pass.set_bind_group(0, &dispatch.bind_group, &[]);
        let [x, y, z] = dispatch.workgroups;
        pass.dispatch_workgroups(x, y, z);
    }

    /// Runs the network on an input from the CPU and reads back the tensors asked for (indices
    /// into [`Network::tensors`]), waiting for the GPU: for tests, not the app's path.
    pub fn run_blocking(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        input: &[f32],
        tensors: &[usize],
    ) -> Vec<Vec<f32>> {
        let encoder = self.record_run(device, queue, input, None);
        self.read(device, queue, encoder, tensors)
    }

    /// Writes `input` into the input buffer and records the whole network, as one compute pass
    /// (timed where `timestamp_writes` says), into a new encoder.
    fn record_run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        input: &[f32],
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites>,
    ) -> wgpu::CommandEncoder {
        queue.write_buffer(self.input(), 0, &f32_bytes(input));
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gpu_network run"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("gpu_network"),
                timestamp_writes,
            });
            self.encode(&mut pass);
        }
        encoder
    }

    /// Reads back tensors as they are now (after work already submitted), waiting for the GPU:
    /// for tests.
    pub fn run_blocking_read(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        tensors: &[usize],
    ) -> Vec<Vec<f32>> {
        let encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("gpu_network read"),
        });
        self.read(device, queue, encoder, tensors)
    }

    fn read(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        mut encoder: wgpu::CommandEncoder,
        tensors: &[usize],
    ) -> Vec<Vec<f32>> {
        let readbacks: Vec<wgpu::Buffer> = tensors
            .iter()
            .map(|&t| {
                let size = self.tensors[t].size();
                let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("gpu_network readback"),
                    size,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                encoder.copy_buffer_to_buffer(&self.tensors[t], 0, &buffer, 0, size);
                buffer
            })
            .collect();
        queue.submit([encoder.finish()]);
        for buffer in &readbacks {
            buffer.slice(..).map_async(wgpu::MapMode::Read, |r| {
                r.expect("mapping a readback buffer");
            });
        }
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("waiting for the GPU");
        readbacks
            .iter()
            .zip(tensors)
            .map(|(buffer, &t)| {
                let bytes = buffer.slice(..).get_mapped_range();
                let values: Vec<f32> = bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .take(self.network.tensors[t].len())
                    .collect();
                drop(bytes);
                buffer.unmap();
                values
            })
            .collect()
    }
}

/// The GPU backend as the app holds it: the lowered network, which the render world turns into
/// a [`GpuSegmenter`] (`render`). It runs CPU tensors only when given a device of its own
/// ([`GpuBackend::on_device`]: the model comparer's way).
pub struct GpuBackend {
    path: PathBuf,
    network: Arc<Network>,
    #[cfg(feature = "native")]
    on_device: Option<OnDevice>,
}

/// A device the GPU backend runs CPU tensors on, reading the mask back: how the model comparer
/// times it beside the CPU backends (the app's own path never reads back). Handles to the app's
/// render device and queue, or to a device of a tool's own.
#[derive(Clone)]
pub struct TensorDevice {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// The adapter runs on the CPU (lavapipe, SwiftShader): a run then takes the same CPU the
    /// picture is drawn with.
    pub software: bool,
}

#[cfg(feature = "native")]
impl TensorDevice {
    /// A device of its own on the first adapter wgpu finds (lavapipe on a machine without a
    /// GPU), with its limits and, where it has them, timestamp queries: for tools and tests.
    /// Also the adapter's name.
    pub fn first_adapter(label: &str) -> Result<(Self, String), String> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = bevy::tasks::block_on(
            instance.request_adapter(&wgpu::RequestAdapterOptions::default()),
        )
        .map_err(|e| format!("no GPU adapter: {e}"))?;
        let info = adapter.get_info();
        let (device, queue) =
            bevy::tasks::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
                label: Some(label),
                required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
                required_limits: adapter.limits(),
                ..Default::default()
            }))
            .map_err(|e| format!("no device on {}: {e}", info.name))?;
        let software = info.device_type == wgpu::DeviceType::Cpu;
        Ok((
            Self {
                device,
                queue,
                software,
            },
            info.name,
        ))
    }
}

/// The network on a [`TensorDevice`], with a pair of timestamp queries where the device has
/// them (its GPU ms; else the caller's clock times the whole run).
#[cfg(feature = "native")]
struct OnDevice {
    device: TensorDevice,
    network: GpuNetwork,
    timestamps: Option<(wgpu::QuerySet, wgpu::Buffer, wgpu::Buffer)>,
    last_ms: Option<f64>,
}

#[cfg(feature = "native")]
impl OnDevice {
    fn new(device: TensorDevice, network: Arc<Network>) -> Self {
        let gpu = &device.device;
        let timestamps = gpu
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
            .then(|| {
                let buffer = |label, usage| {
                    gpu.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(label),
                        size: 16,
                        usage,
                        mapped_at_creation: false,
                    })
                };
                (
                    gpu.create_query_set(&wgpu::QuerySetDescriptor {
                        label: Some("gpu_network comparer timestamps"),
                        ty: wgpu::QueryType::Timestamp,
                        count: 2,
                    }),
                    buffer(
                        "gpu_network comparer resolve",
                        wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    ),
                    buffer(
                        "gpu_network comparer timestamps read",
                        wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    ),
                )
            });
        Self {
            network: GpuNetwork::new(gpu, network),
            device,
            timestamps,
            last_ms: None,
        }
    }

    /// The network on `input`: its output, read back; the pass's GPU ms kept for `last_ms`.
    fn run(&mut self, input: &[f32]) -> Vec<f32> {
        let (device, queue) = (&self.device.device, &self.device.queue);
        let writes =
            self.timestamps
                .as_ref()
                .map(|(queries, _, _)| wgpu::ComputePassTimestampWrites {
                    query_set: queries,
                    beginning_of_pass_write_index: Some(0),
                    end_of_pass_write_index: Some(1),
                });
        let mut encoder = self.network.record_run(device, queue, input, writes);
        if let Some((queries, resolve, read)) = &self.timestamps {
            encoder.resolve_query_set(queries, 0..2, resolve, 0);
            encoder.copy_buffer_to_buffer(resolve, 0, read, 0, 16);
        }
        let output = self.network.network.output;
        // Submits, and waits for the GPU: the timestamps are written by then too.
        let mut values = self.network.read(device, queue, encoder, &[output]);
        self.last_ms = self.timestamps.as_ref().and_then(|(_, _, read)| {
            read.slice(..).map_async(wgpu::MapMode::Read, |_| {});
            device.poll(wgpu::PollType::wait_indefinitely()).ok()?;
            let ticks: Vec<u64> = read
                .slice(..)
                .get_mapped_range()
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect();
            read.unmap();
            let period_ns = f64::from(queue.get_timestamp_period());
            let elapsed = ticks[1].checked_sub(ticks[0])?;
            // No tick at all: the device does not really time passes (the caller's clock does).
            (elapsed > 0).then(|| elapsed as f64 * period_ns / 1e6)
        });
        values.pop().unwrap_or_default()
    }
}

impl GpuBackend {
    /// Lowers the model file for the GPU: an op or attribute the kernels do not implement is a
    /// load error naming the node (the app keeps the backend it had).
    pub fn load(path: &Path, bytes: &[u8], model: &ModelInfo) -> Result<Self, ModelError> {
        let corrupt = |message: String| ModelError::Corrupt {
            path: path.to_owned(),
            backend: "gpu",
            message,
        };
        let network = Network::from_onnx(bytes, model.input_shape())
            .map_err(|e| corrupt(e.to_string()))?
            .fused();
        let output = network.tensors[network.output].shape;
        check_shape(
            path,
            "output shape",
            &output.map(|d| d as i64),
            &model.output_shape(),
        )?;
        // The mask is written from an NHWC output with one or two values a pixel.
        if output[3] > 2 || output[3] != model.output.channels() {
            return Err(corrupt(format!(
                "the GPU backend reads NHWC masks of 1 or 2 channels; this output is {output:?}"
            )));
        }
        Ok(Self {
            path: path.to_owned(),
            network: Arc::new(network),
            #[cfg(feature = "native")]
            on_device: None,
        })
    }

    /// The backend running CPU tensors on `device` (the model comparer's way: a tensor in, the
    /// mask read back, GPU ms from timestamp queries where the device has them).
    #[cfg(feature = "native")]
    pub fn on_device(mut self, device: TensorDevice) -> Self {
        self.on_device = Some(OnDevice::new(device, Arc::clone(&self.network)));
        self
    }
}

impl SegmentationBackend for GpuBackend {
    fn backend_name(&self) -> &'static str {
        "gpu"
    }

    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        #[cfg(feature = "native")]
        if let Some(on_device) = &mut self.on_device {
            return Ok(on_device.run(input));
        }
        let _ = input;
        Err(ModelError::Run {
            path: self.path.clone(),
            backend: "gpu",
            message: "the GPU backend runs in the render graph on the frame's texture, not on a \
                      CPU tensor"
                .into(),
        })
    }

    fn last_run_ms(&self) -> Option<f64> {
        #[cfg(feature = "native")]
        if let Some(on_device) = &self.on_device {
            return on_device.last_ms;
        }
        None
    }

    fn gpu_network(&self) -> Option<Arc<Network>> {
        Some(Arc::clone(&self.network))
    }
}

/// The pre-processing's factors for an input range: value = byte / 255 · scale + offset.
fn range_factors(range: InputRange) -> [f32; 2] {
    match range {
        InputRange::ZeroToOne => [1.0, 0.0],
        InputRange::MinusOneToOne => [2.0, -1.0],
    }
}

/// A frame's texture as the app uploads it (Rgba8Unorm, the frame's bytes), for running a
/// [`GpuSegmenter`] outside Bevy (tests, benchmarks).
pub fn frame_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    frame: &crate::capture::Frame,
) -> wgpu::Texture {
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("frame"),
        size: wgpu::Extent3d {
            width: frame.width,
            height: frame.height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    write_frame(queue, &texture, frame);
    texture
}

/// Writes a frame's bytes into its [`frame_texture`] (same size).
pub fn write_frame(queue: &wgpu::Queue, texture: &wgpu::Texture, frame: &crate::capture::Frame) {
    queue.write_texture(
        texture.as_image_copy(),
        &frame.rgba,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(frame.width * 4),
            rows_per_image: None,
        },
        texture.size(),
    );
}

/// A mask texture a [`GpuSegmenter`] writes (Rgba16Float, storage), readable by copy and by
/// sampling, for running it outside Bevy (the app's is an `Image`, see the inference plugin).
pub fn mask_texture(device: &wgpu::Device, width: u32, height: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("mask"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba16Float,
        usage: wgpu::TextureUsages::STORAGE_BINDING
            | wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    })
}

/// A network on the GPU with its way in (the frame texture → the input tensor, as the CPU
/// pre-processing does) and out (the output tensor → the mask texture the effects chain decodes).
pub struct GpuSegmenter {
    pub network: GpuNetwork,
    preprocess: wgpu::ComputePipeline,
    write_mask: wgpu::ComputePipeline,
    preprocess_params: wgpu::Buffer,
    write_params: wgpu::Buffer,
}

impl GpuSegmenter {
    pub fn new(device: &wgpu::Device, network: Arc<Network>, input: &ModelInput) -> Self {
        use wgpu::util::DeviceExt;
        let gpu_network = GpuNetwork::new(device, network);
        let module = &gpu_network.module;
        // Layouts from the entry points themselves: each reads only its own bindings.
        let pipeline = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let output = gpu_network.network.tensors[gpu_network.network.output].shape;
        let [scale, offset] = range_factors(input.range);
        let layout = u32::from(input.layout == Layout::Nchw);
        let uniform = |values: [[u32; 4]; 8]| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("gpu_network frame io"),
                contents: &params_bytes(values),
                usage: wgpu::BufferUsages::UNIFORM,
            })
        };
        let zero = [0u32; 4];
        let (h, w) = (input.height, input.width);
        let preprocess_params = uniform([
            [1, h, w, 3],
            zero,
            zero,
            zero,
            [layout, 0, 0, 0],
            zero,
            [scale.to_bits(), offset.to_bits(), 0, 0],
            zero,
        ]);
        let write_params = uniform([
            zero,
            output.map(|d| d as u32),
            zero,
            zero,
            zero,
            zero,
            zero,
            zero,
        ]);
        let (preprocess, write_mask) = (pipeline("preprocess"), pipeline("write_mask"));
        Self {
            network: gpu_network,
            preprocess,
            write_mask,
            preprocess_params,
            write_params,
        }
    }

    /// Records frame → input tensor → network → mask into `encoder`, as one compute pass.
    /// `frame`: the frame texture (Rgba8Unorm); `mask`: an Rgba16Float storage texture of the
    /// model's output size.
    pub fn encode(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        frame: &wgpu::TextureView,
        mask: &wgpu::TextureView,
        timestamp_writes: Option<wgpu::ComputePassTimestampWrites>,
    ) {
        let io = self.frame_io(device, frame, mask);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("backdrop_gpu_network"),
            timestamp_writes,
        });
        self.record_preprocess(&mut pass, &io);
        self.network.encode(&mut pass);
        self.record_write_mask(&mut pass, &io);
    }

    /// Like `encode`, in three passes — pre-processing, network, mask write — each writing
    /// timestamps `first + 2k`, `first + 2k + 1` into `queries` (for benchmarks: where the time
    /// goes).
    pub fn encode_in_parts(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        frame: &wgpu::TextureView,
        mask: &wgpu::TextureView,
        queries: &wgpu::QuerySet,
        first: u32,
    ) {
        let io = self.frame_io(device, frame, mask);
        for part in 0..3u32 {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("backdrop_gpu_network part"),
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: queries,
                    beginning_of_pass_write_index: Some(first + 2 * part),
                    end_of_pass_write_index: Some(first + 2 * part + 1),
                }),
            });
            match part {
                0 => self.record_preprocess(&mut pass, &io),
                1 => self.network.encode(&mut pass),
                _ => self.record_write_mask(&mut pass, &io),
            }
        }
    }

    /// The bind groups of the way in and out for these textures (made per call: the textures may
    /// be new each frame).
    fn frame_io(
        &self,
        device: &wgpu::Device,
        frame: &wgpu::TextureView,
        mask: &wgpu::TextureView,
    ) -> [wgpu::BindGroup; 4] {
        let group =
            |pipeline: &wgpu::ComputePipeline, index: u32, entries: &[wgpu::BindGroupEntry]| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("gpu_network frame io"),
                    layout: &pipeline.get_bind_group_layout(index),
                    entries,
                })
            };
        fn buffer(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
            wgpu::BindGroupEntry {
                binding,
                resource: buffer.as_entire_binding(),
            }
        }
        fn texture(binding: u32, view: &wgpu::TextureView) -> [wgpu::BindGroupEntry<'_>; 1] {
            [wgpu::BindGroupEntry {
                binding,
                resource: wgpu::BindingResource::TextureView(view),
            }]
        }
        [
            group(
                &self.preprocess,
                0,
                &[
                    buffer(0, &self.preprocess_params),
                    buffer(4, self.network.input()),
                ],
            ),
            group(&self.preprocess, 1, &texture(0, frame)),
            group(
                &self.write_mask,
                0,
                &[
                    buffer(0, &self.write_params),
                    buffer(1, self.network.output()),
                ],
            ),
            group(&self.write_mask, 1, &texture(1, mask)),
        ]
    }

    fn record_preprocess(&self, pass: &mut wgpu::ComputePass, io: &[wgpu::BindGroup; 4]) {
        let [_, h, w, _] = self.network.network.tensors[self.network.network.input].shape;
        let [x, y, z] = tiles(w, h, 1);
        pass.set_pipeline(&self.preprocess);
        pass.set_bind_group(0, &io[0], &[]);
        pass.set_bind_group(1, &io[1], &[]);
        pass.dispatch_workgroups(x, y, z);
    }

    fn record_write_mask(&self, pass: &mut wgpu::ComputePass, io: &[wgpu::BindGroup; 4]) {
        let [_, h, w, _] = self.network.network.tensors[self.network.network.output].shape;
        let [x, y, z] = tiles(w, h, 1);
        pass.set_pipeline(&self.write_mask);
        pass.set_bind_group(0, &io[2], &[]);
        pass.set_bind_group(1, &io[3], &[]);
        pass.dispatch_workgroups(x, y, z);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_every_output_element() {
        assert_eq!(tiles(1, 1, 1), [1, 1, 1]);
        assert_eq!(tiles(256, 144, 16), [32, 18, 16]);
        assert_eq!(tiles(9, 8, 3), [2, 1, 3]);
        assert_eq!(
            workgroups(&Kernel::GlobalAveragePool, [1, 96, 1, 1]),
            [1, 1, 96]
        );
    }

    fn conv(kernel: usize, stride: usize, groups: usize) -> Kernel {
        Kernel::Conv {
            weights: Vec::new(),
            groups,
            kernel: [kernel; 2],
            stride: [stride; 2],
            pad: [0; 2],
        }
    }

    #[test]
    fn only_whole_blocks_of_1x1_convolutions_are_matrix_products() {
        // 72 × 128 pixels in blocks of four, 64 to a workgroup; 16 channels in blocks of four.
        let out = [1, 16, 72, 128];
        assert!(pointwise(&conv(1, 1, 1), out));
        assert_eq!(workgroups(&conv(1, 1, 1), out), [36, 1, 4]);
        assert_eq!(entry_index(&conv(1, 1, 1), out), 2);
        // A plane of 5 × 9 = 45 pixels, 6 channels, a stride, a group, a 3 × 3 window: no.
        assert!(!pointwise(&conv(1, 1, 1), [1, 16, 5, 9]));
        assert!(!pointwise(&conv(1, 1, 1), [1, 6, 8, 8]));
        assert!(!pointwise(&conv(1, 2, 1), out));
        assert!(!pointwise(&conv(1, 1, 2), out));
        assert!(!pointwise(&conv(3, 1, 1), out));
    }

    #[test]
    fn depthwise_convolutions_run_four_columns_an_invocation() {
        let depthwise_3x3 = Kernel::Conv {
            weights: vec![0.0; 16 * (9 + 1)],
            groups: 16,
            kernel: [3; 2],
            stride: [2; 2],
            pad: [1; 2],
        };
        // 72 × 130: 33 blocks of four columns (the last one half outside), in 8 × 8 tiles.
        let out = [1, 16, 72, 130];
        assert!(depthwise(&depthwise_3x3, out));
        assert_eq!(entry_index(&depthwise_3x3, out), 3);
        assert_eq!(workgroups(&depthwise_3x3, out), [5, 9, 16]);
        // Two input channels a group: not depthwise.
        let grouped = Kernel::Conv {
            weights: vec![0.0; 16 * (2 * 9 + 1)],
            groups: 16,
            kernel: [3; 2],
            stride: [1; 2],
            pad: [1; 2],
        };
        assert!(!depthwise(&grouped, out));
    }

    #[test]
    fn every_kernel_has_its_entry_point_in_the_wgsl() {
        for entry in ENTRY_POINTS {
            assert!(
                SHADER.contains(&format!("fn {entry}(")),
                "no fn {entry} in gpu_network.wgsl"
            );
        }
        assert!(SHADER.contains(&format!("const TILE: u32 = {TILE}u;")));
        assert!(SHADER.contains("var<workgroup> partial: array<f32, 64>;"));
        assert!(SHADER.contains(&format!(
            "@workgroup_size({POINTWISE_GROUP}, 1, 1)\nfn pointwise("
        )));
    }
}
