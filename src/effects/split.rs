//! The A/B split view: the same frame through two chains side by side. Chain A is the main
//! chain ([`FrameChain`]); chain B has its own camera and frame-sized target (two viewport
//! cameras on one target would share the view's post-process textures). A third camera then
//! draws A's image, B's image cropped to the right of the divider, and the divider line into a
//! frame-sized split image: that image is what the window shows and the headless mode writes
//! ([`ShownImage`]) while the split is on.

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, RenderTarget};
use bevy::prelude::*;

use super::{
    BackdropSettings, FitChainToFrame, FrameChain, FrameSized, new_chain_target, spawn_chain,
};
use crate::capture::CurrentFrame;

/// Render layer of the split view's sprites: seen by the split camera only.
pub const SPLIT_LAYER: usize = 2;

/// Width of the divider line in frame pixels.
pub const DIVIDER_WIDTH: f32 = 2.0;

/// What the split view shows.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct SplitView {
    pub enabled: bool,
    /// Where A ends and B begins, as a fraction of the frame width (0–1).
    pub divider: f32,
    /// Chain B's settings (chain A's are on [`FrameChain::camera`]).
    pub b: BackdropSettings,
    /// What each half is called on screen.
    pub labels: [String; 2],
}

impl Default for SplitView {
    fn default() -> Self {
        Self {
            enabled: false,
            divider: 0.5,
            b: BackdropSettings::default(),
            labels: ["A".into(), "B".into()],
        }
    }
}

impl SplitView {
    /// The divider's column in a frame `width` pixels wide: A shows left of it, B from it on.
    pub fn divider_column(&self, width: u32) -> u32 {
        (self.divider.clamp(0.0, 1.0) * width as f32).round() as u32
    }
}

/// The image that shows the result: chain A's target, or the split image while the split is on.
#[derive(Resource, Clone, Debug)]
pub struct ShownImage(pub Handle<Image>);

/// Chain B and the split camera.
#[derive(Resource, Clone, Debug)]
pub struct SplitChains {
    pub b: FrameChain,
    pub camera: Entity,
    pub target: Handle<Image>,
}

#[derive(Component)]
enum SplitPart {
    A,
    B,
    Divider,
}

pub struct SplitViewPlugin;

impl Plugin for SplitViewPlugin {
    fn build(&self, app: &mut App) {
        let a = app.world().resource::<FrameChain>().clone();
        let world = app.world_mut();
        let b = spawn_chain(world, "split chain B camera", BackdropSettings::default());
        world
            .get_mut::<Camera>(b.camera)
            .expect("a camera")
            .is_active = false;
        let target = world
            .resource_mut::<Assets<Image>>()
            .add(new_chain_target(1, 1));
        let camera = world
            .spawn((
                Name::new("split view camera"),
                Camera2d,
                Camera {
                    // After the chains (−1), before the window (1).
                    order: 0,
                    is_active: false,
                    clear_color: ClearColorConfig::Custom(Color::BLACK),
                    ..default()
                },
                RenderTarget::Image(target.clone().into()),
                RenderLayers::layer(SPLIT_LAYER),
                Msaa::Off,
                // On a device without view formats this camera gets `Hdr` too (see
                // `main_textures_the_device_can_make`).
                FrameSized(target.clone()),
            ))
            .id();
        let sprite = |image: Handle<Image>, z: f32, part: SplitPart| {
            (
                part,
                Sprite {
                    image,
                    custom_size: Some(Vec2::ZERO),
                    ..default()
                },
                Transform::from_xyz(0.0, 0.0, z),
                RenderLayers::layer(SPLIT_LAYER),
            )
        };
        world.spawn(sprite(a.target.clone(), 0.0, SplitPart::A));
        world.spawn(sprite(b.target.clone(), 1.0, SplitPart::B));
        world.spawn((
            SplitPart::Divider,
            Sprite::from_color(Color::WHITE, Vec2::ZERO),
            Transform::from_xyz(0.0, 0.0, 2.0),
            RenderLayers::layer(SPLIT_LAYER),
        ));
        app.init_resource::<SplitView>()
            .insert_resource(ShownImage(a.target.clone()))
            .insert_resource(SplitChains { b, camera, target })
            .add_systems(PreUpdate, follow_split.after(FitChainToFrame));
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a Bevy system reads what it needs"
)]
fn follow_split(
    split: Res<SplitView>,
    chains: Res<SplitChains>,
    a: Res<FrameChain>,
    current: Res<CurrentFrame>,
    mut shown: ResMut<ShownImage>,
    mut cameras: Query<&mut Camera>,
    mut settings: Query<&mut BackdropSettings>,
    mut parts: Query<(&SplitPart, &mut Sprite, &mut Transform)>,
) {
    let wanted = if split.enabled {
        &chains.target
    } else {
        &a.target
    };
    if shown.0 != *wanted {
        shown.0 = wanted.clone();
    }
    for entity in [chains.b.camera, chains.camera] {
        if let Ok(mut camera) = cameras.get_mut(entity)
            && camera.is_active != split.enabled
        {
            camera.is_active = split.enabled;
        }
    }
    if !split.enabled {
        return;
    }
    if let Ok(mut b) = settings.get_mut(chains.b.camera)
        && *b != split.b
    {
        *b = split.b.clone();
    }
    let Some(frame) = &current.frame else {
        return;
    };
    let (width, height) = (frame.width as f32, frame.height as f32);
    let column = split.divider_column(frame.width) as f32;
    for (part, mut sprite, mut transform) in &mut parts {
        // World origin at the frame's centre, one unit a pixel.
        let (size, centre_x, rect) = match part {
            SplitPart::A => (Vec2::new(width, height), 0.0, None),
            SplitPart::B => (
                Vec2::new(width - column, height),
                column + (width - column) / 2.0 - width / 2.0,
                Some(Rect::new(column, 0.0, width, height)),
            ),
            SplitPart::Divider => (Vec2::new(DIVIDER_WIDTH, height), column - width / 2.0, None),
        };
        if sprite.custom_size != Some(size) || sprite.rect != rect {
            sprite.custom_size = Some(size);
            sprite.rect = rect;
        }
        if transform.translation.x != centre_x {
            transform.translation.x = centre_x;
        }
    }
}
