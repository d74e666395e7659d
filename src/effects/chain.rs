//! What the stages share on the GPU: one uniform per chain view (derived from [`BackdropSettings`]
//! at extract time, with the shader choices each stage's pipeline is specialised on), the view's
//! frame-space textures, one bind-group layout (four textures, a linear sampler, the uniform) and
//! its bind-group cache, the shared WGSL import, and the [`ChainPass`] set that orders the
//! stages' passes in the chain camera's `Core2d` post-process set. Each stage's pipeline and pass
//! live in its own folder.

use bevy::camera::CameraOutputMode;
use bevy::core_pipeline::schedule::Core2d;
use bevy::core_pipeline::tonemapping::tonemapping;
use bevy::core_pipeline::{Core2dSystems, FullscreenShader};
use bevy::prelude::*;
use bevy::render::camera::ExtractedCamera;
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
use std::marker::PhantomData;

use super::background::BackgroundPicture;
use super::blur::BlurPlan;
use super::composite::{Background, BackgroundKind, WrapMode};
use super::gpu_time::ChainGpuTimer;
use super::{BackdropSettings, ChainCamera, ChainView, FrameSized, RefineMethod, TemporalReset};
use crate::capture::FrameImage;
use crate::inference::{CurrentMask, OutputKind};

pub struct ChainRenderPlugin;

/// The order of the stages' passes on a chain camera (in `Core2d`'s post-process set). A stage of
/// your own goes in one of these sets, or between them.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChainPass {
    /// The GPU segmentation backend's compute pass (frame → mask), when it is the backend.
    Segment,
    /// The model's mask decoded, beside the frame's colour over each model pixel (the guide).
    MaskDecode,
    /// The guide's mask smoothed over time, at model resolution.
    Temporal,
    /// The mask upsampled to the frame: the guided filter's or the joint bilateral's passes.
    Refine,
    /// The joint bilateral's pass (inside [`ChainPass::Refine`]).
    Bilateral,
    /// The background blur's pyramid.
    Blur,
    /// The one frame-resolution pass every view runs: the picture.
    Composite,
}

/// A choice between code paths of a stage's shader, made as a pipeline specialisation: each value
/// is one shader def (`VIEW_DECODED_MASK`, `BACKGROUND_BLUR`, …) that the WGSL tests with
/// `#ifdef`. The Rust enum is the only list of the values; a test reads each shader and fails
/// when the WGSL and the enum drift apart.
pub trait ShaderChoice: Copy + 'static {
    /// Every value.
    const ALL: &'static [Self];
    /// The shader file (in `shaders/`) that makes the choice.
    const SHADER: &'static str;
    /// Its text (for the test that checks it against the enum; unused otherwise).
    const SOURCE: &'static str;
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
    pub guided_epsilon: f32,
}

/// The choices between code paths a view's shaders make, as pipeline specialisations (shader
/// defs) rather than branches or loop bounds on uniform values. Besides sparing every GPU the
/// branches, this keeps Mesa's lavapipe from leaking: it re-compiles a shader whose control flow
/// depends on uniform values alone, with the values inlined, each time the pipeline is bound, and
/// never frees the copies (Mesa 22.3, Debian 12's: ~0.7 MB and a shader compile per frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ShaderModes {
    /// Mask decode: how the raw output decodes.
    pub output_kind: OutputKind,
    /// Composite: what the chain shows.
    pub view: ChainView,
    /// Composite: what is behind the person.
    pub background: BackgroundKind,
    /// Composite: the light wrap's blend.
    pub wrap_mode: WrapMode,
    /// Blur `BLUR_TAPS`: taps each side of the Gaussian at the pyramid's coarsest level (0:
    /// none, or no blur).
    pub blur_taps: u32,
    /// Refine: which method's passes run.
    pub refine: RefineMethod,
    /// Guided `GUIDED_RADIUS`: the fit's window half-width.
    pub guided_radius: u32,
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
            refine: RefineMethod::Guided,
            guided_radius: 0,
        }
    }
}

/// Which passes a view runs this frame, and how.
#[derive(Component, Clone, Copy, Debug)]
pub(crate) struct ChainPasses {
    pub modes: ShaderModes,
    /// How the blur is drawn (none: no blur).
    pub blur_plan: Option<BlurPlan>,
    /// The composite shows the decoded mask (it binds that texture instead of the blur).
    pub shows_decoded: bool,
    /// False when the settings leave the frame as it is (no background, final view): then no
    /// pass runs at all.
    pub active: bool,
    /// Temporal smoothing runs (smoothing > 0).
    pub temporal: bool,
}

/// The raw model mask this frame (none before the first mask: the chain passes the frame through),
/// with its upload number (a new number is a new mask), and the temporal reset generation.
#[derive(Resource, Default)]
pub(crate) struct ExtractedMask(pub Option<AssetId<Image>>, pub u64, pub u64);

/// A view's background picture this frame (image or the current video frame), if one is loaded.
#[derive(Component, Clone, Copy, Default)]
pub(crate) struct ExtractedPicture(pub Option<AssetId<Image>>);

/// What a chain view reads and writes, as assets: the frame ([`FrameImage`]) and the view's
/// output image (its camera's target, which the chain writes itself: the camera draws nothing
/// and skips Bevy's final blit), with the output's format (the composite's pipeline is keyed on
/// it).
#[derive(Component, Clone, Copy)]
pub(crate) struct ChainImages {
    frame: AssetId<Image>,
    output: AssetId<Image>,
    pub output_format: TextureFormat,
}

/// A chain view's frame and output on the GPU this render (a view whose images are not on the
/// GPU yet has none, and draws nothing).
#[derive(Component)]
pub(crate) struct ChainIo {
    /// The frame as uploaded (`Rgba8Unorm`: sampling returns the sRGB-encoded values the
    /// stages' math is in).
    pub frame: TextureView,
    pub frame_size: Extent3d,
    /// The view's output image, written by the composite.
    pub output: TextureView,
}

impl Plugin for ChainRenderPlugin {
    fn build(&self, app: &mut App) {
        crate::shaders::register_shader(
            app,
            "chain.wgsl",
            include_bytes!("../../shaders/chain.wgsl"),
        );
        crate::shaders::register_shader(
            app,
            "srgb.wgsl",
            include_bytes!("../../shaders/srgb.wgsl"),
        );
        // The shared imports must stay loaded for the stages' shaders (and the window's display
        // pass, which imports `srgb.wgsl`) to resolve them.
        let server = app.world().resource::<AssetServer>();
        let imports = ["chain.wgsl", "srgb.wgsl"]
            .map(|name| server.load(crate::shaders::shader_asset_path(name)));
        app.insert_resource(ChainShaderImport(imports))
            .add_plugins(UniformComponentPlugin::<ChainUniform>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .init_resource::<ExtractedMask>()
            .init_resource::<ChainBindGroups>()
            .add_systems(RenderStartup, init_chain_layout)
            .add_systems(ExtractSchedule, extract_chains)
            .add_systems(
                Render,
                (
                    prepare_textures.in_set(RenderSystems::PrepareResources),
                    drop_unused.in_set(RenderSystems::Cleanup),
                ),
            )
            .configure_sets(
                Core2d,
                (
                    ChainPass::Segment,
                    ChainPass::MaskDecode,
                    ChainPass::Temporal,
                    ChainPass::Refine,
                    ChainPass::Blur,
                    ChainPass::Composite,
                )
                    .chain()
                    .after(tonemapping)
                    .in_set(Core2dSystems::PostProcess),
            )
            .configure_sets(Core2d, ChainPass::Bilateral.in_set(ChainPass::Refine));
    }
}

/// The shared WGSL imports (`bevy_backdrop::chain`, `bevy_backdrop::srgb`), kept loaded while the
/// app runs.
#[derive(Resource)]
pub struct ChainShaderImport(pub [Handle<Shader>; 2]);

/// What every stage's pipeline shares: the bind-group layout, the linear sampler and Bevy's
/// fullscreen vertex shader.
#[derive(Resource, Clone)]
pub(crate) struct ChainLayout {
    pub layout: BindGroupLayoutDescriptor,
    pub sampler: Sampler,
    pub fullscreen_shader: FullscreenShader,
}

impl ChainLayout {
    /// A fullscreen-triangle pipeline of the chain's layout: `shader` with `shader_defs`, writing
    /// one target per format.
    pub fn pipeline(
        &self,
        label: &'static str,
        shader: Handle<Shader>,
        shader_defs: Vec<ShaderDefVal>,
        formats: &[TextureFormat],
    ) -> RenderPipelineDescriptor {
        RenderPipelineDescriptor {
            label: Some(label.into()),
            layout: vec![self.layout.clone()],
            vertex: self.fullscreen_shader.to_vertex_state(),
            fragment: Some(FragmentState {
                shader,
                shader_defs,
                targets: formats
                    .iter()
                    .map(|&format| {
                        Some(ColorTargetState {
                            format,
                            blend: None,
                            write_mask: ColorWrites::ALL,
                        })
                    })
                    .collect(),
                ..default()
            }),
            ..default()
        }
    }
}

/// Mask textures the stages render into and sample (filterable everywhere, WebGL2 included).
pub(crate) const MASK_FORMAT: TextureFormat = TextureFormat::R16Float;
/// The model-resolution guide (the frame's colour over each model pixel, the decoded mask) and
/// the guided filter's coefficients.
pub(crate) const GUIDE_FORMAT: TextureFormat = TextureFormat::Rgba16Float;
/// The blur pyramid's levels (premultiplied colour, weight).
pub(crate) const BLUR_FORMAT: TextureFormat = TextureFormat::Rgba16Float;

fn init_chain_layout(
    mut commands: Commands,
    render_device: Res<RenderDevice>,
    fullscreen_shader: Res<FullscreenShader>,
) {
    // Slots 0–3: the stage's input textures, which each stage's WGSL declares under the names
    // of what it reads there (bilateral.wgsl: `frame`, `guide`); 4: the linear clamp
    // sampler; 5: the chain uniform. One layout for all stages keeps one bind-group cache.
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
    commands.insert_resource(ChainLayout {
        layout,
        sampler,
        fullscreen_shader: fullscreen_shader.clone(),
    });
}

/// What every stage's pipeline holds: the shared layout and the stage's own shader.
#[derive(Clone)]
pub(crate) struct StageShader {
    layout: ChainLayout,
    shader: Handle<Shader>,
}

impl StageShader {
    /// A fullscreen-triangle pipeline of the chain's layout running this shader with
    /// `shader_defs`, writing one target per format.
    pub fn pipeline(
        &self,
        label: &'static str,
        shader_defs: Vec<ShaderDefVal>,
        formats: &[TextureFormat],
    ) -> RenderPipelineDescriptor {
        self.layout
            .pipeline(label, self.shader.clone(), shader_defs, formats)
    }
}

/// A stage's pipeline: made once at render start from the [`ChainLayout`] and the stage's
/// shader, specialised per view on the keys [`ChainStage::keys`] gives (the shader choices the
/// stage makes, and the view's target format where it writes the picture).
pub(crate) trait ChainStage: SpecializedRenderPipeline<Key: Send + Sync> + Resource {
    /// The stage's shader file, in `shaders/`.
    const SHADER: &'static str;

    fn new(shader: StageShader) -> Self;

    /// The pipelines a view needs this frame, in the order the stage's pass uses them.
    fn keys(target_format: TextureFormat, passes: &ChainPasses) -> impl Iterator<Item = Self::Key>;
}

/// The pipelines of stage `S` a view uses, in the order of [`ChainStage::keys`].
#[derive(Component)]
pub(crate) struct StagePipelineIds<S> {
    pub ids: Vec<CachedRenderPipelineId>,
    stage: PhantomData<fn() -> S>,
}

/// Adds a stage: its shader (`source`, embedded under `shaders/` + [`ChainStage::SHADER`]), its
/// pipeline (made at render start after the shared layout, specialised per view in `Prepare`)
/// and its pass (a `Core2d` system, placed by the caller in its [`ChainPass`] set).
pub(crate) fn add_stage<S: ChainStage, M>(
    app: &mut App,
    source: &'static [u8],
    pass: impl IntoScheduleConfigs<bevy::ecs::system::ScheduleSystem, M>,
) {
    crate::shaders::register_shader(app, S::SHADER, source);
    let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
        return;
    };
    render_app
        .init_resource::<SpecializedRenderPipelines<S>>()
        .add_systems(RenderStartup, init_stage::<S>.after(init_chain_layout))
        .add_systems(Render, prepare_stage::<S>.in_set(RenderSystems::Prepare))
        .add_systems(Core2d, pass);
}

fn init_stage<S: ChainStage>(
    mut commands: Commands,
    layout: Res<ChainLayout>,
    server: Res<AssetServer>,
) {
    commands.insert_resource(S::new(StageShader {
        layout: layout.clone(),
        shader: server.load(crate::shaders::shader_asset_path(S::SHADER)),
    }));
}

fn prepare_stage<S: ChainStage>(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    mut specialized: ResMut<SpecializedRenderPipelines<S>>,
    pipeline: Res<S>,
    views: Query<(
        Entity,
        &ChainImages,
        &ExtractedCamera,
        &ExtractedView,
        &ChainPasses,
    )>,
) {
    for (entity, images, camera, view, passes) in &views {
        let format = match camera.output_mode {
            CameraOutputMode::Skip => images.output_format,
            CameraOutputMode::Write { .. } => view.target_format,
        };
        let ids = S::keys(format, passes)
            .map(|key| specialized.specialize(&cache, &pipeline, key))
            .collect();
        commands.entity(entity).insert(StagePipelineIds::<S> {
            ids,
            stage: PhantomData,
        });
    }
}

/// The chain cameras as extraction reads them.
type ChainCameras<'w, 's> = Query<
    'w,
    's,
    (RenderEntity, &'static BackdropSettings, &'static FrameSized),
    With<ChainCamera>,
>;

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn extract_chains(
    mut commands: Commands,
    mut extracted_mask: ResMut<ExtractedMask>,
    mask: Extract<Option<Res<CurrentMask>>>,
    picture: Extract<Option<Res<BackgroundPicture>>>,
    reset: Extract<Option<Res<TemporalReset>>>,
    frame: Extract<Option<Res<FrameImage>>>,
    images: Extract<Res<Assets<Image>>>,
    chains: Extract<ChainCameras>,
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
    for (entity, settings, FrameSized(output)) in &chains {
        let io = frame
            .as_ref()
            .zip(images.get(output))
            .map(|(frame, image)| ChainImages {
                frame: frame.0.id(),
                output: output.id(),
                output_format: image.texture_descriptor.format,
            });
        match io {
            Some(io) => commands.entity(entity).insert(io),
            None => commands.entity(entity).remove::<ChainImages>(),
        };
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
                guided_epsilon: settings.guided.epsilon,
            },
            ExtractedPicture(own_picture),
            ChainPasses {
                modes: ShaderModes {
                    output_kind: kind,
                    view,
                    background,
                    wrap_mode: settings.composite.light_wrap.mode,
                    blur_taps: plan.map_or(0, |p| p.taps),
                    refine: settings.refine,
                    guided_radius: settings.guided.radius,
                },
                blur_plan: plan,
                shows_decoded: settings.view == ChainView::DecodedMask,
                active: view != ChainView::Final || background != BackgroundKind::None,
                temporal: settings.temporal.smoothing > 0.0,
            },
        ));
    }
}

impl ChainIo {
    /// Where the composite writes the view's picture. A chain camera skips Bevy's final blit
    /// (`CameraOutputMode::Skip`, as [`super::spawn_chain`] makes it): the composite writes the
    /// target itself — or, when Bevy redirects the camera's output for a screenshot this frame
    /// (the headless read-back), the capture texture that Bevy then copies into the target. A
    /// chain camera switched to `CameraOutputMode::Write` (for stages of your own after
    /// [`ChainPass::Composite`]) gets the picture in its main texture, as a post-process pass
    /// would, and Bevy's blit copies it to the target.
    pub fn picture_target<'a>(
        &'a self,
        camera: &ExtractedCamera,
        view: &'a ViewTarget,
    ) -> &'a TextureView {
        match camera.output_mode {
            CameraOutputMode::Skip => view.out_texture().unwrap_or(&self.output),
            CameraOutputMode::Write { .. } => view.post_process_write().destination,
        }
    }
}

/// A view's intermediate textures, from the texture cache.
#[derive(Component)]
pub(crate) struct ChainTextures {
    /// Model resolution: rgb the frame's colour over each model pixel, a the decoded mask.
    pub guide: TextureView,
    pub guide_size: Extent3d,
    /// Model resolution: the guided filter's coefficients (a.rgb, b).
    pub coefficients: TextureView,
    /// Frame resolution: the joint bilateral's mask (only when the view refines with it).
    pub refined: Option<TextureView>,
    /// The blur pyramid's levels drawn, the read level first (level 2, a quarter of the frame;
    /// level 1 for the narrowest blurs), empty without a blur.
    pub blur_levels: Vec<TextureView>,
    /// The Gaussian's intermediate, the size of the coarsest level.
    pub blur_scratch: TextureView,
}

impl ChainTextures {
    /// The blur's result, the level the composite reads (none without a blur).
    pub fn blur_result(&self) -> Option<&TextureView> {
        self.blur_levels.first()
    }

    /// What the frame-resolution passes read the refined mask from (see `refined_mask_at` in
    /// `shaders/chain.wgsl`).
    pub fn mask_source(&self, refine: RefineMethod) -> &TextureView {
        match (refine, &self.refined) {
            (RefineMethod::Bilateral, Some(refined)) => refined,
            _ => &self.coefficients,
        }
    }
}

/// A texture a stage renders into and a later stage samples.
pub(crate) fn stage_texture(
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
    views: Query<(Entity, Option<&ChainImages>, &ChainPasses)>,
) {
    let raw = mask.0.and_then(|id| images.get(id));
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
    for (entity, io, passes) in &views {
        let gpu = io.and_then(|io| images.get(io.frame).zip(images.get(io.output)));
        let Some((frame, output)) = gpu else {
            commands.entity(entity).remove::<ChainIo>();
            continue;
        };
        let size = frame.texture_descriptor.size;
        commands.entity(entity).insert(ChainIo {
            frame: frame.texture_view.clone(),
            frame_size: size,
            output: output.texture_view.clone(),
        });
        let Some(raw) = raw else {
            continue;
        };
        let guide_size = raw.texture_descriptor.size;
        let (mask_width, mask_height) = (guide_size.width, guide_size.height);
        let levels = passes.blur_plan.map_or(Vec::new(), |plan| {
            plan.drawn_level_sizes(size.width, size.height)
        });
        let coarsest = levels.last().copied().unwrap_or((1, 1));
        let textures = ChainTextures {
            guide: texture("backdrop_guide", mask_width, mask_height, GUIDE_FORMAT),
            guide_size,
            coefficients: texture(
                "backdrop_guided_coefficients",
                mask_width,
                mask_height,
                GUIDE_FORMAT,
            ),
            refined: (passes.modes.refine == RefineMethod::Bilateral).then(|| {
                texture(
                    "backdrop_refined_mask",
                    size.width,
                    size.height,
                    MASK_FORMAT,
                )
            }),
            blur_levels: levels
                .iter()
                .map(|&(w, h)| texture("backdrop_blur_level", w, h, BLUR_FORMAT))
                .collect(),
            blur_scratch: texture("backdrop_blur_scratch", coarsest.0, coarsest.1, BLUR_FORMAT),
        };
        commands.entity(entity).insert(textures);
    }
}

/// Renders a cached bind group or temporal history survives unused. A resize or a new mask size
/// leaves old bind groups (and, through them, old textures) behind for this long; a model that
/// stalls leaves the temporal history unflipped, and the bind groups of its other half must
/// survive that without being made again.
pub(crate) const KEEP_UNUSED_RENDERS: u32 = 16;

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

/// Once per render: drops cached bind groups that were not used for a few renders (a view that
/// went away, such as the split view's chain B switched off, or sizes that are gone), so what the
/// chain holds follows what it shows.
fn drop_unused(mut bind_groups: ResMut<ChainBindGroups>) {
    bind_groups.groups.retain(|_, (_, unused)| {
        *unused += 1;
        *unused <= KEEP_UNUSED_RENDERS
    });
}

/// Everything a stage's pass needs, gathered once per pass.
pub(crate) struct PassContext<'a> {
    layout: &'a ChainLayout,
    cache: &'a PipelineCache,
    bind_groups: &'a mut ChainBindGroups,
    uniform: (&'a Buffer, BindingResource<'a>),
    offset: u32,
    /// GPU timestamps for the passes (none where the device has no timestamp queries).
    timer: Option<&'a mut ChainGpuTimer>,
    /// The stage being timed.
    span: Option<&'static str>,
}

impl PassContext<'_> {
    /// Runs `draw` as the stage `span`: its passes write GPU timestamps (see `gpu_time`), and
    /// Bevy's render diagnostics time its encoding on the CPU (`render/<span>/elapsed_cpu`).
    pub fn timed(
        &mut self,
        ctx: &mut RenderContext,
        span: &'static str,
        draw: impl FnOnce(&mut Self, &mut RenderContext),
    ) {
        let recorder = ctx.diagnostic_recorder();
        let recorder = recorder.as_deref();
        let time_span = recorder.time_span(ctx.command_encoder(), span);
        self.span = Some(span);
        draw(self, ctx);
        self.span = None;
        time_span.end(ctx.command_encoder());
    }

    /// One fullscreen triangle of `pipeline` into `target`, reading `inputs` (texture slots 0–3,
    /// in the order the stage's WGSL names them; slots it does not read may hold any view).
    pub fn draw(
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
    pub fn draw_to(
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
            || self.cache.get_bind_group_layout(&self.layout.layout),
            &self.layout.sampler,
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
                    // Every stage's fullscreen triangle writes every pixel of its target: what
                    // was there does not matter, and a clear would be one more write of every
                    // pixel on a software rasteriser (lavapipe, SwiftShader).
                    ops: Operations {
                        load: LoadOp::Load,
                        store: StoreOp::Store,
                    },
                })
            })
            .collect();
        let timestamp_writes = match (self.timer.as_deref_mut(), self.span) {
            (Some(timer), Some(span)) => timer.writes(span),
            _ => None,
        };
        let mut pass = ctx
            .command_encoder()
            .begin_render_pass(&RenderPassDescriptor {
                label: Some(label),
                color_attachments: &attachments,
                depth_stencil_attachment: None,
                timestamp_writes,
                occlusion_query_set: None,
                multiview_mask: None,
            });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[self.offset]);
        pass.draw(0..3, 0..1);
        true
    }
}

/// What a stage's pass reads of its view: the frame and output, the chain's textures, the stage's
/// own pipelines, what runs, and the view's uniform.
pub(crate) type ChainViewQuery<'w, 's, S> = ViewQuery<
    'w,
    's,
    (
        &'static ChainIo,
        &'static ChainTextures,
        &'static StagePipelineIds<S>,
        &'static ChainPasses,
        &'static DynamicUniformIndex<ChainUniform>,
    ),
>;

/// What every stage's system reads besides its view.
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct StageParams<'w> {
    layout: Res<'w, ChainLayout>,
    cache: Res<'w, PipelineCache>,
    uniforms: Res<'w, ComponentUniforms<ChainUniform>>,
    pub mask: Res<'w, ExtractedMask>,
    bind_groups: ResMut<'w, ChainBindGroups>,
    timer: Option<ResMut<'w, ChainGpuTimer>>,
}

impl StageParams<'_> {
    /// The pass context, or `None` when the chain does nothing this frame (no mask yet, or
    /// settings that leave the frame as it is).
    pub fn context(
        &mut self,
        passes: &ChainPasses,
        index: &DynamicUniformIndex<ChainUniform>,
    ) -> Option<PassContext<'_>> {
        if !self.runs(passes) {
            return None;
        }
        self.always(index)
    }

    /// Whether the chain does anything for the view this frame: a mask is there, and the
    /// settings change the frame.
    pub fn runs(&self, passes: &ChainPasses) -> bool {
        passes.active && self.mask.0.is_some()
    }

    /// The pass context whether or not the chain does anything this frame (for the composite,
    /// which always writes the view's output: the frame as it is when nothing else runs).
    pub fn always(&mut self, index: &DynamicUniformIndex<ChainUniform>) -> Option<PassContext<'_>> {
        let uniforms = self.uniforms.uniforms();
        Some(PassContext {
            layout: &self.layout,
            cache: &self.cache,
            bind_groups: &mut self.bind_groups,
            uniform: (uniforms.buffer()?, uniforms.binding()?),
            offset: index.index(),
            timer: self.timer.as_deref_mut(),
            span: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The defs a shader tests that start with `prefix` (upper-case words, in code or comments).
    fn defs_in(source: &str, prefix: &str) -> BTreeSet<String> {
        source
            .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .filter(|word| word.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    }

    /// The shader's defs for a choice are exactly the enum's: a value the WGSL does not handle, or
    /// a def the WGSL tests that no value sets (a typo, a renamed variant), fails here.
    fn matches_its_shader<T: ShaderChoice>() -> Result<(), String> {
        let from_enum: BTreeSet<String> = T::ALL.iter().map(|v| v.shader_def().into()).collect();
        let in_wgsl = defs_in(T::SOURCE, T::PREFIX);
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
        matches_its_shader::<RefineMethod>().unwrap();
    }

    /// A choice type whose values the composite does not know: the check must catch it.
    #[derive(Clone, Copy)]
    struct Drifted(&'static str);

    impl ShaderChoice for Drifted {
        const ALL: &'static [Self] = &[Self("VIEW_FINAL"), Self("VIEW_SIDE_BY_SIDE")];
        const SHADER: &'static str = "composite.wgsl";
        const SOURCE: &'static str = include_str!("../../shaders/composite.wgsl");
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
