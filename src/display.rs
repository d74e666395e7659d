//! The window: shows the chain's frame-sized output letterboxed (aspect kept, centred, black
//! bars), on its own camera so the chain's passes never touch the window.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::PrimaryEguiContext;

use crate::capture::CurrentFrame;
use crate::effects::FrameChain;
use crate::effects::split::{ShownImage, SplitView};

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
            .add_systems(Update, drag_divider)
            .add_systems(
                PostUpdate,
                (show_image, letterbox).before(TransformSystems::Propagate),
            );
    }
}

fn spawn_window_view(mut commands: Commands, chain: Res<FrameChain>) {
    commands.spawn((
        Name::new("window camera"),
        WindowCamera,
        Camera2d,
        // After the chains (−1) and the split view (0), whose images it shows.
        Camera {
            order: 1,
            ..default()
        },
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

/// Where the frame is drawn in the window, in logical pixels from the top left.
pub fn frame_rect(window: &Window, frame_width: u32, frame_height: u32) -> Rect {
    let area = Vec2::new(window.width(), window.height());
    let size = fit_inside(Vec2::new(frame_width as f32, frame_height as f32), area);
    Rect::from_center_size(area / 2.0, size)
}

fn show_image(
    shown: Option<Res<ShownImage>>,
    mut sprites: Query<&mut Sprite, With<DisplayedFrame>>,
) {
    let Some(shown) = shown else {
        return;
    };
    for mut sprite in &mut sprites {
        if sprite.image != shown.0 {
            sprite.image = shown.0.clone();
        }
    }
}

/// Drags the split view's divider with the mouse (grab it within 12 px).
fn drag_divider(
    mut split: ResMut<SplitView>,
    mouse: Res<ButtonInput<MouseButton>>,
    window: Single<&Window, With<PrimaryWindow>>,
    current: Res<CurrentFrame>,
    egui: Option<Res<bevy_egui::input::EguiWantsInput>>,
    mut dragging: Local<bool>,
) {
    if !split.enabled || !mouse.pressed(MouseButton::Left) {
        *dragging = false;
        return;
    }
    let (Some(cursor), Some(frame)) = (window.cursor_position(), &current.frame) else {
        return;
    };
    let rect = frame_rect(&window, frame.width, frame.height);
    if rect.width() <= 0.0 {
        return;
    }
    let divider_x = rect.min.x + split.divider * rect.width();
    if mouse.just_pressed(MouseButton::Left) {
        let over_panel = egui.is_some_and(|e| e.wants_any_pointer_input());
        *dragging = !over_panel && (cursor.x - divider_x).abs() <= 12.0;
    }
    if *dragging {
        let divider = ((cursor.x - rect.min.x) / rect.width()).clamp(0.0, 1.0);
        if divider != split.divider {
            split.divider = divider;
        }
    }
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
