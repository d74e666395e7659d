//! A stage of your own in the chain: a sepia pass that runs on the chain camera after the
//! composite (in `Core2d`, ordered after [`ChainPass::Composite`]), with its own pipeline and
//! WGSL. The chain here leaves the frame as it is (no background replaced), so the picture saved
//! is the sample portrait in sepia.
//!
//! ```text
//! cargo run --release --example custom_stage -- OUT_DIR    # writes OUT_DIR/custom_stage.png
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::camera::CameraOutputMode;
use bevy::core_pipeline::schedule::Core2d;
use bevy::core_pipeline::{Core2dSystems, FullscreenShader};
use bevy::prelude::*;
use bevy::render::extract_component::{ExtractComponent, ExtractComponentPlugin};
use bevy::render::render_resource::binding_types::texture_2d;
use bevy::render::render_resource::*;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::view::{ExtractedView, ViewTarget};
use bevy::render::{Render, RenderApp, RenderStartup, RenderSystems};
use bevy_backdrop::capture::{
    CapturePlugin, CaptureSettings, CurrentFrame, FramePlugin, SourceSpec,
};
use bevy_backdrop::effects::{BackdropSettings, Background, ChainPass, EffectsPlugin, FrameChain};
use bevy_backdrop::headless_default_plugins;

/// The stage's shader: the classic sepia matrix on the picture's (gamma-encoded) colours.
const SEPIA_WGSL: &str = r"
#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput

@group(0) @binding(0) var picture: texture_2d<f32>;

@fragment
fn fragment(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let c = textureLoad(picture, vec2<i32>(in.position.xy), 0);
    let sepia = vec3<f32>(
        dot(c.rgb, vec3<f32>(0.393, 0.769, 0.189)),
        dot(c.rgb, vec3<f32>(0.349, 0.686, 0.168)),
        dot(c.rgb, vec3<f32>(0.272, 0.534, 0.131)),
    );
    return vec4<f32>(min(sepia, vec3<f32>(1.0)), c.a);
}
";

/// Put it on a chain camera to run the stage there.
#[derive(Component, Clone, Copy, ExtractComponent)]
struct Sepia;

struct SepiaPlugin;

impl Plugin for SepiaPlugin {
    fn build(&self, app: &mut App) {
        let shader = app
            .world_mut()
            .resource_mut::<Assets<Shader>>()
            .add(Shader::from_wgsl(SEPIA_WGSL, "custom_stage/sepia.wgsl"));
        app.add_plugins(ExtractComponentPlugin::<Sepia>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .insert_resource(SepiaShader(shader))
            .init_resource::<SpecializedRenderPipelines<SepiaPipeline>>()
            .add_systems(RenderStartup, init_pipeline)
            .add_systems(Render, prepare_pipelines.in_set(RenderSystems::Prepare))
            .add_systems(
                Core2d,
                sepia_pass
                    .after(ChainPass::Composite)
                    .in_set(Core2dSystems::PostProcess),
            );
    }
}

#[derive(Resource)]
struct SepiaShader(Handle<Shader>);

#[derive(Resource)]
struct SepiaPipeline {
    layout: BindGroupLayoutDescriptor,
    shader: Handle<Shader>,
    fullscreen: FullscreenShader,
}

fn init_pipeline(
    mut commands: Commands,
    shader: Res<SepiaShader>,
    fullscreen: Res<FullscreenShader>,
) {
    commands.insert_resource(SepiaPipeline {
        layout: BindGroupLayoutDescriptor::new(
            "sepia_layout",
            &BindGroupLayoutEntries::single(
                ShaderStages::FRAGMENT,
                texture_2d(TextureSampleType::Float { filterable: false }),
            ),
        ),
        shader: shader.0.clone(),
        fullscreen: fullscreen.clone(),
    });
}

impl SpecializedRenderPipeline for SepiaPipeline {
    type Key = TextureFormat;

    fn specialize(&self, format: TextureFormat) -> RenderPipelineDescriptor {
        RenderPipelineDescriptor {
            label: Some("sepia".into()),
            layout: vec![self.layout.clone()],
            vertex: self.fullscreen.to_vertex_state(),
            fragment: Some(FragmentState {
                shader: self.shader.clone(),
                targets: vec![Some(ColorTargetState {
                    format,
                    blend: None,
                    write_mask: ColorWrites::ALL,
                })],
                ..default()
            }),
            ..default()
        }
    }
}

#[derive(Component)]
struct SepiaPipelineId(CachedRenderPipelineId);

fn prepare_pipelines(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    mut specialized: ResMut<SpecializedRenderPipelines<SepiaPipeline>>,
    pipeline: Res<SepiaPipeline>,
    views: Query<(Entity, &ExtractedView), With<Sepia>>,
) {
    for (entity, view) in &views {
        let id = specialized.specialize(&cache, &pipeline, view.target_format);
        commands.entity(entity).insert(SepiaPipelineId(id));
    }
}

/// The pass: the view's picture so far → sepia, written back as the view's picture.
fn sepia_pass(
    view: ViewQuery<(&ViewTarget, &SepiaPipelineId)>,
    pipeline: Res<SepiaPipeline>,
    cache: Res<PipelineCache>,
    device: Res<RenderDevice>,
    mut ctx: RenderContext,
) {
    let (target, id) = view.into_inner();
    let Some(render_pipeline) = cache.get_render_pipeline(id.0) else {
        return;
    };
    let post = target.post_process_write();
    let bind_group = device.create_bind_group(
        "sepia_bind_group",
        &cache.get_bind_group_layout(&pipeline.layout),
        &BindGroupEntries::single(post.source),
    );
    let mut pass = ctx
        .command_encoder()
        .begin_render_pass(&RenderPassDescriptor {
            label: Some("sepia"),
            color_attachments: &[Some(RenderPassColorAttachment {
                view: post.destination,
                depth_slice: None,
                resolve_target: None,
                ops: Operations::default(),
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
    pass.set_pipeline(render_pipeline);
    pass.set_bind_group(0, &bind_group, &[]);
    pass.draw(0..3, 0..1);
}

#[derive(Resource)]
struct Output {
    picture: PathBuf,
    saved: Arc<AtomicBool>,
    requested: bool,
}

fn main() -> AppExit {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("custom_stage_out"), PathBuf::from);
    std::fs::create_dir_all(&dir).expect("the output folder can be made");
    App::new()
        .add_plugins(
            headless_default_plugins(true)
                .add(ScheduleRunnerPlugin::run_loop(Duration::from_millis(2))),
        )
        .insert_resource(CaptureSettings {
            source: SourceSpec::Sample,
            ..default()
        })
        .add_plugins((FramePlugin, CapturePlugin, EffectsPlugin, SepiaPlugin))
        .insert_resource(Output {
            picture: dir.join("custom_stage.png"),
            saved: Arc::new(AtomicBool::new(false)),
            requested: false,
        })
        .add_systems(Startup, put_the_stage_on_the_chain)
        .add_systems(Update, save_when_ready)
        .run()
}

/// The chain leaves the frame as it is; the sepia stage runs on its camera. A chain camera writes
/// its target itself and skips Bevy's final blit; a stage after the composite needs the picture
/// in the camera's main texture instead, so the camera goes back to Bevy's output mode (the blit
/// then copies the main texture to the target: one more full-frame pass). The chain's target is
/// `Rgba8Unorm` holding sRGB-encoded values, so the main texture (of the target's format) holds
/// them too, as the chain's and this stage's math expect, and the blit copies them unchanged.
fn put_the_stage_on_the_chain(
    chain: Res<FrameChain>,
    mut cameras: Query<&mut Camera>,
    mut commands: Commands,
) {
    let mut settings = BackdropSettings::default();
    settings.composite.background = Background::None;
    commands.entity(chain.camera).insert((settings, Sepia));
    if let Ok(mut camera) = cameras.get_mut(chain.camera) {
        camera.output_mode = CameraOutputMode::default();
    }
}

/// A few frames in (pipelines compiled, the frame uploaded), save the chain's picture and quit.
fn save_when_ready(
    current: Res<CurrentFrame>,
    chain: Res<FrameChain>,
    mut output: ResMut<Output>,
    mut frames: Local<u32>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    *frames += 1;
    if output.saved.load(Ordering::Relaxed) {
        println!("custom_stage: saved {}", output.picture.display());
        exit.write(AppExit::Success);
        return;
    }
    if output.requested || current.uploaded < 3 || *frames < 10 {
        return;
    }
    output.requested = true;
    let saved = Arc::clone(&output.saved);
    let path = output.picture.clone();
    commands
        .spawn(Screenshot::image(chain.target.clone()))
        .observe(move |captured: On<ScreenshotCaptured>| {
            // The chain's target holds sRGB-encoded bytes, as a PNG does.
            match bevy_backdrop::effects::save_picture(captured.image.clone(), &path) {
                Ok(()) => saved.store(true, Ordering::Relaxed),
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            }
        });
}
