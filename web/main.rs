//! `backdrop-web`: the playground in the browser, built once for WebGL2 and once for WebGPU
//! (`make web`; `web/index.html` loads the build the browser can run). The same plugins as the
//! desktop playground; the page bridge ([`bevy_backdrop::web`]) adds the browser's camera and
//! files, the page's controls, and the page's state as JSON on `window.backdropState`.

use bevy::asset::AssetMetaCheck;
use bevy::prelude::*;
use bevy_backdrop::BackdropPlugins;
use bevy_backdrop::capture::{CaptureSettings, SourceSpec};
use bevy_backdrop::effects::{BackdropSettings, FrameChain};
use bevy_backdrop::inference::{InferencePlugin, InferenceSettings, ModelSourcePlugin};
use bevy_backdrop::overlay::OverlayPanels;
use bevy_backdrop::preset::PresetCatalog;
use bevy_backdrop::web::{PageOptions, WebPagePlugin};

fn main() {
    let options = PageOptions::from_address();
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
            source: options
                .source
                .clone()
                .unwrap_or(SourceSpec::Camera { index: 0 }),
            ..default()
        });
    if options.model.as_deref() == Some("none") {
        app.add_plugins(BackdropPlugins.build().disable::<InferencePlugin>());
    } else {
        let defaults = InferenceSettings::default();
        app.insert_resource(InferenceSettings {
            model: options.model.clone().unwrap_or(defaults.model),
            backend: options.engine.unwrap_or(defaults.backend),
            ..defaults
        })
        .add_plugins(BackdropPlugins);
    }
    app.add_plugins(WebPagePlugin);
    if let Some(background) = options.background {
        let camera = app.world().resource::<FrameChain>().camera;
        let mut settings = BackdropSettings::default();
        settings.composite.background = background;
        app.world_mut().entity_mut(camera).insert(settings);
    }
    let mut panels = if options.overlay {
        OverlayPanels::default()
    } else {
        // The page has its own status line.
        OverlayPanels {
            status: false,
            performance: false,
            comparison: false,
            preset_editor: false,
            preset_text: false,
            keys: false,
        }
    };
    panels.preset_text |= options.editor;
    app.insert_resource(panels);
    app.run();
}
