//! The window camera's rendering: a schedule of its own ([`WindowView`]) in which egui draws into
//! the camera's main texture and then the display pass (`shaders/display.wgsl`) writes every
//! pixel of the camera's target once — the shown image in its letterbox rectangle, black around
//! it, the overlay's layer over both. Core2d's schedule, which 2D cameras run, would add its main
//! passes (a clear of the main texture and of a depth buffer) and Bevy's blit of the main texture
//! to the target.

use bevy::camera::RenderTarget;
use bevy::core_pipeline::FullscreenShader;
use bevy::ecs::schedule::{ScheduleBuildSettings, ScheduleLabel};
use bevy::prelude::*;
use bevy::render::camera::CameraRenderGraph;
use bevy::render::diagnostic::RecordDiagnostics;
use bevy::render::extract_component::{
    ComponentUniforms, DynamicUniformIndex, UniformComponentPlugin,
};
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::binding_types::{sampler, texture_2d, uniform_buffer};
use bevy::render::render_resource::*;
use bevy::render::renderer::{RenderContext, ViewQuery};
use bevy::render::sync_world::RenderEntity;
use bevy::render::texture::{FallbackImageZero, GpuImage};
use bevy::render::view::ViewTarget;
use bevy::render::{Extract, ExtractSchedule, Render, RenderApp, RenderStartup, RenderSystems};
use bevy_egui::{EguiPlugin, EguiRenderOutput};

use super::{WindowCamera, picture_rect};
use crate::effects::split::ShownImage;

/// The span of the display pass in Bevy's render diagnostics.
pub const SPAN: &str = "backdrop/display";

const SHADER: &str = "display.wgsl";

/// The render schedule a [`WindowCamera`] runs (its [`CameraRenderGraph`]): egui's pass, then the
/// display pass.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct WindowView;

/// The window camera's render schedule, as a component.
pub fn window_view_graph() -> CameraRenderGraph {
    CameraRenderGraph::new(WindowView)
}

/// Where the picture goes on the camera's target (layout mirrors `shaders/display.wgsl`).
#[derive(Component, Clone, Copy, Debug, Default, PartialEq, ShaderType)]
pub(super) struct DisplayUniform {
    pub picture_min: Vec2,
    pub picture_size: Vec2,
}

/// What a window camera's view shows this frame.
#[derive(Component, Clone, Copy)]
struct DisplayedPicture {
    image: AssetId<Image>,
    /// egui drew into the camera's main texture this frame.
    overlay: bool,
    /// The camera draws into a window (not an image).
    on_window: bool,
}

#[derive(Component)]
struct DisplayPipelineId(CachedRenderPipelineId);

/// The window cameras as extraction reads them.
type WindowCameras<'w, 's> = Query<
    'w,
    's,
    (
        RenderEntity,
        &'static Camera,
        &'static RenderTarget,
        Option<&'static EguiRenderOutput>,
    ),
    With<WindowCamera>,
>;

/// The display pass's bind group, and what it was made of (picture, overlay layer, uniform
/// buffer).
type CachedBindGroup = Option<((TextureViewId, TextureViewId, Option<BufferId>), BindGroup)>;

#[derive(Resource)]
struct DisplayPipeline {
    layout: BindGroupLayoutDescriptor,
    sampler: Sampler,
    shader: Handle<Shader>,
    fullscreen_shader: FullscreenShader,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct DisplayKey {
    format: TextureFormat,
    /// The target encodes what it is handed (an sRGB target that does its own encoding).
    target_encodes: bool,
    /// egui drew into the camera's main texture this frame.
    overlay: bool,
    /// The main texture (egui's layer) is an sRGB one: its values read back linear.
    overlay_linear: bool,
}

/// Whether the window's texture keeps the values the display pass writes as they are, though
/// its format says sRGB: the WebGL2 page's present without a second sRGB conversion
/// (`web/present.js`, read through `window.backdropPresent`). Never elsewhere.
fn window_stores_encoded() -> bool {
    #[cfg(all(feature = "web", target_arch = "wasm32"))]
    return crate::web::window_stores_encoded();
    #[cfg(not(all(feature = "web", target_arch = "wasm32")))]
    false
}

/// Whether egui draws anything on this camera this frame.
pub(super) fn overlay_drawn(output: Option<&EguiRenderOutput>) -> bool {
    output.is_some_and(|output| !output.paint_jobs.is_empty())
}

pub(super) struct DisplayPassPlugin;

impl Plugin for DisplayPassPlugin {
    fn build(&self, app: &mut App) {
        crate::shaders::register_shader(app, SHADER, include_bytes!("../../shaders/display.wgsl"));
        app.add_plugins(UniformComponentPlugin::<DisplayUniform>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        let mut schedule = Schedule::new(WindowView);
        schedule.set_build_settings(ScheduleBuildSettings {
            auto_insert_apply_deferred: false,
            ..default()
        });
        render_app
            .add_schedule(schedule)
            .init_resource::<SpecializedRenderPipelines<DisplayPipeline>>()
            .add_systems(RenderStartup, init_display_pipeline)
            .add_systems(ExtractSchedule, extract_display)
            .add_systems(Render, prepare_display.in_set(RenderSystems::Prepare))
            .add_systems(WindowView, display_pass);
    }

    fn finish(&self, app: &mut App) {
        // egui's pass, where egui is (the overlay adds it after this plugin is built).
        if !app.is_plugin_added::<EguiPlugin>() {
            return;
        }
        if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
            render_app.add_systems(
                WindowView,
                (
                    bevy_egui::render::prepare_egui_pass,
                    bevy_egui::render::egui_pass,
                )
                    .chain()
                    .before(display_pass),
            );
        }
    }
}

impl SpecializedRenderPipeline for DisplayPipeline {
    type Key = DisplayKey;

    fn specialize(&self, key: DisplayKey) -> RenderPipelineDescriptor {
        let mut shader_defs = Vec::new();
        if key.target_encodes {
            shader_defs.push("TARGET_SRGB".into());
        }
        if key.overlay {
            shader_defs.push("OVERLAY".into());
        }
        if key.overlay_linear {
            shader_defs.push("OVERLAY_LINEAR".into());
        }
        RenderPipelineDescriptor {
            label: Some("backdrop_display".into()),
            layout: vec![self.layout.clone()],
            vertex: self.fullscreen_shader.to_vertex_state(),
            fragment: Some(FragmentState {
                shader: self.shader.clone(),
                shader_defs,
                targets: vec![Some(ColorTargetState {
                    format: key.format,
                    blend: None,
                    write_mask: ColorWrites::ALL,
                })],
                ..default()
            }),
            ..default()
        }
    }
}

fn init_display_pipeline(
    mut commands: Commands,
    device: Res<bevy::render::renderer::RenderDevice>,
    fullscreen_shader: Res<FullscreenShader>,
    server: Res<AssetServer>,
) {
    let layout = BindGroupLayoutDescriptor::new(
        "backdrop_display_layout",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::FRAGMENT,
            (
                texture_2d(TextureSampleType::Float { filterable: true }),
                sampler(SamplerBindingType::Filtering),
                texture_2d(TextureSampleType::Float { filterable: true }),
                uniform_buffer::<DisplayUniform>(true),
            ),
        ),
    );
    let sampler = device.create_sampler(&SamplerDescriptor {
        label: Some("backdrop_display_linear_clamp"),
        mag_filter: FilterMode::Linear,
        min_filter: FilterMode::Linear,
        ..default()
    });
    commands.insert_resource(DisplayPipeline {
        layout,
        sampler,
        shader: server.load(crate::shaders::shader_asset_path(SHADER)),
        fullscreen_shader: fullscreen_shader.clone(),
    });
}

fn extract_display(
    mut commands: Commands,
    shown: Extract<Option<Res<ShownImage>>>,
    images: Extract<Res<Assets<Image>>>,
    cameras: Extract<WindowCameras>,
) {
    for (entity, camera, render_target, output) in &cameras {
        let picture = shown.as_ref().map(|shown| shown.0.id());
        let (Some(image), Some(target)) = (picture, camera.physical_target_size()) else {
            commands
                .entity(entity)
                .remove::<(DisplayedPicture, DisplayUniform)>();
            continue;
        };
        let rect = images.get(image).map_or(Rect::default(), |picture| {
            picture_rect(picture.size_f32(), target.as_vec2())
        });
        commands.entity(entity).insert((
            DisplayedPicture {
                image,
                overlay: overlay_drawn(output),
                on_window: matches!(render_target, RenderTarget::Window(_)),
            },
            DisplayUniform {
                picture_min: rect.min,
                picture_size: rect.size(),
            },
        ));
    }
}

fn prepare_display(
    mut commands: Commands,
    cache: Res<PipelineCache>,
    mut specialized: ResMut<SpecializedRenderPipelines<DisplayPipeline>>,
    pipeline: Res<DisplayPipeline>,
    views: Query<(Entity, &ViewTarget, &DisplayedPicture)>,
) {
    let stores_encoded = window_stores_encoded();
    for (entity, target, shown) in &views {
        let Some(format) = target.out_texture_view_format() else {
            continue;
        };
        let key = DisplayKey {
            format,
            target_encodes: format.is_srgb() && !(stores_encoded && shown.on_window),
            overlay: shown.overlay,
            overlay_linear: shown.overlay && target.main_texture_format().is_srgb(),
        };
        let id = specialized.specialize(&cache, &pipeline, key);
        commands.entity(entity).insert(DisplayPipelineId(id));
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn display_pass(
    view: ViewQuery<(
        &ViewTarget,
        &DisplayedPicture,
        &DisplayPipelineId,
        &DynamicUniformIndex<DisplayUniform>,
    )>,
    cache: Res<PipelineCache>,
    pipeline: Res<DisplayPipeline>,
    images: Res<RenderAssets<GpuImage>>,
    no_picture: Res<FallbackImageZero>,
    uniforms: Res<ComponentUniforms<DisplayUniform>>,
    mut bind_group: Local<CachedBindGroup>,
    mut ctx: RenderContext,
) {
    let (target, shown, id, offset) = view.into_inner();
    let (Some(render_pipeline), Some(uniform), Some(attachment)) = (
        cache.get_render_pipeline(id.0),
        uniforms.binding(),
        // Every pixel is written: nothing to clear or load.
        target.out_texture_color_attachment(None),
    ) else {
        return;
    };
    // Until the picture is on the GPU, the rectangle shows black.
    let picture = images
        .get(shown.image)
        .map_or(&no_picture.texture_view, |image| &image.texture_view);
    let overlay = target.main_texture_view();
    let key = (
        picture.id(),
        overlay.id(),
        uniforms.buffer().map(Buffer::id),
    );
    let group = match &mut *bind_group {
        Some((cached, group)) if *cached == key => group,
        slot => {
            let group = ctx.render_device().create_bind_group(
                "backdrop_display_bind_group",
                &cache.get_bind_group_layout(&pipeline.layout),
                &BindGroupEntries::sequential((picture, &pipeline.sampler, overlay, uniform)),
            );
            &mut slot.insert((key, group)).1
        }
    };
    let recorder = ctx.diagnostic_recorder();
    let recorder = recorder.as_deref();
    let time_span = recorder.time_span(ctx.command_encoder(), SPAN);
    {
        let mut pass = ctx
            .command_encoder()
            .begin_render_pass(&RenderPassDescriptor {
                label: Some("backdrop_display"),
                color_attachments: &[Some(attachment)],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
        pass.set_pipeline(render_pipeline);
        pass.set_bind_group(0, group, &[offset.index()]);
        pass.draw(0..3, 0..1);
    }
    time_span.end(ctx.command_encoder());
}
