//! The window: the chain's frame-sized output letterboxed (aspect kept, centred, black bars) with
//! the overlay over it, on a camera of its own so the chain's passes never touch the window.
//!
//! The window is written by one pass ([`pass`]): the picture, the bars and the overlay's layer,
//! each window pixel once. The camera runs a render schedule of its own: no main 2D passes, no
//! final blit of its main texture; the main texture holds only what egui draws, and is cleared
//! (by egui's pass) only on frames where egui draws something. Drawn the usual way (a sprite into
//! the main texture, then Bevy's blit into the window) the window costs two full-window passes
//! and two clears; on a software rasteriser (the browser's SwiftShader here) those were the
//! largest part of a frame.

mod pass;

use bevy::camera::{CameraOutputMode, ClearColorConfig};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiPostUpdateSet, EguiRenderOutput, PrimaryEguiContext};

use crate::capture::CurrentFrame;
use crate::effects::split::SplitView;

pub use pass::WindowView;

pub struct DisplayPlugin;

/// The camera that shows the picture (the chain's output, or the split view's) with the overlay:
/// the window's, or any camera given this marker (on an image target, as the tests do).
#[derive(Component)]
pub struct WindowCamera;

impl Plugin for DisplayPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ClearColor(Color::BLACK))
            .add_systems(Startup, spawn_window_view)
            .add_systems(Update, drag_divider)
            .add_systems(
                PostUpdate,
                clear_the_overlay_layer_when_drawn.after(EguiPostUpdateSet::ProcessOutput),
            )
            .add_plugins(pass::DisplayPassPlugin);
    }
}

/// The window camera's settings: it draws nothing itself (the display pass writes the window),
/// egui draws into its main texture.
fn window_camera() -> impl Bundle {
    (
        Name::new("window camera"),
        WindowCamera,
        Camera2d,
        Camera {
            // After the chains (−1) and the split view (0), whose images it shows.
            order: 1,
            // Bevy acquires a window's swapchain texture for cameras that write their output;
            // the blit that writes it is in Core2d's schedule, which this camera does not run
            // (`pass::WindowView`): the display pass writes the window.
            output_mode: CameraOutputMode::default(),
            // Set each frame by `clear_the_overlay_layer_when_drawn`.
            clear_color: ClearColorConfig::None,
            ..default()
        },
        pass::window_view_graph(),
        Msaa::Off,
    )
}

fn spawn_window_view(mut commands: Commands) {
    commands.spawn((window_camera(), PrimaryEguiContext));
}

/// The overlay's layer (the window camera's main texture) is cleared to transparent on frames
/// where egui draws, and left alone (not read either) on frames where it draws nothing.
fn clear_the_overlay_layer_when_drawn(
    mut cameras: Query<(&mut Camera, Option<&EguiRenderOutput>), With<WindowCamera>>,
) {
    for (mut camera, output) in &mut cameras {
        let drawn = pass::overlay_drawn(output);
        if drawn != matches!(camera.clear_color, ClearColorConfig::Custom(_)) {
            camera.clear_color = if drawn {
                ClearColorConfig::Custom(Color::NONE)
            } else {
                ClearColorConfig::None
            };
        }
    }
}

/// The largest size of `frame` that fits in `area` with the aspect ratio kept.
pub fn fit_inside(frame: Vec2, area: Vec2) -> Vec2 {
    if frame.x <= 0.0 || frame.y <= 0.0 {
        return Vec2::ZERO;
    }
    frame * (area.x / frame.x).min(area.y / frame.y)
}

/// Where a picture of `picture` pixels is drawn on a target of `target` pixels: the largest size
/// that fits with the aspect kept, centred, corners on whole pixels (so a picture the target's
/// height or width is drawn pixel for pixel).
pub fn picture_rect(picture: Vec2, target: Vec2) -> Rect {
    let size = fit_inside(picture, target).round();
    let min = ((target - size) / 2.0).floor();
    Rect::from_corners(min, min + size)
}

/// Where the frame is drawn in the window, in logical pixels from the top left.
pub fn frame_rect(window: &Window, frame_width: u32, frame_height: u32) -> Rect {
    let scale = window.scale_factor();
    let physical = picture_rect(
        Vec2::new(frame_width as f32, frame_height as f32),
        Vec2::new(
            window.physical_width() as f32,
            window.physical_height() as f32,
        ),
    );
    Rect::from_corners(physical.min / scale, physical.max / scale)
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

    #[test]
    fn the_picture_rectangle_is_centred_on_whole_pixels() {
        // The browser's canvas at the picture's height: drawn pixel for pixel, bars of 43 and 44.
        let rect = picture_rect(Vec2::new(960., 540.), Vec2::new(1047., 540.));
        assert_eq!(
            (rect.min, rect.size()),
            (Vec2::new(43., 0.), Vec2::new(960., 540.))
        );
        let rect = picture_rect(Vec2::new(64., 48.), Vec2::new(160., 96.));
        assert_eq!(
            (rect.min, rect.size()),
            (Vec2::new(16., 0.), Vec2::new(128., 96.))
        );
        let rect = picture_rect(Vec2::new(100., 10.), Vec2::new(50., 51.));
        assert_eq!(
            (rect.min, rect.size()),
            (Vec2::new(0., 23.), Vec2::new(50., 5.))
        );
    }
}
