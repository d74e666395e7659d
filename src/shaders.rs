//! The WGSL of every stage lives in the top-level `shaders/` folder. Each file is embedded into
//! the library (other apps and the web build need no files) under
//! `embedded://bevy_backdrop/shaders/NAME`, and with Bevy's `embedded_watcher` an edit of the
//! file on disk reloads it while the app runs.

use std::path::{Path, PathBuf};

use bevy::asset::io::embedded::EmbeddedAssetRegistry;
use bevy::prelude::*;

/// The asset path a shader is loaded from.
pub fn shader_asset_path(name: &str) -> String {
    format!("embedded://bevy_backdrop/shaders/{name}")
}

/// Registers an embedded shader under [`shader_asset_path`]`(name)`.
pub fn register_shader(app: &mut App, name: &str, bytes: &'static [u8]) {
    // The source file, for `embedded_watcher` only (as Bevy's `embedded_asset!` records
    // `file!()`): edits in a checkout reload the shader; nothing is read from it otherwise, so
    // an installed binary or the web build works without it.
    let on_disk = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("shaders")
        .join(name);
    let embedded_path = Path::new("bevy_backdrop/shaders").join(name);
    app.world_mut()
        .resource_mut::<EmbeddedAssetRegistry>()
        .insert_asset(on_disk, &embedded_path, bytes);
}
