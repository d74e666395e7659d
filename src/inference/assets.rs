//! Models as assets: the table (`models.ron`, a [`ModelTable`]) and each model's bytes (an
//! [`OnnxModel`]) load through Bevy's `AssetServer`, so the same code reads them from disk natively
//! and over HTTP on the web.
//!
//! They come from the `models` asset source, which [`ModelSourcePlugin`] registers (before
//! `DefaultPlugins`, as every asset source must be): the `models/` folder beside `assets/` — under
//! `BEVY_ASSET_ROOT`, the package folder under `cargo run`, or next to the executable — or a folder
//! of your own; on the web, `models/` beside the page. An app that registers no such source reads
//! them from `assets/models/` through its default source.

use std::path::PathBuf;
use std::sync::Arc;

use bevy::asset::io::{AssetReaderError, AssetSourceBuilder, Reader};
use bevy::asset::{AssetLoadError, AssetLoader, AssetPath, LoadContext};
use bevy::prelude::*;

use super::models::{ModelError, ModelInfo};

/// The asset source the models are read from.
pub const MODELS_SOURCE: &str = "models";

/// The model table, `models.ron`.
#[derive(Asset, TypePath, Clone, Debug, PartialEq)]
pub struct ModelTable {
    pub models: Vec<ModelInfo>,
}

impl ModelTable {
    /// The row of the model `id`, or the error that lists the known ids.
    pub fn get(&self, id: &str) -> Result<&ModelInfo, ModelError> {
        super::models::find_model(&self.models, id)
    }

    pub fn ids(&self) -> Vec<String> {
        super::models::model_ids(&self.models)
    }
}

/// A model file's bytes, handed to a backend without a copy.
#[derive(Asset, TypePath, Clone, Debug)]
pub struct OnnxModel {
    pub bytes: Arc<[u8]>,
}

/// Why an asset of this module could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelAssetError {
    #[error("cannot read it: {0}")]
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Table(String),
}

/// Reads `models.ron` (loaded by type, so the file keeps its plain `.ron` name).
#[derive(Default, TypePath)]
pub struct ModelTableLoader;

impl AssetLoader for ModelTableLoader {
    type Asset = ModelTable;
    type Settings = ();
    type Error = ModelAssetError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        _context: &mut LoadContext<'_>,
    ) -> Result<ModelTable, ModelAssetError> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        let text = String::from_utf8_lossy(&bytes);
        let models = ron::from_str(&text).map_err(|e| ModelAssetError::Table(e.to_string()))?;
        Ok(ModelTable { models })
    }
}

/// Reads `*.onnx` files as bytes; the backend parses them.
#[derive(Default, TypePath)]
pub struct OnnxModelLoader;

impl AssetLoader for OnnxModelLoader {
    type Asset = OnnxModel;
    type Settings = ();
    type Error = ModelAssetError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _settings: &(),
        _context: &mut LoadContext<'_>,
    ) -> Result<OnnxModel, ModelAssetError> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        Ok(OnnxModel {
            bytes: bytes.into(),
        })
    }

    fn extensions(&self) -> &[&str] {
        &["onnx"]
    }
}

/// Where the models are read from, and how to name that place to the user.
#[derive(Resource, Clone, Debug)]
pub struct ModelsLocation {
    /// The asset source (`None`: the app's default source).
    source: Option<&'static str>,
    /// Folder inside the source, empty or ending in `/`.
    prefix: String,
    /// The folder as the user finds it: a path natively, a path under the page's address on the
    /// web.
    pub shown: String,
    /// The folder on disk, natively (for tools that read files themselves, like the comparer's
    /// own thread).
    pub on_disk: Option<PathBuf>,
}

impl ModelsLocation {
    /// `assets/models/` through the default source: for apps that register no `models` source.
    pub fn in_default_source() -> Self {
        let on_disk = native_base_path().map(|base| base.join("assets/models"));
        Self {
            source: None,
            prefix: "models/".into(),
            shown: on_disk
                .as_ref()
                .map_or("assets/models/ (beside the page)".into(), |p| {
                    p.display().to_string()
                }),
            on_disk,
        }
    }

    /// The asset path of a file in the models folder.
    pub fn asset_path(&self, file: &std::path::Path) -> AssetPath<'static> {
        let path = AssetPath::from(format!("{}{}", self.prefix, file.to_string_lossy()));
        match self.source {
            Some(source) => path.with_source(source),
            None => path,
        }
    }

    /// The path the user would look for a file at.
    pub fn shown_path(&self, file: &std::path::Path) -> PathBuf {
        PathBuf::from(&self.shown).join(file)
    }

    /// Turns a failed load of `file` into an error that names the folder looked in.
    pub fn load_error(&self, file: &std::path::Path, error: &AssetLoadError) -> ModelError {
        let path = self.shown_path(file);
        match error {
            AssetLoadError::AssetReaderError(AssetReaderError::NotFound(_)) => {
                ModelError::NotInFolder {
                    file: file.to_owned(),
                    folder: self.shown.clone(),
                }
            }
            AssetLoadError::AssetLoaderError(e) => {
                match e.error().downcast_ref::<ModelAssetError>() {
                    Some(ModelAssetError::Table(message)) => ModelError::Table {
                        path,
                        message: message.clone(),
                    },
                    _ => ModelError::Unreadable {
                        path,
                        message: e.error().to_string(),
                    },
                }
            }
            other => ModelError::Unreadable {
                path,
                message: other.to_string(),
            },
        }
    }
}

/// Registers the `models` asset source. Add it before `DefaultPlugins` (asset sources are fixed
/// when Bevy's `AssetPlugin` builds).
#[derive(Default)]
pub struct ModelSourcePlugin {
    /// The folder with `models.ron` and the model files; relative paths start at Bevy's asset
    /// base (`BEVY_ASSET_ROOT`, the package under `cargo run`, or the executable's folder).
    /// `None`: `models`.
    pub folder: Option<PathBuf>,
}

impl Plugin for ModelSourcePlugin {
    fn build(&self, app: &mut App) {
        use bevy::asset::AssetApp;
        let folder = self.folder.clone().unwrap_or_else(|| "models".into());
        let on_disk = native_base_path().map(|base| base.join(&folder));
        let root = on_disk
            .as_ref()
            .unwrap_or(&folder)
            .to_string_lossy()
            .into_owned();
        app.register_asset_source(
            MODELS_SOURCE,
            AssetSourceBuilder::platform_default(&root, None),
        )
        .insert_resource(ModelsLocation {
            source: Some(MODELS_SOURCE),
            prefix: String::new(),
            shown: on_disk
                .as_ref()
                .map_or(format!("{} (beside the page)", folder.display()), |p| {
                    p.display().to_string()
                }),
            on_disk,
        });
    }
}

/// Bevy's base folder for file assets (natively).
fn native_base_path() -> Option<PathBuf> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        Some(bevy::asset::io::file::FileAssetReader::get_base_path())
    }
    #[cfg(target_arch = "wasm32")]
    {
        None
    }
}
