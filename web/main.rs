//! `backdrop-web`: the playground in the browser, built once for WebGL2 and once for WebGPU
//! (`make web`; `web/index.html` loads the build the browser can run). The same plugins as the
//! desktop playground; the page bridge ([`bevy_backdrop::web`]) adds the browser's camera and
//! files, the page's controls, and the page's state as JSON on `window.backdropState`.

use bevy::asset::AssetMetaCheck;
use bevy::prelude::*;
use bevy_backdrop::BackdropPlugins;
use bevy_backdrop::capture::{CaptureSettings, SourceSpec};
use bevy_backdrop::inference::ModelSourcePlugin;
use bevy_backdrop::preset::PresetCatalog;
use bevy_backdrop::web::WebPagePlugin;

fn main() {
    let mut app = App::new();
    // Asset sources exist before the AssetPlugin builds: the shipped presets and the models,
    // both fetched over HTTP from beside the page.
    PresetCatalog::shipped().install(&mut app);
    app.add_plugins(ModelSourcePlugin::default())
        .add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: Some(Window {
                        title: "backdrop".into(),
                        canvas: Some("#backdrop-canvas".into()),
                        fit_canvas_to_parent: true,
                        // Keys and the mouse reach the page's own controls too.
                        prevent_default_event_handling: false,
                        ..default()
                    }),
                    ..default()
                })
                .set(AssetPlugin {
                    // No `.meta` files are served: don't ask for them (404s in the console).
                    meta_check: AssetMetaCheck::Never,
                    ..default()
                }),
        )
        .insert_resource(CaptureSettings {
            // The page's choice (`?source=sample`), or the browser's first camera; without one
            // (or without permission) the sample portrait, with the reason on the page.
            source: bevy_backdrop::web::start_source().unwrap_or(SourceSpec::Camera { index: 0 }),
            ..default()
        })
        .add_plugins((BackdropPlugins, WebPagePlugin))
        .run();
}
