//! The effects chain works in frame space: a camera draws the frame 1:1 into a frame-sized
//! `Image` target, and the stages' post-process passes run on that camera. The window shows the
//! target letterboxed ([`crate::display`]); the headless mode reads it back.
//!
//! Each stage has its own folder here. For now one stage runs: `preview` (background dimmed
//! outside the raw mask); mask decode, bilateral upsample, temporal, blur and composite follow.

pub mod preview;

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, CompositingSpace, RenderTarget};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureFormat, TextureUsages};

use crate::capture::{CurrentFrame, FrameImage, FrameSystems};

/// Render layer of the frame quad: seen by chain cameras only, never by the window camera.
pub const FRAME_LAYER: usize = 1;

pub struct EffectsPlugin;

/// Every stage's settings for one chain, on the chain's camera. Stages derive their uniforms
/// from it at extract time; a stage is switched by its flag here.
#[derive(Component, Clone, Debug, Default)]
pub struct BackdropSettings {
    pub preview: PreviewSettings,
}

/// The preview composite: the background outside the mask is darkened.
#[derive(Clone, Debug)]
pub struct PreviewSettings {
    pub enabled: bool,
    /// How much of the background's brightness goes: 0 keeps it, 1 makes it black.
    pub dim: f32,
}

impl Default for PreviewSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dim: 0.75,
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

/// The quad that shows the source frame to the chain cameras.
#[derive(Component)]
pub struct FrameQuad;

/// Ordering of the chain's per-frame work.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FitChainToFrame;

impl Plugin for EffectsPlugin {
    fn build(&self, app: &mut App) {
        // Stages first: they register what the chain camera's components require.
        app.add_plugins(preview::PreviewPlugin);
        let target = app
            .world_mut()
            .resource_mut::<Assets<Image>>()
            .add(new_chain_target(1, 1));
        let world = app.world_mut();
        let frame_image = world.resource::<FrameImage>().0.clone();
        world.spawn((
            FrameQuad,
            Sprite {
                image: frame_image,
                custom_size: Some(Vec2::ONE),
                ..default()
            },
            RenderLayers::layer(FRAME_LAYER),
        ));
        let camera = world
            .spawn((
                Name::new("frame chain camera"),
                ChainCamera,
                Camera2d,
                Camera {
                    // Before any window camera, which shows this camera's output.
                    order: -1,
                    clear_color: ClearColorConfig::Custom(Color::BLACK),
                    ..default()
                },
                RenderTarget::Image(target.clone().into()),
                // Stages see and write gamma-encoded values, as the reference's constants assume
                // (the main texture stores sRGB-encoded values; the final blit encodes properly).
                CompositingSpace::Srgb,
                RenderLayers::layer(FRAME_LAYER),
                Msaa::Off,
                BackdropSettings::default(),
            ))
            .id();
        app.insert_resource(FrameChain { camera, target })
            .configure_sets(PreUpdate, FitChainToFrame.after(FrameSystems::Upload))
            .add_systems(PreUpdate, fit_chain_to_frame.in_set(FitChainToFrame));
    }
}

/// A render target of the frame's size. `COPY_SRC` lets the headless mode read it back.
fn new_chain_target(width: u32, height: u32) -> Image {
    let mut image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    image
}

/// Keeps the chain's target and the frame quad at the frame's size, so output pixels are frame
/// pixels.
fn fit_chain_to_frame(
    current: Res<CurrentFrame>,
    chain: Res<FrameChain>,
    mut images: ResMut<Assets<Image>>,
    mut quads: Query<&mut Sprite, With<FrameQuad>>,
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
    let same_size = images
        .get(&chain.target)
        .is_some_and(|image| image.texture_descriptor.size == size);
    if !same_size && let Some(mut target) = images.get_mut(&chain.target) {
        target.resize(size);
    }
    let quad_size = Vec2::new(frame.width as f32, frame.height as f32);
    for mut sprite in &mut quads {
        if sprite.custom_size != Some(quad_size) {
            sprite.custom_size = Some(quad_size);
        }
    }
}
