//! The plugins in an app of your own: `BackdropPlugins` (without the playground's window view and
//! overlay) playing the bundled sample portrait, and a system of yours that reads the mask — how
//! much of the picture is the person — and saves the chain's picture once the first mask is in.
//!
//! ```text
//! cargo run --release --example your_own_app -- OUT_DIR    # writes OUT_DIR/your_own_app.png
//! ```
//!
//! It runs without a window (Bevy's headless set-up and a schedule runner); in a windowed app add
//! `DefaultPlugins` instead and show [`FrameChain::target`] on a sprite or UI image of your own.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy_backdrop::capture::{CaptureSettings, SourceSpec};
use bevy_backdrop::display::DisplayPlugin;
use bevy_backdrop::effects::FrameChain;
use bevy_backdrop::inference::{CurrentMask, ModelSourcePlugin};
use bevy_backdrop::overlay::OverlayPlugin;
use bevy_backdrop::{BackdropPlugins, headless_default_plugins};

/// App frames to wait for the first mask before giving up.
const PATIENCE: u32 = 2_000;

#[derive(Resource)]
struct Output {
    picture: PathBuf,
    saved: Arc<AtomicBool>,
    requested: bool,
}

fn main() -> AppExit {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("your_own_app_out"), PathBuf::from);
    std::fs::create_dir_all(&dir).expect("the output folder can be made");
    App::new()
        // The `models` asset source, before DefaultPlugins builds the asset server.
        .add_plugins(ModelSourcePlugin::default())
        .add_plugins(
            headless_default_plugins(true)
                .add(ScheduleRunnerPlugin::run_loop(Duration::from_millis(2))),
        )
        .insert_resource(CaptureSettings {
            source: SourceSpec::Sample,
            ..default()
        })
        .add_plugins(
            BackdropPlugins
                .build()
                .disable::<DisplayPlugin>()
                .disable::<OverlayPlugin>(),
        )
        .insert_resource(Output {
            picture: dir.join("your_own_app.png"),
            saved: Arc::new(AtomicBool::new(false)),
            requested: false,
        })
        .add_systems(Update, read_the_mask)
        .run()
}

/// Yours: once a mask is there, say how much of the model's view is the person and save the
/// chain's picture; quit when it is on disk.
fn read_the_mask(
    mask: Res<CurrentMask>,
    chain: Res<FrameChain>,
    mut output: ResMut<Output>,
    mut frames: Local<u32>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    *frames += 1;
    if output.saved.load(Ordering::Relaxed) {
        println!("your_own_app: saved {}", output.picture.display());
        exit.write(AppExit::Success);
        return;
    }
    let Some(mask) = &mask.mask else {
        if *frames > PATIENCE {
            error!("your_own_app: no mask after {PATIENCE} frames");
            exit.write(AppExit::error());
        }
        return;
    };
    if output.requested {
        return;
    }
    let probability = mask.probability();
    let person = probability.iter().filter(|&&p| p > 0.5).count() as f64;
    println!(
        "your_own_app: the person covers {:.1}% of the {}×{} mask ({} on {}, {:.1} ms)",
        100.0 * person / probability.len() as f64,
        mask.width,
        mask.height,
        mask.model_id,
        mask.backend,
        mask.inference_ms
    );
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
