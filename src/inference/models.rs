//! The model table (`models/models.ron`), its rows, and the errors of loading and running a model.
//! The app loads both through the `AssetServer` ([`super::assets`]); [`ModelRegistry`] reads them
//! straight from a folder, for native tools (benchmarks, the comparer's own thread).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The table shipped with the library, for when no `models/` folder is given.
pub const BUNDLED_MODEL_TABLE: &str = include_str!("../../models/models.ron");

/// The `models/` folder the `models` asset source reads natively by default: under Bevy's asset
/// base (`BEVY_ASSET_ROOT`, the package folder under `cargo run`/`cargo test`, or the executable's
/// folder).
#[cfg(not(target_arch = "wasm32"))]
pub fn default_models_dir() -> PathBuf {
    bevy::asset::io::file::FileAssetReader::get_base_path().join("models")
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum Layout {
    Nhwc,
    Nchw,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub enum InputRange {
    ZeroToOne,
    MinusOneToOne,
}

/// What a model's output holds per pixel (decoded into a probability by the mask stage).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Hash)]
pub enum OutputKind {
    Probability,
    Logits,
    TwoClassLogits,
}

impl OutputKind {
    /// Channels the output has per pixel.
    pub fn channels(self) -> usize {
        match self {
            OutputKind::TwoClassLogits => 2,
            _ => 1,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ModelInput {
    pub width: u32,
    pub height: u32,
    pub layout: Layout,
    pub range: InputRange,
}

/// One row of the model table.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ModelInfo {
    pub id: String,
    pub name: String,
    pub file: PathBuf,
    pub input: ModelInput,
    pub output: OutputKind,
    pub licence: String,
    #[serde(default)]
    pub sha256: Option<String>,
}

impl ModelInfo {
    /// Shape of the input tensor.
    pub fn input_shape(&self) -> [usize; 4] {
        let (w, h) = (self.input.width as usize, self.input.height as usize);
        match self.input.layout {
            Layout::Nhwc => [1, h, w, 3],
            Layout::Nchw => [1, 3, h, w],
        }
    }

    /// Shape of the output tensor (channels last for NHWC models, first for NCHW ones).
    pub fn output_shape(&self) -> [usize; 4] {
        let (w, h) = (self.input.width as usize, self.input.height as usize);
        let c = self.output.channels();
        match self.input.layout {
            Layout::Nhwc => [1, h, w, c],
            Layout::Nchw => [1, c, h, w],
        }
    }

    /// Values in the output tensor.
    pub fn output_len(&self) -> usize {
        self.input.width as usize * self.input.height as usize * self.output.channels()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: model table: {message}", path.display())]
    Table { path: PathBuf, message: String },
    #[error("no model with id {id:?} (known: {known})")]
    UnknownId { id: String, known: String },
    #[error("{}: model file not found", path.display())]
    Missing { path: PathBuf },
    #[error("{}: not found in {folder} (the `models` asset source: a `models/` folder beside `assets/` — under BEVY_ASSET_ROOT or next to the executable — or --models-dir)", file.display())]
    NotInFolder { file: PathBuf, folder: String },
    #[error("{}: cannot read the model: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: not a usable ONNX model ({backend}): {message}", path.display())]
    Corrupt {
        path: PathBuf,
        backend: &'static str,
        message: String,
    },
    #[error("{}: {what} is {found}, expected {expected} (from the model table)", path.display())]
    WrongShape {
        path: PathBuf,
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error("the {backend} backend is unavailable here: {reason}")]
    BackendUnavailable {
        backend: &'static str,
        reason: String,
    },
    #[error("{}: inference failed ({backend}): {message}", path.display())]
    Run {
        path: PathBuf,
        backend: &'static str,
        message: String,
    },
}

/// The row of the model `id`, or the error that lists the known ids.
pub fn find_model<'a>(models: &'a [ModelInfo], id: &str) -> Result<&'a ModelInfo, ModelError> {
    models
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ModelError::UnknownId {
            id: id.to_owned(),
            known: model_ids(models).join(", "),
        })
}

/// The ids of a table's rows, in order.
pub fn model_ids(models: &[ModelInfo]) -> Vec<String> {
    models.iter().map(|m| m.id.clone()).collect()
}

/// The model table and the folder its files are in.
#[derive(Clone, Debug)]
pub struct ModelRegistry {
    pub dir: PathBuf,
    pub models: Vec<ModelInfo>,
}

impl ModelRegistry {
    /// Reads `models.ron` from `dir`.
    #[cfg(feature = "native")]
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("models.ron");
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::Table {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Self::parse(dir, &text, &path)
    }

    /// The shipped table, with files looked up in `dir`.
    pub fn bundled(dir: &Path) -> Self {
        Self::parse(dir, BUNDLED_MODEL_TABLE, Path::new("models.ron"))
            .expect("the bundled model table parses")
    }

    fn parse(dir: &Path, text: &str, path: &Path) -> Result<Self, ModelError> {
        let models: Vec<ModelInfo> = ron::from_str(text).map_err(|e| ModelError::Table {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            models,
        })
    }

    pub fn get(&self, id: &str) -> Result<&ModelInfo, ModelError> {
        find_model(&self.models, id)
    }

    pub fn ids(&self) -> Vec<String> {
        model_ids(&self.models)
    }

    pub fn path_of(&self, model: &ModelInfo) -> PathBuf {
        self.dir.join(&model.file)
    }

    /// Reads a model's file.
    #[cfg(feature = "native")]
    pub fn read(&self, model: &ModelInfo) -> Result<Vec<u8>, ModelError> {
        let path = self.path_of(model);
        std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ModelError::Missing { path },
            _ => ModelError::Unreadable {
                path,
                message: e.to_string(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_table_lists_both_models() {
        let registry = ModelRegistry::bundled(&default_models_dir());
        assert_eq!(registry.ids(), ["general", "landscape"]);
        let landscape = registry.get("landscape").unwrap();
        assert_eq!(landscape.input_shape(), [1, 144, 256, 3]);
        assert_eq!(landscape.output_len(), 256 * 144);
        let unknown = registry.get("meet").unwrap_err().to_string();
        assert!(unknown.contains("general, landscape"), "{unknown}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let mut registry = ModelRegistry::bundled(Path::new("/nowhere"));
        registry.models[0].file = "gone.onnx".into();
        let error = registry
            .read(&registry.models[0].clone())
            .unwrap_err()
            .to_string();
        assert_eq!(error, "/nowhere/gone.onnx: model file not found");
    }
}
