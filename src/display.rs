//! The window: shows the chain's frame-sized output letterboxed (aspect kept, centred, black
//! bars), on its own camera so the chain's passes never touch the window.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::PrimaryEguiContext;

use crate::capture::CurrentFrame;
use crate::effects::FrameChain;

pub struct DisplayPlugin;

/// The sprite in the window that shows the chain's output.
#[derive(Component)]
pub struct DisplayedFrame;

/// The camera that draws into the window (and carries the egui overlay).
#[derive(Component)]
pub struct WindowCamera;

impl Plugin for DisplayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ClearColor(Color::BLACK))
            .add_systems(Startup, spawn_window_view)
            .add_systems(PostUpdate, letterbox.before(TransformSystems::Propagate));
    }
}

fn spawn_window_view(mut commands: Commands, chain: Res<FrameChain>) {
    commands.spawn((
        Name::new("window camera"),
        WindowCamera,
        Camera2d,
        Msaa::Off,
        PrimaryEguiContext,
    ));
    commands.spawn((
        DisplayedFrame,
        Sprite {
            image: chain.target.clone(),
            custom_size: Some(Vec2::ZERO),
            ..default()
        },
    ));
}

/// The largest size of `frame` that fits in `area` with the aspect ratio kept.
pub fn fit_inside(frame: Vec2, area: Vec2) -> Vec2 {
    if frame.x <= 0.0 || frame.y <= 0.0 {
        return Vec2::ZERO;
    }
    frame * (area.x / frame.x).min(area.y / frame.y)
}

fn letterbox(
    current: Res<CurrentFrame>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut shown: Query<&mut Sprite, With<DisplayedFrame>>,
) {
    let Some(frame) = &current.frame else {
        return;
    };
    let size = fit_inside(
        Vec2::new(frame.width as f32, frame.height as f32),
        Vec2::new(window.width(), window.height()),
    );
    for mut sprite in &mut shown {
        if sprite.custom_size != Some(size) {
            sprite.custom_size = Some(size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_touches_two_sides() {
        assert_eq!(
            fit_inside(Vec2::new(640., 480.), Vec2::new(1280., 720.)),
            Vec2::new(960., 720.)
        );
        assert_eq!(
            fit_inside(Vec2::new(100., 10.), Vec2::new(50., 50.)),
            Vec2::new(50., 5.)
        );
        assert_eq!(
            fit_inside(Vec2::new(0., 10.), Vec2::new(50., 50.)),
            Vec2::ZERO
        );
    }
}
