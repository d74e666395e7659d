//! GPU ms per chain stage, from timestamps the stages' passes write at their start and end
//! (`RenderPassDescriptor::timestamp_writes`).
//!
//! Bevy's render-diagnostics spans write their timestamps inside the command encoder
//! (`Features::TIMESTAMP_QUERY_INSIDE_ENCODERS`), which WebGPU does not allow: in the browser the
//! chain's GPU ms were "n/a". Timestamps on a pass's descriptor need only
//! `Features::TIMESTAMP_QUERY`, which Vulkan, Metal, DX12 and WebGPU have (wgpu's GL backend,
//! WebGL2 included, has no timestamps at all: "n/a" there). So the chain times itself this one way
//! everywhere, and the overlay, the page's state and `chain_bench` read `backdrop/gpu/<span>`.
//!
//! Per chain view and render, one slot (a query set, a resolve buffer, a read buffer) from a small
//! pool: each timed pass takes two queries, a stage's time runs from its first pass's start to its
//! last pass's end; after the composite the slot is resolved, copied and mapped when the commands
//! are submitted; a later render reads it, hands the ms to the main world and returns the slot.
//! While every slot still waits for the GPU, a render is not timed: the pool never grows past
//! [`MAX_SLOTS`].

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use bevy::core_pipeline::Core2dSystems;
use bevy::core_pipeline::schedule::Core2d;
use bevy::core_pipeline::tonemapping::tonemapping;
use bevy::diagnostic::{Diagnostic, DiagnosticPath, Diagnostics, RegisterDiagnostic};
use bevy::prelude::*;
use bevy::render::render_resource::{BufferDescriptor, BufferUsages, MapMode, WgpuFeatures};
use bevy::render::renderer::{RenderContext, RenderDevice, RenderQueue, ViewQuery};
use bevy::render::{Render, RenderApp, RenderStartup, RenderSystems};

use super::GPU_SPANS;
use super::chain::{ChainIo, ChainPass};

/// Queries per slot: two per pass, room for 32 passes (a view's chain has at most 14). 64 × 8
/// bytes is a multiple of the 256-byte alignment a resolve needs.
const QUERIES_PER_SLOT: u32 = 64;

/// Slots at most: views × renders in flight (the split view has two chains; a GPU a few renders
/// behind holds a few slots each).
pub const MAX_SLOTS: usize = 8;

/// The most measurements waiting for the main world (it takes them every update).
const INBOX_CAPACITY: usize = 256;

/// Where a stage's GPU ms go: `backdrop/gpu/<span>` (the spans of [`GPU_SPANS`]).
pub fn gpu_ms_path(span: &str) -> DiagnosticPath {
    DiagnosticPath::new(format!("backdrop/gpu/{span}"))
}

/// Times the chain's stages on the GPU (see the module). Added by the overlay; add it yourself to
/// read `backdrop/gpu/<span>` without the overlay.
pub struct ChainGpuTimesPlugin;

/// Measurements from the render world to the main world: (span, ms).
#[derive(Resource, Clone, Default)]
struct GpuTimesInbox(Arc<Mutex<Vec<(&'static str, f64)>>>);

impl Plugin for ChainGpuTimesPlugin {
    fn build(&self, app: &mut App) {
        for (_, span) in GPU_SPANS {
            app.register_diagnostic(Diagnostic::new(gpu_ms_path(span)).with_suffix(" ms"));
        }
        let inbox = GpuTimesInbox::default();
        app.insert_resource(inbox.clone())
            .add_systems(PreUpdate, publish);
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .insert_resource(inbox)
            .add_systems(RenderStartup, init_timer)
            .add_systems(Render, collect.in_set(RenderSystems::Cleanup))
            .add_systems(
                Core2d,
                (
                    begin_view
                        .after(tonemapping)
                        .before(ChainPass::Segment)
                        .in_set(Core2dSystems::PostProcess),
                    end_view
                        .after(ChainPass::Composite)
                        .in_set(Core2dSystems::PostProcess),
                ),
            );
    }
}

const PENDING: u8 = 0;
const READY: u8 = 1;
const FAILED: u8 = 2;

/// One view's queries for one render, and where they are read back.
struct Slot {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    read: wgpu::Buffer,
    /// Queries written so far.
    used: u32,
    /// (span, first query, last query) in the order the passes ran.
    spans: Vec<(&'static str, u32, u32)>,
    /// `PENDING` until the read buffer is mapped (`READY`) or mapping failed (`FAILED`).
    state: Arc<AtomicU8>,
}

impl Slot {
    fn new(device: &wgpu::Device) -> Self {
        let size = u64::from(QUERIES_PER_SLOT) * 8;
        Self {
            queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("backdrop_gpu_times"),
                ty: wgpu::QueryType::Timestamp,
                count: QUERIES_PER_SLOT,
            }),
            resolve: device.create_buffer(&BufferDescriptor {
                label: Some("backdrop_gpu_times_resolve"),
                size,
                usage: BufferUsages::QUERY_RESOLVE | BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
            read: device.create_buffer(&BufferDescriptor {
                label: Some("backdrop_gpu_times_read"),
                size,
                usage: BufferUsages::COPY_DST | BufferUsages::MAP_READ,
                mapped_at_creation: false,
            }),
            used: 0,
            spans: Vec::new(),
            state: Arc::new(AtomicU8::new(PENDING)),
        }
    }

    fn clear(&mut self) {
        self.used = 0;
        self.spans.clear();
        self.state.store(PENDING, Ordering::Release);
    }
}

/// The render world's timer; absent where the device has no timestamp queries.
#[derive(Resource)]
pub struct ChainGpuTimer {
    /// Nanoseconds per timestamp tick.
    period_ns: f32,
    free: Vec<Slot>,
    /// The slot of the view whose chain is being encoded.
    current: Option<Slot>,
    /// Slots submitted, waiting to be mapped.
    pending: Vec<Slot>,
    created: usize,
    inbox: GpuTimesInbox,
}

impl ChainGpuTimer {
    /// Slots made since the app started (never more than [`MAX_SLOTS`]).
    pub fn slots_created(&self) -> usize {
        self.created
    }

    /// Timestamp writes for the next pass of `span`, or `None` when this render is not timed.
    pub(crate) fn writes(
        &mut self,
        span: &'static str,
    ) -> Option<wgpu::RenderPassTimestampWrites<'_>> {
        let (query_set, begin) = self.next_pair(span)?;
        Some(wgpu::RenderPassTimestampWrites {
            query_set,
            beginning_of_pass_write_index: Some(begin),
            end_of_pass_write_index: Some(begin + 1),
        })
    }

    /// The same for a compute pass of `span` (the gpu segmentation backend's).
    pub(crate) fn compute_writes(
        &mut self,
        span: &'static str,
    ) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        let (query_set, begin) = self.next_pair(span)?;
        Some(wgpu::ComputePassTimestampWrites {
            query_set,
            beginning_of_pass_write_index: Some(begin),
            end_of_pass_write_index: Some(begin + 1),
        })
    }

    /// Two queries of the current slot for a pass of `span` (a span's passes run back to back:
    /// it lasts from its first pass's start to its last pass's end).
    fn next_pair(&mut self, span: &'static str) -> Option<(&wgpu::QuerySet, u32)> {
        let slot = self.current.as_mut()?;
        if slot.used + 2 > QUERIES_PER_SLOT {
            return None;
        }
        let begin = slot.used;
        slot.used += 2;
        match slot.spans.last_mut() {
            Some((last, _, end)) if *last == span => *end = begin + 1,
            _ => slot.spans.push((span, begin, begin + 1)),
        }
        Some((&slot.queries, begin))
    }
}

fn init_timer(
    mut commands: Commands,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    inbox: Res<GpuTimesInbox>,
) {
    if !device.features().contains(WgpuFeatures::TIMESTAMP_QUERY) {
        info!("the GPU has no timestamp queries: the chain's GPU ms are n/a");
        return;
    }
    commands.insert_resource(ChainGpuTimer {
        period_ns: queue.get_timestamp_period(),
        free: Vec::new(),
        current: None,
        pending: Vec::new(),
        created: 0,
        inbox: inbox.clone(),
    });
}

/// Before a chain view's first pass: a slot for its passes, if one is free or may be made.
fn begin_view(
    _view: ViewQuery<&ChainIo>,
    timer: Option<ResMut<ChainGpuTimer>>,
    device: Res<RenderDevice>,
) {
    let Some(mut timer) = timer else {
        return;
    };
    let timer = &mut *timer;
    if let Some(mut left) = timer.current.take() {
        // A view whose chain ended early: its queries were never resolved.
        left.clear();
        timer.free.push(left);
    }
    timer.current = timer.free.pop().or_else(|| {
        (timer.created < MAX_SLOTS).then(|| {
            timer.created += 1;
            Slot::new(device.wgpu_device())
        })
    });
}

/// After a chain view's composite: its timestamps resolved and copied, the copy mapped when the
/// commands are submitted.
fn end_view(
    _view: ViewQuery<&ChainIo>,
    timer: Option<ResMut<ChainGpuTimer>>,
    mut ctx: RenderContext,
) {
    let Some(mut timer) = timer else {
        return;
    };
    let Some(slot) = timer.current.take() else {
        return;
    };
    if slot.used == 0 {
        timer.free.push(slot);
        return;
    }
    let encoder = ctx.command_encoder();
    encoder.resolve_query_set(&slot.queries, 0..slot.used, &slot.resolve, 0);
    let bytes = u64::from(slot.used) * 8;
    encoder.copy_buffer_to_buffer(&slot.resolve, 0, &slot.read, 0, Some(bytes));
    let state = slot.state.clone();
    encoder.map_buffer_on_submit(&slot.read, MapMode::Read, ..bytes, move |result| {
        state.store(
            if result.is_ok() { READY } else { FAILED },
            Ordering::Release,
        );
    });
    timer.pending.push(slot);
}

/// Each render: the slots the GPU has finished become ms per span for the main world.
fn collect(timer: Option<ResMut<ChainGpuTimer>>) {
    let Some(mut timer) = timer else {
        return;
    };
    let timer = &mut *timer;
    let mut index = 0;
    while index < timer.pending.len() {
        let state = timer.pending[index].state.load(Ordering::Acquire);
        if state == PENDING {
            index += 1;
            continue;
        }
        let mut slot = timer.pending.swap_remove(index);
        if state == READY {
            let times = read_spans(&slot, timer.period_ns);
            slot.read.unmap();
            let mut inbox = timer.inbox.0.lock().unwrap_or_else(|e| e.into_inner());
            if inbox.len() + times.len() <= INBOX_CAPACITY {
                inbox.extend(times);
            }
        }
        slot.clear();
        timer.free.push(slot);
    }
}

/// GPU ms per span of a mapped slot (a span that ran twice in one view counts once, summed).
fn read_spans(slot: &Slot, period_ns: f32) -> Vec<(&'static str, f64)> {
    let bytes = u64::from(slot.used) * 8;
    let data = slot.read.slice(..bytes).get_mapped_range();
    let ticks: Vec<u64> = data
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    drop(data);
    let mut out: Vec<(&'static str, f64)> = Vec::new();
    for &(span, begin, end) in &slot.spans {
        let elapsed = ticks[end as usize].saturating_sub(ticks[begin as usize]);
        let ms = elapsed as f64 * f64::from(period_ns) / 1e6;
        match out.iter_mut().find(|(s, _)| *s == span) {
            Some((_, sum)) => *sum += ms,
            None => out.push((span, ms)),
        }
    }
    out
}

/// Each span's diagnostic path, made once.
struct SpanPaths(Vec<(&'static str, DiagnosticPath)>);

impl Default for SpanPaths {
    fn default() -> Self {
        Self(
            GPU_SPANS
                .iter()
                .map(|(_, span)| (*span, gpu_ms_path(span)))
                .collect(),
        )
    }
}

/// The render world's measurements into `Diagnostics`.
fn publish(inbox: Res<GpuTimesInbox>, mut diagnostics: Diagnostics, paths: Local<SpanPaths>) {
    let taken = std::mem::take(&mut *inbox.0.lock().unwrap_or_else(|e| e.into_inner()));
    for (span, ms) in taken {
        if let Some((_, path)) = paths.0.iter().find(|(s, _)| *s == span) {
            diagnostics.add_measurement(path, || ms);
        }
    }
}
