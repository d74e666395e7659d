//! # bevy_backdrop
//!
//! Real-time virtual backgrounds as Bevy plugins. Frames flow one way:
//! capture → (inference) → effects chain in frame space → window or disk.
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_backdrop::BackdropPlugins;
//! use bevy_backdrop::inference::ModelSourcePlugin;
//!
//! App::new()
//!     // Models come from the `models` asset source; like every source it exists before
//!     // `DefaultPlugins`.
//!     .add_plugins(ModelSourcePlugin::default())
//!     .add_plugins(DefaultPlugins)
//!     .add_plugins(BackdropPlugins)
//!     .run();
//! ```
//!
//! The capture opens camera 0 by default and falls back to a bundled sample portrait; insert a
//! [`capture::CaptureSettings`] resource first to choose another source. For presets, install a
//! [`preset::PresetCatalog`] before `DefaultPlugins` (its folders become asset sources).

#[cfg(feature = "native")]
pub mod batch;
pub mod capture;
pub mod display;
pub mod effects;
pub mod inference;
pub mod limits;
pub mod memory;
pub mod overlay;
pub mod preset;
pub mod shaders;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub mod web;

use bevy::app::PluginGroupBuilder;
use bevy::prelude::*;
use bevy::window::ExitCondition;

/// Everything the playground shows in a window: live capture, the effects chain, the letterboxed
/// window view and the overlay. Add after Bevy's `DefaultPlugins`.
pub struct BackdropPlugins;

impl PluginGroup for BackdropPlugins {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::start::<Self>()
            .add(capture::FramePlugin)
            .add(capture::CapturePlugin)
            .add(inference::InferencePlugin)
            .add(effects::EffectsPlugin)
            .add(preset::PresetPlugin)
            .add(display::DisplayPlugin)
            .add(overlay::OverlayPlugin)
    }
}

/// Bevy's default plugins set up to render without a window: no winit, no window, pipelines
/// compiled before the frame that needs them (so frame 0 is drawn, not skipped), and rendering in
/// step with the main world (exact frame-by-frame output). `log: false` leaves logging to the
/// caller (tests run many apps in one process, and a logger can be installed only once).
pub fn headless_default_plugins(log: bool) -> PluginGroupBuilder {
    let plugins = DefaultPlugins
        .build()
        .set(WindowPlugin {
            primary_window: None,
            exit_condition: ExitCondition::DontExit,
            ..default()
        })
        .disable::<bevy::winit::WinitPlugin>()
        .set(bevy::render::RenderPlugin {
            synchronous_pipeline_compilation: true,
            ..default()
        });
    #[cfg(not(target_arch = "wasm32"))]
    let plugins = plugins.disable::<bevy::render::pipelined_rendering::PipelinedRenderingPlugin>();
    if log {
        plugins
    } else {
        plugins.disable::<bevy::log::LogPlugin>()
    }
}
