//! The display pass: a window camera's target is the shown picture letterboxed (bilinear, aspect
//! kept, centred) over black, with egui's layer over it on frames where egui draws — compared
//! with a CPU reference of the same, on a camera whose target is an image of the window's kind
//! (an sRGB view).

use std::sync::{Arc, Mutex};

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy_backdrop::capture::{Frame, FramePlugin, IncomingFrame};
use bevy_backdrop::display::{DisplayPlugin, WindowCamera};
use bevy_backdrop::effects::EffectsPlugin;
use bevy_egui::{EguiContexts, EguiGlobalSettings, EguiPlugin, EguiPrimaryContextPass, egui};

use crate::common::{gpu_lock, make_ready, noise_image};

const FRAME: (u32, u32) = (64, 48);
const TARGET: (u32, u32) = (160, 96);
/// Where the 64×48 frame lands on the 160×96 target: scaled by 2 to 128×96, centred.
const PICTURE: (u32, u32, u32, u32) = (16, 0, 128, 96);
/// The overlay's box, in target pixels (egui's points: the image target's scale is 1).
const BOX: (u32, u32, u32, u32) = (40, 20, 30, 16);

/// Whether the test's egui system paints the box this frame.
#[derive(Resource)]
struct PaintBox(bool);

fn paint_box(mut contexts: EguiContexts, paint: Res<PaintBox>) -> Result {
    if paint.0 {
        let ctx = contexts.ctx_mut()?;
        let (x, y, w, h) = BOX;
        ctx.layer_painter(egui::LayerId::background()).rect_filled(
            egui::Rect::from_min_size(
                egui::pos2(x as f32, y as f32),
                egui::vec2(w as f32, h as f32),
            ),
            0.0,
            egui::Color32::from_rgb(255, 0, 0),
        );
    }
    Ok(())
}

fn app() -> (App, Handle<Image>) {
    let mut app = App::new();
    app.add_plugins(bevy_backdrop::headless_default_plugins(false))
        .add_plugins((FramePlugin, EffectsPlugin, DisplayPlugin))
        .add_plugins(EguiPlugin::default())
        // The window camera is the primary context (as the overlay makes it), not the first
        // camera egui finds.
        .insert_resource(EguiGlobalSettings {
            auto_create_primary_context: false,
            ..default()
        })
        .insert_resource(PaintBox(false))
        .add_systems(EguiPrimaryContextPass, paint_box);
    make_ready(&mut app);
    let mut target =
        Image::new_target_texture(TARGET.0, TARGET.1, TextureFormat::Rgba8UnormSrgb, None);
    target.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let target = app.world_mut().resource_mut::<Assets<Image>>().add(target);
    // The plugin's window camera (spawned at startup), on the image instead of a window.
    app.update();
    let camera = app
        .world_mut()
        .query_filtered::<Entity, With<WindowCamera>>()
        .single(app.world())
        .expect("one window camera");
    app.world_mut()
        .entity_mut(camera)
        .insert(RenderTarget::Image(target.clone().into()));
    (app, target)
}

/// Runs frames of the noise picture, then reads the target back.
fn render(app: &mut App, target: &Handle<Image>, frames: u32) -> image::RgbaImage {
    let pixels = noise_image(FRAME.0, FRAME.1, 7).into_raw();
    let mut k = 0;
    let mut next = |app: &mut App| {
        app.world_mut().resource_mut::<IncomingFrame>().0 =
            Some(Frame::new(k, FRAME.0, FRAME.1, pixels.clone()));
        k += 1;
        app.update();
    };
    for _ in 0..frames {
        next(app);
    }
    let captured: Arc<Mutex<Option<Image>>> = Arc::default();
    let slot = Arc::clone(&captured);
    app.world_mut()
        .spawn(Screenshot::image(target.clone()))
        .observe(move |shot: On<ScreenshotCaptured>| {
            *slot.lock().unwrap() = Some(shot.image.clone());
        });
    for _ in 0..20 {
        next(app);
        if let Some(image) = captured.lock().unwrap().take() {
            return bevy_backdrop::effects::picture_rgba(image).expect("an 8-bit RGBA capture");
        }
    }
    panic!("the target was not read back in 20 frames");
}

/// The reference: the frame sampled bilinearly (clamped at its edges) at each target pixel's
/// centre inside the picture's rectangle, black outside it.
fn reference() -> image::RgbaImage {
    let frame = noise_image(FRAME.0, FRAME.1, 7);
    let (px, py, pw, ph) = PICTURE;
    image::RgbaImage::from_fn(TARGET.0, TARGET.1, |x, y| {
        if x < px || x >= px + pw || y < py || y >= py + ph {
            return image::Rgba([0, 0, 0, 255]);
        }
        let u = (x as f32 + 0.5 - px as f32) / pw as f32 * FRAME.0 as f32 - 0.5;
        let v = (y as f32 + 0.5 - py as f32) / ph as f32 * FRAME.1 as f32 - 0.5;
        let at = |i: f32, j: f32| {
            let i = i.clamp(0.0, (FRAME.0 - 1) as f32) as u32;
            let j = j.clamp(0.0, (FRAME.1 - 1) as f32) as u32;
            frame.get_pixel(i, j).0.map(f32::from)
        };
        let (i, j) = (u.floor(), v.floor());
        let (fu, fv) = (u - i, v - j);
        let channel = |c: usize| {
            let top = at(i, j)[c] * (1.0 - fu) + at(i + 1.0, j)[c] * fu;
            let bottom = at(i, j + 1.0)[c] * (1.0 - fu) + at(i + 1.0, j + 1.0)[c] * fu;
            (top * (1.0 - fv) + bottom * fv).round() as u8
        };
        image::Rgba([channel(0), channel(1), channel(2), 255])
    })
}

fn in_box(x: u32, y: u32) -> bool {
    let (bx, by, bw, bh) = BOX;
    x >= bx && x < bx + bw && y >= by && y < by + bh
}

/// Largest RGB difference from the reference over the pixels `which` selects, with where.
fn worst(
    got: &image::RgbaImage,
    want: &image::RgbaImage,
    which: impl Fn(u32, u32) -> bool,
) -> (u8, (u32, u32)) {
    let mut worst = (0, (0, 0));
    for (x, y, p) in got.enumerate_pixels() {
        if !which(x, y) {
            continue;
        }
        let q = want.get_pixel(x, y);
        let d = (0..3).map(|c| p.0[c].abs_diff(q.0[c])).max().unwrap();
        if d > worst.0 {
            worst = (d, (x, y));
        }
    }
    worst
}

#[test]
fn the_window_shows_the_picture_letterboxed_with_the_overlay_over_it() {
    let _gpu = gpu_lock();
    let (mut app, target) = app();
    let want = reference();

    // No overlay: the picture in its rectangle, black bars, nothing of egui's layer read.
    let plain = render(&mut app, &target, 4);
    assert_eq!(plain.dimensions(), TARGET);
    let (d, at) = worst(&plain, &want, |_, _| true);
    println!("display, no overlay: max |GPU − CPU| = {d}/255 at {at:?}");
    assert!(
        d <= 2,
        "the window differs from the letterboxed picture by {d}/255 at {at:?}"
    );

    // The overlay draws an opaque box: the box over the picture, the rest unchanged.
    app.world_mut().resource_mut::<PaintBox>().0 = true;
    let with_box = render(&mut app, &target, 2);
    let (bx, by, bw, bh) = BOX;
    for (x, y) in [
        (bx, by),
        (bx + bw - 1, by + bh - 1),
        (bx + bw / 2, by + bh / 2),
    ] {
        assert_eq!(
            with_box.get_pixel(x, y).0,
            [255, 0, 0, 255],
            "the overlay's box is not over the picture at ({x}, {y})"
        );
    }
    let (d, at) = worst(&with_box, &want, |x, y| !in_box(x, y));
    println!("display, overlay: max |GPU − CPU| outside the box = {d}/255 at {at:?}");
    assert!(
        d <= 2,
        "around the overlay the picture differs by {d}/255 at {at:?}"
    );

    // The overlay draws nothing again: no trace of the box is left.
    app.world_mut().resource_mut::<PaintBox>().0 = false;
    let after = render(&mut app, &target, 2);
    let (d, at) = worst(&after, &want, |_, _| true);
    assert!(
        d <= 2,
        "after the overlay went, the window differs by {d}/255 at {at:?}"
    );
}
