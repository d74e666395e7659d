//! Motion-aware temporal smoothing of the decoded mask at model resolution
//! (`shaders/temporal.wgsl`), before the refine upsamples it. The history is an `Rgba16Float`
//! texture pair owned by the view (8 bits would make an exponential average stick): the colour
//! over each model pixel at the last update (the motion reference) and the smoothed mask, i.e. a
//! guide the refine reads in place of the decoded one. Updated once per new mask, reset when the
//! mask's or the frame's size changes. Not in the reference demo (`smoothing: 0` reproduces it).

mod pipeline;
mod reference;
mod settings;

pub use reference::*;
pub use settings::*;

use bevy::prelude::*;
use bevy::render::render_resource::{
    Extent3d, LoadOp, Operations, RenderPassColorAttachment, RenderPassDescriptor, StoreOp,
    TextureView, TextureViewDescriptor,
};
use bevy::render::renderer::{RenderContext, RenderDevice};
use bevy::render::{Render, RenderApp, RenderSystems};

use crate::effects::chain::{
    ChainPass, ChainPasses, ChainTextures, ChainViewQuery, GUIDE_FORMAT, KEEP_UNUSED_RENDERS,
    StageParams, add_stage, stage_texture,
};
use pipeline::TemporalPipeline;

/// The pass's time span in render diagnostics.
pub const SPAN: &str = "backdrop_temporal";

/// The stage on the chain cameras: its shader, pipeline, pass and the views' histories.
pub struct TemporalPlugin;

impl Plugin for TemporalPlugin {
    fn build(&self, app: &mut App) {
        add_stage::<TemporalPipeline, _>(
            app,
            include_bytes!("../../../shaders/temporal.wgsl"),
            temporal_pass.in_set(ChainPass::Temporal),
        );
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app
                .init_resource::<TemporalHistories>()
                .add_systems(Render, drop_unused_histories.in_set(RenderSystems::Cleanup));
        }
    }
}

/// A view's temporal history: two (colour, smoothed mask) textures at model resolution,
/// ping-ponged; owned here (not the texture cache) because they must be the same textures next
/// frame.
struct TemporalState {
    /// The mask's size (the textures') and the frame's: either changing resets the history.
    size: (Extent3d, Extent3d),
    histories: [TextureView; 2],
    /// Which of the pairs holds the latest history.
    current: usize,
    /// The upload number of the mask the history last took in.
    last_mask: Option<u64>,
    /// The [`crate::effects::TemporalReset`] generation the history belongs to.
    generation: u64,
    /// Textures are new: the history must be cleared to "none" (−1) before use.
    fresh: bool,
    /// Renders since the view last ran the pass.
    unused: u32,
}

/// Histories by view entity (render world).
#[derive(Resource, Default)]
pub(crate) struct TemporalHistories(bevy::platform::collections::HashMap<Entity, TemporalState>);

impl TemporalHistories {
    /// The guide the refine reads: the smoothed history when temporal runs, else the decoded.
    pub fn guide_for<'a>(
        &'a self,
        entity: Entity,
        passes: &ChainPasses,
        textures: &'a ChainTextures,
    ) -> &'a TextureView {
        match self.0.get(&entity) {
            Some(state) if passes.temporal && state.last_mask.is_some() => {
                &state.histories[state.current]
            }
            _ => &textures.guide,
        }
    }
}

/// Drops the histories of views that stopped rendering (the split view's chain B switched off).
fn drop_unused_histories(mut histories: ResMut<TemporalHistories>) {
    histories.0.retain(|_, state| {
        state.unused += 1;
        state.unused <= KEEP_UNUSED_RENDERS
    });
}

fn new_temporal_state(device: &RenderDevice, size: (Extent3d, Extent3d)) -> TemporalState {
    let texture = |label| {
        device
            .create_texture(&stage_texture(label, size.0, GUIDE_FORMAT))
            .create_view(&TextureViewDescriptor::default())
    };
    TemporalState {
        size,
        histories: [
            texture("backdrop_temporal_history_a"),
            texture("backdrop_temporal_history_b"),
        ],
        current: 0,
        last_mask: None,
        generation: 0,
        fresh: true,
        unused: 0,
    }
}

/// Once per new mask: the decoded mask into the view's history, weighted by how still the frame
/// is since the last update.
fn temporal_pass(
    view: ChainViewQuery<TemporalPipeline>,
    mut stage: StageParams,
    mut histories: ResMut<TemporalHistories>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (io, textures, pipelines, passes, index) = view.into_inner();
    if !passes.temporal {
        histories.0.remove(&entity);
        return;
    }
    let (generation, mask_number) = (stage.mask.2, stage.mask.1);
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let size = (textures.guide_size, io.frame_size);
    let state = histories
        .0
        .entry(entity)
        .or_insert_with(|| new_temporal_state(ctx.render_device(), size));
    state.unused = 0;
    if state.size != size || state.generation != generation {
        // A new mask or frame size, or a reset asked for: the old history means nothing here.
        *state = new_temporal_state(ctx.render_device(), size);
        state.generation = generation;
    }
    if state.fresh {
        ctx.command_encoder()
            .begin_render_pass(&RenderPassDescriptor {
                label: Some("backdrop_temporal_reset"),
                color_attachments: &[Some(RenderPassColorAttachment {
                    view: &state.histories[state.current],
                    depth_slice: None,
                    resolve_target: None,
                    ops: Operations {
                        load: LoadOp::Clear(LinearRgba::new(0.0, 0.0, 0.0, -1.0).into()),
                        store: StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
        state.fresh = false;
    }
    // Once per new mask: between masks the history stands.
    if state.last_mask == Some(mask_number) {
        return;
    }
    let (now, next) = (state.current, 1 - state.current);
    let mut drawn = false;
    pass.timed(&mut ctx, SPAN, |pass, ctx| {
        let (guide, history) = (&textures.guide, &state.histories[now]);
        drawn = pass.draw_to(
            ctx,
            "backdrop_temporal",
            pipelines.ids[0],
            [guide, history, guide, guide],
            &[&state.histories[next]],
        );
    });
    // A pipeline still compiling drew nothing: the history stands, and the next render tries
    // again (advancing would hand an unwritten texture to the later stages).
    if drawn {
        state.current = next;
        state.last_mask = Some(mask_number);
    }
}
