//! Preview composite: dims the background outside the raw model mask. One render pass in the
//! chain camera's `Core2d` post-process set, so the playground shows segmentation before the
//! full effects chain (decode, bilateral upsample, blur, composite) replaces it.

use bevy::core_pipeline::FullscreenShader;
use bevy::core_pipeline::schedule::Core2d;
use bevy::core_pipeline::tonemapping::tonemapping;
use bevy::core_pipeline::Core2dSystems;
use bevy::prelude::*;
use bevy::render::extract_component::{
    ComponentUniforms, DynamicUniformIndex, ExtractComponent, ExtractComponentPlugin,
    UniformComponentPlugin,
};
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::binding_types::{sampler, texture_2d, uniform_buffer};
use bevy::render::render_resource::*;
use bevy::render::renderer::{RenderContext, RenderDevice, ViewQuery};
use bevy::render::sync_component::SyncComponent;
use bevy::render::texture::GpuImage;
use bevy::render::view::{ExtractedView, ViewTarget};
use bevy::render::{Extract, ExtractSchedule, Render, RenderApp, RenderStartup, RenderSystems};

use super::BackdropSettings;
use crate::inference::CurrentMask;

const SHADER: &str = "preview.wgsl";

pub struct PreviewPlugin;

/// The per-view uniform derived from [`BackdropSettings`] at extract time.
#[derive(Component, Clone, Copy, Default, ShaderType)]
pub struct PreviewUniform {
    pub dim: f32,
    // WebGL2 wants uniform structs in 16-byte steps.
    #[cfg(target_arch = "wasm32")]
    _webgl2_padding: Vec3,
}

impl SyncComponent for BackdropSettings {
    type Target = PreviewUniform;
}

impl ExtractComponent for BackdropSettings {
    type QueryData = &'static BackdropSettings;
    type QueryFilter = ();
    type Out = PreviewUniform;

    fn extract_component(settings: &BackdropSettings) -> Option<PreviewUniform> {
        settings.preview.enabled.then(|| PreviewUniform {
            dim: settings.preview.dim.clamp(0.0, 1.0),
            ..default()
        })
    }
}

/// The mask texture to use this frame (none before the first mask).
#[derive(Resource, Default)]
struct ExtractedMask(Option<AssetId<Image>>);

impl Plugin for PreviewPlugin {
    fn build(&self, app: &mut App) {
        crate::embed_shader!(app, "preview.wgsl");
        app.add_plugins((
            ExtractComponentPlugin::<BackdropSettings>::default(),
            UniformComponentPlugin::<PreviewUniform>::default(),
        ));
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .init_resource::<ExtractedMask>()
            .init_resource::<SpecializedRenderPipelines<PreviewPipeline>>()
            .add_systems(RenderStartup, init_preview_pipeline)
            .add_systems(ExtractSchedule, extract_mask)
            .add_systems(Render, prepare_preview_pipelines.in_set(RenderSystems::Prepare))
            .add_systems(
                Core2d,
                preview_pass.after(tonemapping).in_set(Core2dSystems::PostProcess),
            );
    }
}

fn extract_mask(mut extracted: ResMut<ExtractedMask>, mask: Extract<Option<Res<CurrentMask>>>) {
    extracted.0 = mask
        .as_ref()
        .filter(|m| m.mask.is_some())
        .map(|m| m.image.id());
}

#[derive(Resource)]
struct PreviewPipeline {
    layout: BindGroupLayoutDescriptor,
    sampler: Sampler,
    fullscreen_shader: FullscreenShader,
    shader: Handle<Shader>,
}

fn init_preview_pipeline(
    mut commands: Commands,
    render_device: Res<RenderDevice>,
    fullscreen_shader: Res<FullscreenShader>,
    asset_server: Res<AssetServer>,
) {
    let layout = BindGroupLayoutDescriptor::new(
        "backdrop_preview_layout",
        &BindGroupLayoutEntries::sequential(
            ShaderStages::FRAGMENT,
            (
                texture_2d(TextureSampleType::Float { filterable: true }),
                sampler(SamplerBindingType::Filtering),
                texture_2d(TextureSampleType::Float { filterable: true }),
                sampler(SamplerBindingType::Filtering),
                uniform_buffer::<PreviewUniform>(true),
            ),
        ),
    );
    let sampler = render_device.create_sampler(&SamplerDescriptor {
        mag_filter: FilterMode::Linear,
        min_filter: FilterMode::Linear,
        ..default()
    });
    commands.insert_resource(PreviewPipeline {
        layout,
        sampler,
        fullscreen_shader: fullscreen_shader.clone(),
        shader: asset_server.load(crate::shaders::shader_asset_path(SHADER)),
    });
}

impl SpecializedRenderPipeline for PreviewPipeline {
    type Key = TextureFormat;

    fn specialize(&self, target_format: TextureFormat) -> RenderPipelineDescriptor {
        RenderPipelineDescriptor {
            label: Some("backdrop_preview_pipeline".into()),
            layout: vec![self.layout.clone()],
            vertex: self.fullscreen_shader.to_vertex_state(),
            fragment: Some(FragmentState {
                shader: self.shader.clone(),
                targets: vec![Some(ColorTargetState {
                    format: target_format,
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
struct ViewPreviewPipeline(CachedRenderPipelineId);

fn prepare_preview_pipelines(
    mut commands: Commands,
    pipeline_cache: Res<PipelineCache>,
    mut pipelines: ResMut<SpecializedRenderPipelines<PreviewPipeline>>,
    preview: Res<PreviewPipeline>,
    views: Query<(Entity, &ExtractedView), With<PreviewUniform>>,
) {
    for (entity, view) in &views {
        let id = pipelines.specialize(&pipeline_cache, &preview, view.target_format);
        commands.entity(entity).insert(ViewPreviewPipeline(id));
    }
}

fn preview_pass(
    view: ViewQuery<(
        &ViewTarget,
        &ViewPreviewPipeline,
        &DynamicUniformIndex<PreviewUniform>,
    )>,
    preview: Res<PreviewPipeline>,
    pipeline_cache: Res<PipelineCache>,
    uniforms: Res<ComponentUniforms<PreviewUniform>>,
    mask: Res<ExtractedMask>,
    images: Res<RenderAssets<GpuImage>>,
    mut ctx: RenderContext,
) {
    let (target, pipeline_id, uniform_index) = view.into_inner();
    let Some(mask) = mask.0.and_then(|id| images.get(id)) else {
        return;
    };
    let (Some(pipeline), Some(uniform)) = (
        pipeline_cache.get_render_pipeline(pipeline_id.0),
        uniforms.uniforms().binding(),
    ) else {
        return;
    };
    let post_process = target.post_process_write();
    let bind_group = ctx.render_device().create_bind_group(
        "backdrop_preview_bind_group",
        &pipeline_cache.get_bind_group_layout(&preview.layout),
        &BindGroupEntries::sequential((
            post_process.source,
            &preview.sampler,
            &mask.texture_view,
            &preview.sampler,
            uniform,
        )),
    );
    let mut pass = ctx.command_encoder().begin_render_pass(&RenderPassDescriptor {
        label: Some("backdrop_preview_pass"),
        color_attachments: &[Some(RenderPassColorAttachment {
            view: post_process.destination,
            depth_slice: None,
            resolve_target: None,
            ops: Operations::default(),
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, &bind_group, &[uniform_index.index()]);
    pass.draw(0..3, 0..1);
}
