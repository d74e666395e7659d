//! The effects chain works in frame space: a camera draws the frame 1:1 into a frame-sized
//! `Image` target, and the stages' post-process passes run on that camera. The window shows the
//! target letterboxed ([`crate::display`]); the headless mode reads it back.
//!
//! The stages, one folder each (settings, CPU reference, WGSL in `shaders/`), run in this order
//! on the chain camera: `mask_decode` → `temporal` → the refine (`guided` or `bilateral`) → `blur`
//! → `composite`; all but the composite (and the bilateral, kept to compare) work at the model's
//! resolution or below. `chain.rs` holds what they share on the GPU side.

pub mod background;
pub mod bilateral;
pub mod blur;
pub(crate) mod chain;
pub mod composite;
pub mod gpu_time;
pub mod guided;
pub mod mask_decode;
pub mod reference;
pub mod split;
pub mod temporal;

pub use bilateral::JointBilateralSettings;
pub use blur::BlurSettings;
pub use chain::{ChainBindGroups, ChainPass, ChainShaderImport, ChainUniform, ShaderChoice};
pub use composite::{Background, BackgroundKind, CompositeSettings, LightWrapSettings, WrapMode};
pub use guided::GuidedSettings;
pub use temporal::TemporalSettings;

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, ClearColorConfig, Hdr, RenderTarget};
use bevy::prelude::*;
use bevy::render::render_resource::{DownlevelFlags, Extent3d, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderAdapter;

use crate::capture::{CurrentFrame, FrameSystems};

/// The chain's stages as timed, in chain order: (what the overlay calls it, span). With
/// [`gpu_time::ChainGpuTimesPlugin`], `backdrop/gpu/<span>` holds GPU ms where the device has
/// timestamp queries; with `RenderDiagnosticsPlugin`, `render/<span>/elapsed_cpu` the encoding
/// time everywhere.
pub const GPU_SPANS: [(&str, &str); 7] = [
    ("gpu network", crate::inference::gpu_network::render::SPAN),
    ("mask decode", mask_decode::SPAN),
    ("temporal", temporal::SPAN),
    ("bilateral", bilateral::SPAN),
    ("guided", guided::SPAN),
    ("blur", blur::SPAN),
    ("composite", composite::SPAN),
];

/// Render layer of the chain cameras: nothing is on it, so they draw no sprite of the app's (the
/// window's picture, the split view's halves); the chain writes their targets itself.
pub const FRAME_LAYER: usize = 1;

pub struct EffectsPlugin;

/// Every stage's settings for one chain, on the chain's camera. Stages derive their uniforms
/// from it at extract time; a stage is switched by its settings here, never by a component's
/// presence.
#[derive(Component, Clone, Debug, Default, PartialEq)]
pub struct BackdropSettings {
    /// How the model's mask is upsampled to the frame, following its edges.
    pub refine: RefineMethod,
    pub bilateral: JointBilateralSettings,
    pub guided: GuidedSettings,
    pub temporal: TemporalSettings,
    pub blur: BlurSettings,
    pub composite: CompositeSettings,
    /// What the chain shows: the picture, or one stage's output (for inspection and tests).
    pub view: ChainView,
}

impl BackdropSettings {
    /// Checks every value against its stage's allowed range: the ranges and messages of presets,
    /// the command line and the editor.
    pub fn validate(&self) -> Result<(), String> {
        self.bilateral.validate()?;
        self.guided.validate()?;
        self.temporal.validate()?;
        self.blur.validate()?;
        self.composite.validate()
    }
}

/// How the refine stage upsamples the model's mask to the frame, following the frame's edges
/// (a preset's `refine`, the command line's `--refine`).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
pub enum RefineMethod {
    /// The reference demo's joint bilateral upsample, evaluated per frame pixel
    /// ([`JointBilateralSettings`]): its cost grows with the frame.
    Bilateral,
    /// A fast guided filter ([`GuidedSettings`]): linear coefficients fitted on the model grid,
    /// applied per frame pixel with one texture sample; its cost follows the model.
    #[default]
    Guided,
}

impl ShaderChoice for RefineMethod {
    const ALL: &'static [Self] = &[Self::Bilateral, Self::Guided];
    const SHADER: &'static str = "chain.wgsl";
    const SOURCE: &'static str = include_str!("../../shaders/chain.wgsl");
    const PREFIX: &'static str = "REFINE_";

    fn shader_def(self) -> &'static str {
        match self {
            Self::Bilateral => "REFINE_BILATERAL",
            Self::Guided => "REFINE_GUIDED",
        }
    }
}

impl RefineMethod {
    /// The command line's and the editor's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bilateral => "bilateral",
            Self::Guided => "guided",
        }
    }
}

/// Bump to drop every chain's temporal history (the next mask starts it afresh): for a cut in the
/// picture the chain cannot see, such as the headless mode's first frame of a new size.
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemporalReset(pub u64);

/// What a chain renders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChainView {
    /// The composited picture.
    #[default]
    Final,
    /// The decoded model mask (person probability, grey), bilinear at frame size.
    DecodedMask,
    /// The refined (edge-aware upsampled) mask, grey.
    RefinedMask,
    /// The blurred background.
    BlurredBackground,
}

impl ShaderChoice for ChainView {
    const ALL: &'static [Self] = &[
        Self::Final,
        Self::DecodedMask,
        Self::RefinedMask,
        Self::BlurredBackground,
    ];
    const SHADER: &'static str = "composite.wgsl";
    const SOURCE: &'static str = include_str!("../../shaders/composite.wgsl");
    const PREFIX: &'static str = "VIEW_";

    fn shader_def(self) -> &'static str {
        match self {
            Self::Final => "VIEW_FINAL",
            Self::DecodedMask => "VIEW_DECODED_MASK",
            Self::RefinedMask => "VIEW_REFINED_MASK",
            Self::BlurredBackground => "VIEW_BLURRED_BACKGROUND",
        }
    }
}

impl std::str::FromStr for ChainView {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "final" => Ok(Self::Final),
            "decoded" => Ok(Self::DecodedMask),
            "refined" => Ok(Self::RefinedMask),
            "blurred" => Ok(Self::BlurredBackground),
            other => Err(format!(
                "view must be final, decoded, refined or blurred, got {other:?}"
            )),
        }
    }
}

/// The whole chain on the CPU: what the GPU should show for this frame, raw model output,
/// background picture (image or video frame) and settings. `raw` is pixel-interleaved at
/// `mask_width`×`mask_height`. One frame, so the temporal stage passes the mask through.
pub fn reference_chain(
    frame: &reference::Picture,
    picture: Option<&reference::Picture>,
    raw: &[f32],
    mask_width: u32,
    mask_height: u32,
    kind: crate::inference::OutputKind,
    settings: &BackdropSettings,
) -> reference::Picture {
    use reference::{Picture, centre};
    let decoded = mask_decode::reference(raw, mask_width, mask_height, kind);
    let guide = mask_decode::guide(frame, &decoded);
    let grey = |values: Vec<f32>| Picture {
        width: frame.width,
        height: frame.height,
        data: values.into_iter().map(|v| [v.clamp(0.0, 1.0); 3]).collect(),
    };
    let pixels = || (0..frame.height).flat_map(|y| (0..frame.width).map(move |x| (x, y)));
    if settings.view == ChainView::DecodedMask {
        return grey(
            pixels()
                .map(|(x, y)| guide.sample(centre(x, frame.width), centre(y, frame.height))[3])
                .collect(),
        );
    }
    let refined = reference_refined(frame, &guide, settings);
    let mask = refined.frame_mask(frame);
    if settings.view == ChainView::RefinedMask {
        return grey(mask.data);
    }
    let blurred = blur::BlurPlan::for_radius(settings.blur.radius)
        .map(|plan| blur::background(&blur::reference(frame, &refined.source(), &plan), frame));
    if settings.view == ChainView::BlurredBackground {
        return blurred.unwrap_or_else(|| frame.clone());
    }
    composite::reference(frame, &mask, blurred.as_ref(), picture, &settings.composite)
}

/// The refine's output on the CPU, as the frame-resolution passes read it: the joint bilateral's
/// frame-size mask, or the guided filter's model-size coefficients.
#[derive(Clone, Debug, PartialEq)]
pub enum RefinedReference {
    Bilateral(reference::Plane),
    Guided(reference::Rgba),
}

impl RefinedReference {
    /// Where the blur and the composite read the mask.
    pub fn source(&self) -> blur::MaskSource<'_> {
        match self {
            Self::Bilateral(mask) => blur::MaskSource::Refined(mask),
            Self::Guided(coefficients) => blur::MaskSource::Guided(coefficients),
        }
    }

    /// The refined mask at every frame pixel.
    pub fn frame_mask(&self, frame: &reference::Picture) -> reference::Plane {
        use reference::centre;
        let (w, h) = (frame.width, frame.height);
        let source = self.source();
        let data = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| source.at(centre(x, w), centre(y, h), frame.at(x, y)))
            .collect();
        reference::Plane::new(w, h, data)
    }
}

/// The refine on the CPU: the guide (the frame over each model pixel and the mask, smoothed over
/// time when temporal runs) upsampled to the frame by the settings' method.
pub fn reference_refined(
    frame: &reference::Picture,
    guide: &reference::Rgba,
    settings: &BackdropSettings,
) -> RefinedReference {
    match settings.refine {
        RefineMethod::Bilateral => RefinedReference::Bilateral(bilateral::reference(
            frame,
            &guide.alpha(),
            &settings.bilateral,
        )),
        RefineMethod::Guided => {
            RefinedReference::Guided(guided::coefficients(guide, &settings.guided))
        }
    }
}

/// One effects chain: its camera and the frame-sized image it renders into.
#[derive(Resource, Clone, Debug)]
pub struct FrameChain {
    pub camera: Entity,
    pub target: Handle<Image>,
}

/// Marks a camera that renders the frame in frame space.
#[derive(Component)]
pub struct ChainCamera;

/// Ordering of the chain's per-frame work.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FitChainToFrame;

impl Plugin for EffectsPlugin {
    fn build(&self, app: &mut App) {
        // Stages first: they register what the chain camera's components require.
        app.add_plugins((
            chain::ChainRenderPlugin,
            mask_decode::MaskDecodePlugin,
            bilateral::BilateralPlugin,
            guided::GuidedPlugin,
            temporal::TemporalPlugin,
            blur::BlurPlugin,
            composite::CompositePlugin,
            background::BackgroundPlugin,
        ));
        let world = app.world_mut();
        let chain = spawn_chain(world, "frame chain camera", BackdropSettings::default());
        let (camera, target) = (chain.camera, chain.target);
        app.init_resource::<TemporalReset>()
            .insert_resource(FrameChain { camera, target })
            .configure_sets(PreUpdate, FitChainToFrame.after(FrameSystems::Upload))
            .add_systems(PreUpdate, fit_chain_to_frame.in_set(FitChainToFrame))
            .add_systems(PostUpdate, main_textures_the_device_can_make)
            .add_plugins(split::SplitViewPlugin);
    }
}

/// Spawns a chain camera (stages on, `settings`) rendering the frame quad into a new frame-sized
/// target. Active from the start; `Camera::is_active` switches it.
pub fn spawn_chain(
    world: &mut World,
    name: &'static str,
    settings: BackdropSettings,
) -> FrameChain {
    let target = world
        .resource_mut::<Assets<Image>>()
        .add(new_chain_target(1, 1));
    let camera = world
        .spawn((
            Name::new(name),
            ChainCamera,
            Camera2d,
            Camera {
                // Before the split view and any window camera, which show this camera's output.
                order: -1,
                // The composite writes every pixel of the target from the frame texture: the
                // camera draws nothing of its own (no clear, no sprite, no final blit).
                clear_color: ClearColorConfig::None,
                output_mode: CameraOutputMode::Skip,
                ..default()
            },
            RenderTarget::Image(target.clone().into()),
            RenderLayers::layer(FRAME_LAYER),
            Msaa::Off,
            FrameSized(target.clone()),
            settings,
        ))
        .id();
    FrameChain { camera, target }
}

/// Bevy gives every camera a main texture of its target's format; for [`CHAIN_TARGET_FORMAT`]
/// it makes that texture with an sRGB view format, which a device without view formats (WebGL2)
/// refuses. There the frame-sized cameras (the chains', the split view's) get `Hdr`, so their
/// main texture is Rgba16Float; elsewhere they keep one of the target's format, half the memory.
/// A chain never draws into it (the composite writes the target) unless its camera is switched to
/// Bevy's output mode for stages of one's own (examples/custom_stage.rs).
fn main_textures_the_device_can_make(
    adapter: Option<Res<RenderAdapter>>,
    cameras: Query<Entity, (With<FrameSized>, Without<Hdr>)>,
    mut needs_hdr: Local<Option<bool>>,
    mut commands: Commands,
) {
    // Asked of the adapter once, when the renderer is up.
    let needs_hdr = match (*needs_hdr, adapter) {
        (Some(known), _) => known,
        (None, Some(adapter)) => *needs_hdr.insert(
            !adapter
                .get_downlevel_capabilities()
                .flags
                .contains(DownlevelFlags::VIEW_FORMATS),
        ),
        (None, None) => return,
    };
    if !needs_hdr {
        return;
    }
    for camera in &cameras {
        commands.entity(camera).insert(Hdr);
    }
}

/// A camera target that follows the frame's size.
#[derive(Component, Clone, Debug)]
pub struct FrameSized(pub Handle<Image>);

/// The format of the chains' targets (and the split view's): `Rgba8Unorm`, holding the
/// sRGB-encoded values the stages compute. The composite writes them as they are, and what shows
/// the picture reads them as they are: the window's display pass decodes them for the window's
/// sRGB view, the split view's camera (on a target of this format) copies them. An sRGB format
/// here would cost a decode in the composite, an encode on every write and a decode on every
/// read; on a software rasteriser (SwiftShader, lavapipe) each is a large share of a pass.
pub const CHAIN_TARGET_FORMAT: TextureFormat = TextureFormat::Rgba8Unorm;

/// A render target of the frame's size. `COPY_SRC` lets the headless mode read it back.
pub(crate) fn new_chain_target(width: u32, height: u32) -> Image {
    let mut image = Image::new_target_texture(width, height, CHAIN_TARGET_FORMAT, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    image
}

/// A picture read back from the GPU (a chain's target, as `Screenshot::image` gives it) as an
/// `RgbaImage` of its bytes: for a chain's target, the sRGB-encoded values the chain computed, as a
/// PNG holds them. Bevy's own conversion (`Image::try_into_dynamic`, and so `save_to_disk`)
/// refuses [`CHAIN_TARGET_FORMAT`]; other formats go through it.
pub fn picture_rgba(image: Image) -> Result<image::RgbaImage, String> {
    match image.texture_descriptor.format {
        TextureFormat::Rgba8Unorm | TextureFormat::Rgba8UnormSrgb => {
            let (width, height) = (image.width(), image.height());
            let bytes = image.data.ok_or("the image holds no pixels")?;
            image::RgbaImage::from_raw(width, height, bytes)
                .ok_or_else(|| format!("the pixels do not make a {width}×{height} RGBA picture"))
        }
        _ => image
            .try_into_dynamic()
            .map(|picture| picture.into_rgba8())
            .map_err(|e| e.to_string()),
    }
}

/// Saves a read-back picture (see [`picture_rgba`]) to `path`, in the format its extension names.
pub fn save_picture(image: Image, path: &std::path::Path) -> Result<(), String> {
    picture_rgba(image)
        .and_then(|picture| picture.save(path).map_err(|e| e.to_string()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Keeps the chain's targets at the frame's size, so output pixels are frame pixels.
fn fit_chain_to_frame(
    current: Res<CurrentFrame>,
    targets: Query<&FrameSized>,
    mut images: ResMut<Assets<Image>>,
) {
    if !current.is_changed() {
        return;
    }
    let Some(frame) = &current.frame else {
        return;
    };
    let size = Extent3d {
        width: frame.width,
        height: frame.height,
        depth_or_array_layers: 1,
    };
    for FrameSized(target) in &targets {
        let same_size = images
            .get(target)
            .is_some_and(|image| image.texture_descriptor.size == size);
        if !same_size && let Some(mut image) = images.get_mut(target) {
            image.resize(size);
        }
    }
}
