//! The GPU side the stages share: one uniform per chain view (derived from [`BackdropSettings`]
//! at extract time), the view's intermediate textures, one bind-group layout (three textures, a
//! linear sampler, the uniform), pipelines specialised per stage and target format, and the
//! render systems in the chain camera's `Core2d` post-process set.

use bevy::core_pipeline::schedule::Core2d;
use bevy::core_pipeline::tonemapping::tonemapping;
use bevy::core_pipeline::{Core2dSystems, FullscreenShader};
use bevy::prelude::*;
use bevy::render::diagnostic::RecordDiagnostics;
use bevy::render::extract_component::{
    ComponentUniforms, DynamicUniformIndex, UniformComponentPlugin,
};
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::binding_types::{sampler, texture_2d, uniform_buffer};
use bevy::render::render_resource::*;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::sync_world::RenderEntity;
use bevy::render::texture::{GpuImage, TextureCache};
use bevy::render::view::{ExtractedView, ViewTarget};
use bevy::render::{Extract, ExtractSchedule, Render, RenderApp, RenderStartup, RenderSystems};
use bevy::shader::ShaderDefVal;

use super::background::BackgroundPicture;
use super::blur::{BlurPlan, half_size};
use super::composite::{Background, BackgroundKind, WrapMode};
use super::{BackdropSettings, ChainCamera, ChainView, TemporalReset};
use crate::inference::{CurrentMask, OutputKind};

pub struct ChainRenderPlugin;

/// A choice between code paths of a stage's shader, made as a pipeline specialisation: each value
/// is one shader def (`VIEW_DECODED_MASK`, `BACKGROUND_BLUR`, …) that the WGSL tests with
/// `#ifdef`. The Rust enum is the only list of the values; a test reads each shader and fails
/// when the WGSL and the enum drift apart.
pub trait ShaderChoice: Copy + 'static {
    /// Every value.
    const ALL: &'static [Self];
    /// The shader file (in `shaders/`) that makes the choice.
    const SHADER: &'static str;
    /// What every value's def starts with.
    const PREFIX: &'static str;
    fn shader_def(self) -> &'static str;
}

/// The per-view uniform every stage binds (layout mirrors `shaders/chain.wgsl`): what the render
/// world holds for a chain camera, derived from its [`super::BackdropSettings`] at extract. Only
/// continuous values: every choice between code paths is a pipeline specialisation.
#[derive(Component, Clone, Copy, Debug, Default, ShaderType)]
pub struct ChainUniform {
    pub background_color: Vec4,
    pub sigma_space: f32,
    pub sigma_color: f32,
    pub blur_sigma: f32,
    pub coverage_low: f32,
    pub coverage_high: f32,
    pub wrap_strength: f32,
    pub temporal_smoothing: f32,
    pub temporal_sensitivity: f32,
}

/// The choices between code paths a view's shaders make, as pipeline specialisations (shader
/// defs) rather than branches or loop bounds on uniform values. Besides sparing every GPU the
/// branches, this keeps Mesa's lavapipe from leaking: it re-compiles a shader whose control flow
/// depends on uniform values alone, with the values inlined, each time the pipeline is bound, and
/// never frees the copies (Mesa 22.3, Debian 12's: ~0.7 MB and a shader compile per frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ShaderModes {
    /// Mask decode: how the raw output decodes.
    output_kind: OutputKind,
    /// Composite: what the chain shows.
    view: ChainView,
    /// Composite: what is behind the person.
    background: BackgroundKind,
    /// Composite: the light wrap's blend.
    wrap_mode: WrapMode,
    /// Blur `BLUR_TAPS`: taps each side of one pass (0 without a blur).
    blur_taps: u32,
}

impl Default for ShaderModes {
    /// The values a stage that does not make a choice is keyed on (so those share a pipeline).
    fn default() -> Self {
        Self {
            output_kind: OutputKind::Probability,
            view: ChainView::Final,
            background: BackgroundKind::None,
            wrap_mode: WrapMode::Screen,
            blur_taps: 0,
        }
    }
}

/// Which passes a view runs this frame, and how.
#[derive(Component, Clone, Copy, Debug)]
struct ChainPasses {
    modes: ShaderModes,
    /// Blur pass pairs (0: no blur).
    blur_iterations: u32,
    /// The composite shows the decoded mask (it binds that texture instead of the blur).
    shows_decoded: bool,
    /// False when the settings leave the frame as it is (no background, final view): then no
    /// pass runs at all.
    active: bool,
    /// Temporal smoothing runs (smoothing > 0).
    temporal: bool,
}

/// The raw model mask this frame (none before the first mask: the chain passes the frame through),
/// with its upload number (a new number is a new mask), and the temporal reset generation.
#[derive(Resource, Default)]
struct ExtractedMask(Option<AssetId<Image>>, u64, u64);

/// A view's background picture this frame (image or the current video frame), if one is loaded.
#[derive(Component, Clone, Copy, Default)]
struct ExtractedPicture(Option<AssetId<Image>>);

impl Plugin for ChainRenderPlugin {
    fn build(&self, app: &mut App) {
        for (name, bytes) in SHADERS {
            crate::shaders::register_shader(app, name, bytes);
        }
        // The shared import must stay loaded for the stages' shaders to resolve it.
        let library: Handle<Shader> = app
            .world()
            .resource::<AssetServer>()
            .load(crate::shaders::shader_asset_path("chain.wgsl"));
        std::mem::forget(library);

        app.add_plugins(UniformComponentPlugin::<ChainUniform>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .init_resource::<ExtractedMask>()
            .init_resource::<TemporalHistories>()
            .init_resource::<ChainBindGroups>()
            .init_resource::<SpecializedRenderPipelines<ChainPipelines>>()
            .add_systems(RenderStartup, init_pipelines)
            .add_systems(ExtractSchedule, extract_chains)
            .add_systems(
                Render,
                (
                    prepare_pipelines.in_set(RenderSystems::Prepare),
                    prepare_textures.in_set(RenderSystems::PrepareResources),
                    drop_unused.in_set(RenderSystems::Cleanup),
                ),
            )
            .add_systems(
                Core2d,
                (
                    decode_pass,
                    bilateral_pass,
                    temporal_pass,
                    blur_passes,
                    composite_pass,
                )
                    .chain()
                    .after(tonemapping)
                    .in_set(Core2dSystems::PostProcess),
            );
    }
}

const SHADERS: [(&str, &[u8]); 6] = [
    ("chain.wgsl", include_bytes!("../../shaders/chain.wgsl")),
    (
        "mask_decode.wgsl",
        include_bytes!("../../shaders/mask_decode.wgsl"),
    ),
    (
        "bilateral.wgsl",
        include_bytes!("../../shaders/bilateral.wgsl"),
    ),
    (
        "temporal.wgsl",
        include_bytes!("../../shaders/temporal.wgsl"),
    ),
    ("blur.wgsl", include_bytes!("../../shaders/blur.wgsl")),
    (
        "composite.wgsl",
        include_bytes!("../../shaders/composite.wgsl"),
    ),
];

fn extract_chains(
    mut commands: Commands,
    mut extracted_mask: ResMut<ExtractedMask>,
    mask: Extract<Option<Res<CurrentMask>>>,
    picture: Extract<Option<Res<BackgroundPicture>>>,
    reset: Extract<Option<Res<TemporalReset>>>,
    chains: Extract<Query<(RenderEntity, &BackdropSettings), With<ChainCamera>>>,
) {
    let picture_for = |background: &Background| {
        picture
            .as_ref()
            .and_then(|p| p.ready(background).map(|h| h.id()))
    };
    let current = mask
        .as_ref()
        .and_then(|m| m.mask.as_ref().map(|mask| (m.image.id(), mask.kind)));
    extracted_mask.0 = current.map(|(id, _)| id);
    extracted_mask.1 = mask
        .as_ref()
        .and_then(|m| m.mask.as_ref().map(|mask| mask.frame_seq))
        .unwrap_or(0);
    extracted_mask.2 = reset.as_ref().map_or(0, |r| r.0);
    let kind = current.map_or(OutputKind::Probability, |(_, kind)| kind);
    for (entity, settings) in &chains {
        let settings = match settings.validate() {
            Ok(()) => settings.clone(),
            Err(why) => {
                warn_once!("effects: {why}; using the default settings");
                BackdropSettings::default()
            }
        };
        if settings.blur.radius > super::blur::MAX_RADIUS {
            warn_once!(
                "effects: blur radius {} px is wider than the blur renders; drawn at {} px",
                settings.blur.radius,
                super::blur::MAX_RADIUS
            );
        }
        let own_picture = picture_for(&settings.composite.background);
        let plan = BlurPlan::for_radius(settings.blur.radius);
        let wants_blur = settings.composite.background == Background::Blur
            || settings.view == ChainView::BlurredBackground;
        let plan = plan.filter(|_| wants_blur);
        let (background, colour) = match &settings.composite.background {
            Background::None => (BackgroundKind::None, Vec4::ZERO),
            Background::Blur if plan.is_some() => (BackgroundKind::Blur, Vec4::ZERO),
            Background::Blur => (BackgroundKind::None, Vec4::ZERO),
            Background::Color(c) => (
                BackgroundKind::Color,
                Vec4::new(c.red, c.green, c.blue, 1.0),
            ),
            Background::Image(_) | Background::Video(_) if own_picture.is_some() => {
                (BackgroundKind::Picture, Vec4::ZERO)
            }
            // The picture is not there (yet, or it failed to load): leave the frame as it is.
            Background::Image(_) | Background::Video(_) => (BackgroundKind::None, Vec4::ZERO),
        };
        let (view, background) = match settings.view {
            // Without a blur, the "blurred" background is the frame itself.
            ChainView::BlurredBackground if plan.is_none() => {
                (ChainView::Final, BackgroundKind::None)
            }
            view => (view, background),
        };
        commands.entity(entity).insert((
            ChainUniform {
                background_color: colour,
                sigma_space: settings.bilateral.sigma_space,
                sigma_color: settings.bilateral.sigma_color,
                blur_sigma: plan.map_or(1.0, |p| p.sigma),
                coverage_low: settings.composite.coverage.0,
                coverage_high: settings.composite.coverage.1,
                wrap_strength: settings.composite.light_wrap.strength,
                temporal_smoothing: settings.temporal.smoothing,
                temporal_sensitivity: settings.temporal.motion_sensitivity,
            },
            ExtractedPicture(own_picture),
            ChainPasses {
                modes: ShaderModes {
                    output_kind: kind,
                    view,
                    background,
                    wrap_mode: settings.composite.light_wrap.mode,
                    blur_taps: plan.map_or(0, |p| p.taps as u32),
                },
                blur_iterations: plan.map_or(0, |p| p.iterations),
                shows_decoded: settings.view == ChainView::DecodedMask,
                active: view != ChainView::Final || background != BackgroundKind::None,
                temporal: settings.temporal.smoothing > 0.0,
            },
        ));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stage {
    Decode,
    Bilateral,
    Temporal,
    BlurFromFrame,
    BlurHorizontal,
    BlurVertical,
    Composite,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ChainPipelineKey {
    stage: Stage,
    format: TextureFormat,
    /// Only the modes the stage's shader reads (the others are left at their defaults, so views
    /// that differ elsewhere share the pipeline).
    modes: ShaderModes,
}

impl Stage {
    /// The part of `modes` this stage's shader is specialised on.
    fn modes(self, modes: ShaderModes) -> ShaderModes {
        let none = ShaderModes::default();
        match self {
            Stage::Decode => ShaderModes {
                output_kind: modes.output_kind,
                ..none
            },
            Stage::Bilateral | Stage::Temporal => none,
            Stage::BlurFromFrame | Stage::BlurHorizontal | Stage::BlurVertical => ShaderModes {
                blur_taps: modes.blur_taps,
                ..none
            },
            Stage::Composite => ShaderModes {
                view: modes.view,
                background: modes.background,
                wrap_mode: modes.wrap_mode,
                ..none
            },
        }
    }
}

#[derive(Resource)]
struct ChainPipelines {
    layout: BindGroupLayoutDescriptor,
    sampler: Sampler,
    fullscreen_shader: FullscreenShader,
    decode: Handle<Shader>,
    bilateral: Handle<Shader>,
    temporal: Handle<Shader>,
    blur: Handle<Shader>,
    composite: Handle<Shader>,
}

const MASK_FORMAT: TextureFormat = TextureFormat::R16Float;
const BLUR_FORMAT: TextureFormat = TextureFormat::Rgba16Float;

fn init_pipelines(
    mut commands: Commands,
    render_device: Res<RenderDevice>,
    fullscreen_shader: Res<FullscreenShader>,
    asset_server: Res<AssetServer>,
) {
    let texture = || texture_2d(TextureSampleType::Float { filterable: true });
    let layout = BindGroupLayoutDescriptor::new(
        "backdrop_chain_layout",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::FRAGMENT,
            (
                texture(),
                texture(),
                texture(),
                texture(),
                sampler(SamplerBindingType::Filtering),
                uniform_buffer::<ChainUniform>(true),
            ),
        ),
    );
    let sampler = render_device.create_sampler(&SamplerDescriptor {
        label: Some("backdrop_chain_linear_clamp"),
        mag_filter: FilterMode::Linear,
        min_filter: FilterMode::Linear,
        ..default()
    });
    let load = |name: &str| asset_server.load(crate::shaders::shader_asset_path(name));
    commands.insert_resource(ChainPipelines {
        layout,
        sampler,
        fullscreen_shader: fullscreen_shader.clone(),
        decode: load("mask_decode.wgsl"),
        bilateral: load("bilateral.wgsl"),
        temporal: load("temporal.wgsl"),
        blur: load("blur.wgsl"),
        composite: load("composite.wgsl"),
    });
}

impl SpecializedRenderPipeline for ChainPipelines {
    type Key = ChainPipelineKey;

    fn specialize(&self, key: ChainPipelineKey) -> RenderPipelineDescriptor {
        let modes = key.modes;
        let taps = || ShaderDefVal::Int("BLUR_TAPS".into(), modes.blur_taps as i32);
        let (shader, shader_defs): (_, Vec<ShaderDefVal>) = match key.stage {
            Stage::Decode => (
                self.decode.clone(),
                vec![modes.output_kind.shader_def().into()],
            ),
            Stage::Bilateral => (self.bilateral.clone(), vec![]),
            Stage::Temporal => (self.temporal.clone(), vec![]),
            Stage::BlurFromFrame => (self.blur.clone(), vec!["FROM_FRAME".into(), taps()]),
            Stage::BlurHorizontal => (self.blur.clone(), vec![taps()]),
            Stage::BlurVertical => (self.blur.clone(), vec!["VERTICAL".into(), taps()]),
            Stage::Composite => (
                self.composite.clone(),
                vec![
                    modes.view.shader_def().into(),
                    modes.background.shader_def().into(),
                    modes.wrap_mode.shader_def().into(),
                ],
            ),
        };
        RenderPipelineDescriptor {
            label: Some(format!("backdrop_chain_{:?}", key.stage).into()),
            layout: vec![self.layout.clone()],
            vertex: self.fullscreen_shader.to_vertex_state(),
            fragment: Some(FragmentState {
                shader,
                shader_defs,
                targets: {
                    let target = |format| {
                        Some(ColorTargetState {
                            format,
                            blend: None,
                            write_mask: ColorWrites::ALL,
                        })
                    };
                    match key.stage {
                        // The smoothed mask and a copy of the frame.
                        Stage::Temporal => vec![target(MASK_FORMAT), target(key.format)],
                        _ => vec![target(key.format)],
                    }
                },
                ..default()
            }),
            ..default()
        }
    }
}

/// The pipelines a view uses.
#[derive(Component)]
struct ChainPipelineIds {
    decode: CachedRenderPipelineId,
    bilateral: CachedRenderPipelineId,
    temporal: CachedRenderPipelineId,
    blur_from_frame: CachedRenderPipelineId,
    blur_horizontal: CachedRenderPipelineId,
    blur_vertical: CachedRenderPipelineId,
    composite: CachedRenderPipelineId,
}

fn prepare_pipelines(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    mut specialized: ResMut<SpecializedRenderPipelines<ChainPipelines>>,
    pipelines: Res<ChainPipelines>,
    views: Query<(Entity, &ExtractedView, &ChainPasses)>,
) {
    for (entity, view, passes) in &views {
        let mut get = |stage: Stage, format| {
            let modes = stage.modes(passes.modes);
            specialized.specialize(
                &cache,
                &pipelines,
                ChainPipelineKey {
                    stage,
                    format,
                    modes,
                },
            )
        };
        let ids = ChainPipelineIds {
            decode: get(Stage::Decode, MASK_FORMAT),
            bilateral: get(Stage::Bilateral, MASK_FORMAT),
            temporal: get(Stage::Temporal, view.target_format),
            blur_from_frame: get(Stage::BlurFromFrame, BLUR_FORMAT),
            blur_horizontal: get(Stage::BlurHorizontal, BLUR_FORMAT),
            blur_vertical: get(Stage::BlurVertical, BLUR_FORMAT),
            composite: get(Stage::Composite, view.target_format),
        };
        commands.entity(entity).insert(ids);
    }
}

/// A view's intermediate textures, from the texture cache.
#[derive(Component)]
struct ChainTextures {
    decoded: TextureView,
    refined: TextureView,
    blur_a: TextureView,
    blur_b: TextureView,
}

/// A texture a stage renders into and a later stage samples.
fn stage_texture(
    label: &'static str,
    size: Extent3d,
    format: TextureFormat,
) -> TextureDescriptor<'static> {
    TextureDescriptor {
        label: Some(label),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: TextureDimension::D2,
        format,
        usage: TextureUsages::RENDER_ATTACHMENT | TextureUsages::TEXTURE_BINDING,
        view_formats: &[],
    }
}

fn prepare_textures(
    mut commands: Commands,
    mut cache: ResMut<TextureCache>,
    device: Res<RenderDevice>,
    mask: Res<ExtractedMask>,
    images: Res<RenderAssets<GpuImage>>,
    views: Query<(Entity, &ViewTarget), With<ChainUniform>>,
) {
    let Some(raw) = mask.0.and_then(|id| images.get(id)) else {
        return;
    };
    let mut texture = |label: &'static str, width: u32, height: u32, format| {
        let size = Extent3d {
            width: width.max(1),
            height: height.max(1),
            depth_or_array_layers: 1,
        };
        cache
            .get(&device, stage_texture(label, size, format))
            .default_view
    };
    for (entity, target) in &views {
        let size = target.main_texture().size();
        let (hw, hh) = half_size(size.width, size.height);
        let textures = ChainTextures {
            decoded: texture(
                "backdrop_decoded_mask",
                raw.texture_descriptor.size.width,
                raw.texture_descriptor.size.height,
                MASK_FORMAT,
            ),
            refined: texture(
                "backdrop_refined_mask",
                size.width,
                size.height,
                MASK_FORMAT,
            ),
            blur_a: texture("backdrop_blur_a", hw, hh, BLUR_FORMAT),
            blur_b: texture("backdrop_blur_b", hw, hh, BLUR_FORMAT),
        };
        commands.entity(entity).insert(textures);
    }
}

/// Runs `draw` inside a render-diagnostics time span named `span` (CPU time always, GPU time
/// where the adapter has timestamp queries). Does nothing extra without `RenderDiagnosticsPlugin`.
fn timed(ctx: &mut RenderContext, span: &'static str, draw: impl FnOnce(&mut RenderContext)) {
    let recorder = ctx.diagnostic_recorder();
    let recorder = recorder.as_deref();
    let time_span = recorder.time_span(ctx.command_encoder(), span);
    draw(ctx);
    time_span.end(ctx.command_encoder());
}

/// Renders a cached bind group or temporal history survives unused. A resize or a new mask size
/// leaves old bind groups (and, through them, old textures) behind for this long; a model that
/// stalls leaves the temporal history unflipped, and the bind groups of its other half must
/// survive that without being made again.
const KEEP_UNUSED_RENDERS: u32 = 16;

/// What a chain bind group binds: the four input textures and the uniform buffer (one layout
/// and one sampler serve every stage).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct BindGroupKey {
    inputs: [TextureViewId; 4],
    uniform: BufferId,
}

/// The chain's bind groups by what they bind (a render-world resource). A view binds the same
/// textures render after render, so after the first renders none is created; entries unused for
/// a few renders (a resize, a new mask size, a view gone) are dropped.
#[derive(Resource, Default)]
pub struct ChainBindGroups {
    /// Bind group and renders since it was last used.
    groups: bevy::platform::collections::HashMap<BindGroupKey, (BindGroup, u32)>,
    created: u64,
}

impl ChainBindGroups {
    /// Bind groups held now.
    pub fn live(&self) -> usize {
        self.groups.len()
    }

    /// Bind groups created since the app started.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// The bind group for `inputs` and `uniform`; `layout` is only asked for when one is made.
    fn get_or_create(
        &mut self,
        device: &RenderDevice,
        layout: impl FnOnce() -> BindGroupLayout,
        sampler: &Sampler,
        inputs: [&TextureView; 4],
        uniform: (&Buffer, BindingResource<'_>),
    ) -> &BindGroup {
        let key = BindGroupKey {
            inputs: inputs.map(|view| view.id()),
            uniform: uniform.0.id(),
        };
        let created = &mut self.created;
        let (group, unused) = self.groups.entry(key).or_insert_with(|| {
            *created += 1;
            let group = device.create_bind_group(
                "backdrop_chain_bind_group",
                &layout(),
                &BindGroupEntries::sequential((
                    inputs[0], inputs[1], inputs[2], inputs[3], sampler, uniform.1,
                )),
            );
            (group, 0)
        });
        *unused = 0;
        group
    }
}

/// Once per render: drops cached bind groups and temporal histories that were not used for a few
/// renders (a view that went away, such as the split view's chain B switched off, or sizes that
/// are gone), so what the chain holds follows what it shows.
fn drop_unused(mut bind_groups: ResMut<ChainBindGroups>, mut histories: ResMut<TemporalHistories>) {
    bind_groups.groups.retain(|_, (_, unused)| {
        *unused += 1;
        *unused <= KEEP_UNUSED_RENDERS
    });
    histories.0.retain(|_, state| {
        state.unused += 1;
        state.unused <= KEEP_UNUSED_RENDERS
    });
}

/// Everything a stage's pass needs, gathered once per pass.
struct PassContext<'a> {
    pipelines: &'a ChainPipelines,
    cache: &'a PipelineCache,
    bind_groups: &'a mut ChainBindGroups,
    uniform: (&'a Buffer, BindingResource<'a>),
    offset: u32,
}

impl PassContext<'_> {
    /// One fullscreen triangle of `pipeline` into `target`, reading `inputs`.
    fn draw(
        &mut self,
        ctx: &mut RenderContext,
        label: &'static str,
        pipeline: CachedRenderPipelineId,
        inputs: [&TextureView; 4],
        target: &TextureView,
    ) {
        self.draw_to(ctx, label, pipeline, inputs, &[target]);
    }

    /// Like `draw`, into several targets (one per fragment output). False when the pipeline is
    /// not compiled yet and nothing was drawn.
    fn draw_to(
        &mut self,
        ctx: &mut RenderContext,
        label: &'static str,
        pipeline: CachedRenderPipelineId,
        inputs: [&TextureView; 4],
        targets: &[&TextureView],
    ) -> bool {
        let Some(pipeline) = self.cache.get_render_pipeline(pipeline) else {
            return false;
        };
        let bind_group = self.bind_groups.get_or_create(
            ctx.render_device(),
            || self.cache.get_bind_group_layout(&self.pipelines.layout),
            &self.pipelines.sampler,
            inputs,
            (self.uniform.0, self.uniform.1.clone()),
        );
        let attachments: Vec<_> = targets
            .iter()
            .map(|view| {
                Some(RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: Operations::default(),
                })
            })
            .collect();
        let mut pass = ctx
            .command_encoder()
            .begin_render_pass(&RenderPassDescriptor {
                label: Some(label),
                color_attachments: &attachments,
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[self.offset]);
        pass.draw(0..3, 0..1);
        true
    }
}

type ChainViewQuery<'w, 's> = ViewQuery<
    'w,
    's,
    (
        &'static ViewTarget,
        &'static ChainTextures,
        &'static ChainPipelineIds,
        &'static ChainPasses,
        &'static DynamicUniformIndex<ChainUniform>,
    ),
>;

/// What every stage's system reads besides its view.
#[derive(bevy::ecs::system::SystemParam)]
struct StageParams<'w> {
    pipelines: Res<'w, ChainPipelines>,
    cache: Res<'w, PipelineCache>,
    uniforms: Res<'w, ComponentUniforms<ChainUniform>>,
    mask: Res<'w, ExtractedMask>,
    bind_groups: ResMut<'w, ChainBindGroups>,
}

impl StageParams<'_> {
    /// The pass context, or `None` when the chain does nothing this frame (no mask yet, or
    /// settings that leave the frame as it is).
    fn context(
        &mut self,
        passes: &ChainPasses,
        index: &DynamicUniformIndex<ChainUniform>,
    ) -> Option<PassContext<'_>> {
        if !passes.active || self.mask.0.is_none() {
            return None;
        }
        let uniforms = self.uniforms.uniforms();
        Some(PassContext {
            pipelines: &self.pipelines,
            cache: &self.cache,
            bind_groups: &mut self.bind_groups,
            uniform: (uniforms.buffer()?, uniforms.binding()?),
            offset: index.index(),
        })
    }
}

/// A view's temporal history: two smoothed masks and two frame copies, ping-ponged; owned here
/// (not the texture cache) because they must be the same textures next frame.
struct TemporalState {
    size: Extent3d,
    masks: [TextureView; 2],
    frames: [TextureView; 2],
    /// Which of the pairs holds the latest history.
    current: usize,
    /// The upload number of the mask the history last took in.
    last_mask: Option<u64>,
    /// The [`TemporalReset`] generation the history belongs to.
    generation: u64,
    /// Textures are new: the history must be cleared to "none" (−1) before use.
    fresh: bool,
    /// Renders since the view last ran the pass.
    unused: u32,
}

/// Histories by view entity.
#[derive(Resource, Default)]
struct TemporalHistories(bevy::platform::collections::HashMap<Entity, TemporalState>);

impl TemporalHistories {
    /// The mask the later stages use: the smoothed history when temporal runs, else the refined.
    fn mask_for<'a>(
        &'a self,
        entity: Entity,
        passes: &ChainPasses,
        textures: &'a ChainTextures,
    ) -> &'a TextureView {
        match self.0.get(&entity) {
            Some(state) if passes.temporal && state.last_mask.is_some() => {
                &state.masks[state.current]
            }
            _ => &textures.refined,
        }
    }
}

fn new_temporal_state(
    device: &RenderDevice,
    size: Extent3d,
    frame_format: TextureFormat,
) -> TemporalState {
    let texture = |label, format| {
        device
            .create_texture(&stage_texture(label, size, format))
            .create_view(&TextureViewDescriptor::default())
    };
    TemporalState {
        size,
        masks: [
            texture("backdrop_temporal_mask_a", MASK_FORMAT),
            texture("backdrop_temporal_mask_b", MASK_FORMAT),
        ],
        frames: [
            texture("backdrop_temporal_frame_a", frame_format),
            texture("backdrop_temporal_frame_b", frame_format),
        ],
        current: 0,
        last_mask: None,
        generation: 0,
        fresh: true,
        unused: 0,
    }
}

fn temporal_pass(
    view: ChainViewQuery,
    mut stage: StageParams,
    mut histories: ResMut<TemporalHistories>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (target, textures, ids, passes, index) = view.into_inner();
    if !passes.temporal {
        histories.0.remove(&entity);
        return;
    }
    let (generation, mask_number) = (stage.mask.2, stage.mask.1);
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let frame = target.main_texture_view();
    let size = target.main_texture().size();
    let state = histories.0.entry(entity).or_insert_with(|| {
        new_temporal_state(ctx.render_device(), size, target.main_texture_format())
    });
    state.unused = 0;
    if state.size != size || state.generation != generation {
        // A new frame size, or a reset asked for: the old history means nothing here.
        *state = new_temporal_state(ctx.render_device(), size, target.main_texture_format());
        state.generation = generation;
    }
    if state.fresh {
        ctx.command_encoder()
            .begin_render_pass(&RenderPassDescriptor {
                label: Some("backdrop_temporal_reset"),
                color_attachments: &[Some(RenderPassColorAttachment {
                    view: &state.masks[state.current],
                    depth_slice: None,
                    resolve_target: None,
                    ops: Operations {
                        load: LoadOp::Clear(LinearRgba::new(-1.0, 0.0, 0.0, 1.0).into()),
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
    timed(&mut ctx, super::GPU_SPANS[2].1, |ctx| {
        drawn = pass.draw_to(
            ctx,
            "backdrop_temporal",
            ids.temporal,
            [
                frame,
                &textures.refined,
                &state.masks[now],
                &state.frames[now],
            ],
            &[&state.masks[next], &state.frames[next]],
        );
    });
    // A pipeline still compiling drew nothing: the history stands, and the next render tries
    // again (advancing would hand an unwritten texture to the later stages).
    if drawn {
        state.current = next;
        state.last_mask = Some(mask_number);
    }
}

fn decode_pass(
    view: ChainViewQuery,
    mut stage: StageParams,
    images: Res<RenderAssets<GpuImage>>,
    mut ctx: RenderContext,
) {
    let (_, textures, ids, passes, index) = view.into_inner();
    let Some(raw) = stage.mask.0.and_then(|id| images.get(id)) else {
        return;
    };
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let raw = &raw.texture_view;
    timed(&mut ctx, super::GPU_SPANS[0].1, |ctx| {
        pass.draw(
            ctx,
            "backdrop_mask_decode",
            ids.decode,
            [raw, raw, raw, raw],
            &textures.decoded,
        );
    });
}

fn bilateral_pass(view: ChainViewQuery, mut stage: StageParams, mut ctx: RenderContext) {
    let (target, textures, ids, passes, index) = view.into_inner();
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let frame = target.main_texture_view();
    timed(&mut ctx, super::GPU_SPANS[1].1, |ctx| {
        pass.draw(
            ctx,
            "backdrop_bilateral",
            ids.bilateral,
            [frame, &textures.decoded, &textures.decoded, frame],
            &textures.refined,
        );
    });
}

fn blur_passes(
    view: ChainViewQuery,
    mut stage: StageParams,
    histories: Res<TemporalHistories>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (target, textures, ids, passes, index) = view.into_inner();
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let mask = histories.mask_for(entity, passes, textures);
    let (a, b) = (&textures.blur_a, &textures.blur_b);
    if passes.blur_iterations == 0 {
        return;
    }
    timed(&mut ctx, super::GPU_SPANS[3].1, |ctx| {
        for iteration in 0..passes.blur_iterations {
            let (pipeline, source) = if iteration == 0 {
                (ids.blur_from_frame, target.main_texture_view())
            } else {
                (ids.blur_horizontal, b)
            };
            pass.draw(
                ctx,
                "backdrop_blur_h",
                pipeline,
                [source, mask, mask, mask],
                a,
            );
            pass.draw(
                ctx,
                "backdrop_blur_v",
                ids.blur_vertical,
                [a, mask, mask, mask],
                b,
            );
        }
    });
}

fn composite_pass(
    view: ChainViewQuery,
    mut stage: StageParams,
    histories: Res<TemporalHistories>,
    images: Res<RenderAssets<GpuImage>>,
    pictures: Query<&ExtractedPicture>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let picture = pictures.get(entity).copied().unwrap_or_default();
    let (target, textures, ids, passes, index) = view.into_inner();
    let Some(mut pass) = stage.context(passes, index) else {
        return;
    };
    let third = if passes.shows_decoded {
        &textures.decoded
    } else {
        &textures.blur_b
    };
    let picture = picture
        .0
        .and_then(|id| images.get(id))
        .map(|p| &p.texture_view);
    let post = target.post_process_write();
    let mask = histories.mask_for(entity, passes, textures);
    timed(&mut ctx, super::GPU_SPANS[4].1, |ctx| {
        pass.draw(
            ctx,
            "backdrop_composite",
            ids.composite,
            [post.source, mask, third, picture.unwrap_or(post.source)],
            post.destination,
        );
    });
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The defs a shader tests that start with `prefix` (upper-case words, in code or comments).
    fn defs_in(shader: &str, prefix: &str) -> BTreeSet<String> {
        let (_, bytes) = SHADERS
            .iter()
            .find(|(name, _)| *name == shader)
            .expect("the shader is embedded");
        std::str::from_utf8(bytes)
            .unwrap()
            .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .filter(|word| word.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    }

    /// The shader's defs for a choice are exactly the enum's: a value the WGSL does not handle, or
    /// a def the WGSL tests that no value sets (a typo, a renamed variant), fails here.
    fn matches_its_shader<T: ShaderChoice>() -> Result<(), String> {
        let from_enum: BTreeSet<String> = T::ALL.iter().map(|v| v.shader_def().into()).collect();
        let in_wgsl = defs_in(T::SHADER, T::PREFIX);
        if from_enum == in_wgsl {
            Ok(())
        } else {
            Err(format!(
                "{}: {}* defs in the WGSL {in_wgsl:?}, from the enum {from_enum:?}",
                T::SHADER,
                T::PREFIX
            ))
        }
    }

    #[test]
    fn shader_choices_match_their_enums() {
        matches_its_shader::<ChainView>().unwrap();
        matches_its_shader::<BackgroundKind>().unwrap();
        matches_its_shader::<WrapMode>().unwrap();
        matches_its_shader::<OutputKind>().unwrap();
    }

    /// A choice type whose values the composite does not know: the check must catch it.
    #[derive(Clone, Copy)]
    struct Drifted(&'static str);

    impl ShaderChoice for Drifted {
        const ALL: &'static [Self] = &[Self("VIEW_FINAL"), Self("VIEW_SIDE_BY_SIDE")];
        const SHADER: &'static str = "composite.wgsl";
        const PREFIX: &'static str = "VIEW_";
        fn shader_def(self) -> &'static str {
            self.0
        }
    }

    #[test]
    fn a_drifted_choice_is_caught() {
        let error = matches_its_shader::<Drifted>().unwrap_err();
        assert!(error.contains("VIEW_SIDE_BY_SIDE"), "{error}");
    }
}
