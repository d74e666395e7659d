//! The GPU backend in the render world: each frame the app uploads while the backend is active,
//! one compute pass — the frame texture pre-processed into the input tensor, the network, the
//! output written into the mask texture — recorded before the effects chain decodes that mask
//! (`ChainPass::Segment`, the first of the chain's sets). The frame never comes back to the CPU
//! and the mask is the same frame's (mask age 0).
//!
//! The main world says what to run ([`GpuSegmentation`], put there by the inference systems when
//! the active backend is the GPU's); the render world builds a [`GpuSegmenter`] for it once per
//! model and input size, and again only when the model changes.

use std::sync::Arc;

use bevy::prelude::*;
use bevy::render::Extract;
use bevy::render::diagnostic::RecordDiagnostics;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::texture::GpuImage;
use bevy::render::{RenderApp, RenderStartup};

use super::{GpuSegmenter, Network};
use crate::capture::FrameImage;
use crate::effects::chain::ChainIo;
use crate::effects::gpu_time::ChainGpuTimer;
use crate::inference::models::ModelInput;

/// The pass's time span: its GPU ms from timestamps on the pass (`backdrop/gpu/<span>`, the
/// chain's timer, WebGPU included), its CPU encoding in Bevy's render diagnostics.
pub const SPAN: &str = "backdrop_gpu_network";

/// Where its GPU ms go (`backdrop/gpu/backdrop_gpu_network`).
pub static GPU_MS: std::sync::LazyLock<bevy::diagnostic::DiagnosticPath> =
    std::sync::LazyLock::new(|| crate::effects::gpu_time::gpu_ms_path(SPAN));

/// What the GPU backend runs now (main world): the network, its model's row, the mask texture
/// it writes, and the frame upload it is for.
#[derive(Resource, Clone)]
pub struct GpuSegmentation {
    pub network: Arc<Network>,
    /// The model's input (its size, layout and value range: the pre-processing's).
    pub input: ModelInput,
    /// Bumped for each model loaded: a new one builds a new segmenter.
    pub generation: u64,
    pub mask: AssetId<Image>,
    /// The frame upload ([`crate::capture::CurrentFrame::uploaded`]) to segment.
    pub frame_seq: u64,
}

/// The render world's copy of [`GpuSegmentation`] and the frame texture's id.
#[derive(Resource, Default)]
struct ExtractedSegmentation {
    request: Option<GpuSegmentation>,
    frame: Option<AssetId<Image>>,
}

/// The segmenter of the model that runs, and the last frame upload segmented.
#[derive(Resource, Default)]
struct Segmenters {
    current: Option<(u64, GpuSegmenter)>,
    last_seq: Option<(u64, u64)>,
    /// Whether the device runs compute shaders (WebGL2 does not).
    compute: bool,
}

pub(crate) struct GpuSegmentationPlugin;

impl Plugin for GpuSegmentationPlugin {
    fn build(&self, app: &mut App) {
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .init_resource::<ExtractedSegmentation>()
            .init_resource::<Segmenters>()
            .add_systems(RenderStartup, check_compute)
            .add_systems(ExtractSchedule, extract)
            .add_systems(
                bevy::core_pipeline::schedule::Core2d,
                segment.in_set(crate::effects::chain::ChainPass::Segment),
            );
    }
}

/// Whether a device can run the GPU backend: compute shaders and storage buffers (WebGPU,
/// Vulkan, Metal, DX12; not WebGL2).
pub fn device_runs_compute(device: &RenderDevice) -> bool {
    let limits = device.limits();
    limits.max_compute_workgroups_per_dimension > 0
        && limits.max_storage_buffers_per_shader_stage >= 4
        && limits.max_storage_textures_per_shader_stage >= 1
}

fn check_compute(device: Res<RenderDevice>, mut segmenters: ResMut<Segmenters>) {
    segmenters.compute = device_runs_compute(&device);
}

fn extract(
    mut extracted: ResMut<ExtractedSegmentation>,
    request: Extract<Option<Res<GpuSegmentation>>>,
    frame: Extract<Option<Res<FrameImage>>>,
) {
    extracted.request = request.as_deref().cloned();
    extracted.frame = frame.as_ref().map(|f| f.0.id());
}

/// Runs the network on this frame's upload, once: in the first chain view to get here (chain
/// views render before the window's, so the chain decodes this frame's mask).
fn segment(
    _view: ViewQuery<&ChainIo>,
    extracted: Res<ExtractedSegmentation>,
    mut segmenters: ResMut<Segmenters>,
    images: Res<RenderAssets<GpuImage>>,
    device: Res<RenderDevice>,
    mut timer: Option<ResMut<ChainGpuTimer>>,
    mut ctx: RenderContext,
) {
    let Some(request) = &extracted.request else {
        segmenters.current = None;
        segmenters.last_seq = None;
        return;
    };
    if !segmenters.compute {
        return;
    }
    let done = (request.generation, request.frame_seq);
    if segmenters.last_seq == Some(done) {
        return;
    }
    let (Some(frame), Some(mask)) = (
        extracted.frame.and_then(|id| images.get(id)),
        images.get(request.mask),
    ) else {
        return;
    };
    let model_size = (request.input.width, request.input.height);
    let mask_size = mask.texture_descriptor.size;
    if (mask_size.width, mask_size.height) != model_size
        || !mask
            .texture_descriptor
            .usage
            .contains(bevy::render::render_resource::TextureUsages::STORAGE_BINDING)
    {
        // The mask texture for the GPU backend is not there yet (made this frame).
        return;
    }
    if segmenters
        .current
        .as_ref()
        .is_none_or(|(generation, _)| *generation != request.generation)
    {
        let segmenter = GpuSegmenter::new(
            device.wgpu_device(),
            Arc::clone(&request.network),
            &request.input,
        );
        segmenters.current = Some((request.generation, segmenter));
    }
    let Some((_, segmenter)) = &segmenters.current else {
        return;
    };
    let recorder = ctx.diagnostic_recorder();
    let recorder = recorder.as_deref();
    let span = recorder.time_span(ctx.command_encoder(), SPAN);
    let writes = timer.as_mut().and_then(|t| t.compute_writes(SPAN));
    segmenter.encode(
        device.wgpu_device(),
        ctx.command_encoder(),
        &frame.texture_view,
        &mask.texture_view,
        writes,
    );
    span.end(ctx.command_encoder());
    segmenters.last_seq = Some(done);
}
