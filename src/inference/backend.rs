//! Inference backends behind one trait: ONNX Runtime (native, loaded at run time), tract (pure
//! Rust, everywhere) and the GPU backend (the model as compute passes in the render world, where
//! the GPU has compute shaders).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

#[cfg(feature = "native")]
use super::models::ModelRegistry;
use super::models::{ModelError, ModelInfo};

/// A loaded model that turns an input tensor into the raw output.
pub trait SegmentationBackend: Send + Sync {
    /// Short name for screens and tables: `ort`, `tract`.
    fn backend_name(&self) -> &'static str;
    /// Runs the model on one input tensor (the shape of [`ModelInfo::input_shape`]); returns the
    /// output tensor's values.
    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, ModelError>;

    /// Like `run`, for the app's jobs: a future the app polls once a frame. By default `run`
    /// itself (on a pool thread natively); an engine that runs elsewhere (the browser's Web
    /// Worker) answers when it is done, without blocking the page.
    fn run_async<'a>(
        &'a mut self,
        input: Vec<f32>,
    ) -> bevy::tasks::BoxedFuture<'a, Result<Vec<f32>, ModelError>> {
        Box::pin(async move { self.run(&input) })
    }

    /// The engine's own ms for the last run, where it measures them itself (a worker's clock
    /// leaves out the messages to and from it); `None`: the app times the call.
    fn last_run_ms(&self) -> Option<f64> {
        None
    }

    /// The lowered network when the model runs on the GPU, in the render world, on the frame's
    /// texture (the GPU backend): the app then starts no CPU jobs for it.
    fn gpu_network(&self) -> Option<std::sync::Arc<super::gpu_network::Network>> {
        None
    }
}

/// Which backend to use: `--backend auto|ort|tract|gpu`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum BackendChoice {
    /// ONNX Runtime when its library loads, tract otherwise.
    #[default]
    Auto,
    Ort,
    Tract,
    /// The model as WGSL compute passes in the render graph, on the frame's texture.
    Gpu,
}

impl BackendChoice {
    /// Every choice, in the order the B key and the preset editor go through them.
    pub const ALL: [Self; 4] = [Self::Auto, Self::Tract, Self::Ort, Self::Gpu];

    /// The next choice after this one (the B key).
    pub fn next(self) -> Self {
        let at = Self::ALL.iter().position(|&c| c == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }
}

impl FromStr for BackendChoice {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(Self::Auto),
            "ort" | "onnxruntime" => Ok(Self::Ort),
            "tract" => Ok(Self::Tract),
            "gpu" => Ok(Self::Gpu),
            other => Err(format!(
                "backend must be auto, ort, tract or gpu, got {other:?}"
            )),
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Ort => "ort",
            Self::Tract => "tract",
            Self::Gpu => "gpu",
        })
    }
}

/// A concrete backend (what `auto` resolved to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    Ort,
    Tract,
    Gpu,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ort => "ort",
            Self::Tract => "tract",
            Self::Gpu => "gpu",
        })
    }
}

/// Resolves a choice to a backend, with the reason (for the log and the screen).
pub fn resolve_backend(choice: BackendChoice) -> (BackendKind, String) {
    match choice {
        BackendChoice::Tract => (BackendKind::Tract, "tract (asked for)".into()),
        BackendChoice::Gpu => (
            BackendKind::Gpu,
            "GPU: the model as compute passes in the render graph (asked for)".into(),
        ),
        BackendChoice::Ort => match super::ort_runtime::status() {
            Ok(found) => (
                BackendKind::Ort,
                format!("ONNX Runtime (asked for; {found})"),
            ),
            Err(why) => (
                BackendKind::Tract,
                format!("tract: ONNX Runtime was asked for but is unavailable: {why}"),
            ),
        },
        BackendChoice::Auto => match super::ort_runtime::status() {
            Ok(found) => (BackendKind::Ort, format!("ONNX Runtime ({found})")),
            Err(why) => (
                BackendKind::Tract,
                format!("tract: ONNX Runtime unavailable: {why}"),
            ),
        },
    }
}

/// Resolves `choice` and loads the model's bytes on it (the app's loads): the backend, or why
/// not, and the line that says what runs and why. In the browser ONNX Runtime is
/// onnxruntime-web in a Web Worker; `auto` falls back to tract when that cannot start.
pub async fn load_chosen(
    choice: BackendChoice,
    path: &Path,
    bytes: &[u8],
    model: &ModelInfo,
    threads: usize,
) -> (Result<Box<dyn SegmentationBackend>, ModelError>, String) {
    #[cfg(all(feature = "web", target_arch = "wasm32"))]
    if choice == BackendChoice::Auto || choice == BackendChoice::Ort {
        let asked = if choice == BackendChoice::Ort {
            " (asked for)"
        } else {
            ""
        };
        match super::web_worker::WorkerBackend::load(path, bytes, model).await {
            Ok(backend) => {
                return (
                    Ok(Box::new(backend)),
                    format!("onnxruntime-web in a Web Worker{asked}"),
                );
            }
            Err(error) if choice == BackendChoice::Ort => {
                return (Err(error), format!("onnxruntime-web{asked}"));
            }
            Err(error) => {
                let line = format!("tract: onnxruntime-web did not start: {error}");
                bevy::log::warn!("{line}");
                let backend =
                    load_backend_from_bytes(BackendKind::Tract, path, bytes, model, threads);
                return (backend, line);
            }
        }
    }
    let (kind, line) = resolve_backend(choice);
    (
        load_backend_from_bytes(kind, path, bytes, model, threads),
        line,
    )
}

/// Loads a model on a backend, checking its input and output shapes against the table.
#[cfg(feature = "native")]
pub fn load_backend(
    kind: BackendKind,
    registry: &ModelRegistry,
    model: &ModelInfo,
    threads: usize,
) -> Result<Box<dyn SegmentationBackend>, ModelError> {
    let bytes = registry.read(model)?;
    let path = registry.path_of(model);
    load_backend_from_bytes(kind, &path, &bytes, model, threads)
}

pub fn load_backend_from_bytes(
    kind: BackendKind,
    path: &Path,
    bytes: &[u8],
    model: &ModelInfo,
    threads: usize,
) -> Result<Box<dyn SegmentationBackend>, ModelError> {
    match kind {
        BackendKind::Tract => Ok(Box::new(super::tract_backend::TractBackend::load(
            path, bytes, model,
        )?)),
        BackendKind::Gpu => Ok(Box::new(super::gpu_network::GpuBackend::load(
            path, bytes, model,
        )?)),
        #[cfg(feature = "native")]
        BackendKind::Ort => Ok(Box::new(super::ort_backend::OrtBackend::load(
            path, bytes, model, threads,
        )?)),
        #[cfg(not(feature = "native"))]
        BackendKind::Ort => {
            let _ = threads;
            Err(ModelError::Corrupt {
                path: path.to_owned(),
                backend: "ort",
                message: "ONNX Runtime is not available on the web".into(),
            })
        }
    }
}

/// Compares a shape the model declares with the one the table expects. Dynamic dimensions
/// (negative or zero) match anything.
pub(crate) fn check_shape(
    path: &Path,
    what: &'static str,
    found: &[i64],
    expected: &[usize],
) -> Result<(), ModelError> {
    let matches = found.len() == expected.len()
        && found
            .iter()
            .zip(expected)
            .all(|(&f, &e)| f <= 0 || f as usize == e);
    if matches {
        Ok(())
    } else {
        Err(ModelError::WrongShape {
            path: path.to_owned(),
            what,
            found: format!("{found:?}"),
            expected: format!("{expected:?}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_b_key_goes_through_every_backend_and_names_round_trip() {
        let mut seen = vec![BackendChoice::Auto];
        let mut choice = BackendChoice::Auto.next();
        while choice != BackendChoice::Auto {
            seen.push(choice);
            choice = choice.next();
        }
        assert_eq!(
            seen,
            [
                BackendChoice::Auto,
                BackendChoice::Tract,
                BackendChoice::Ort,
                BackendChoice::Gpu
            ]
        );
        for choice in BackendChoice::ALL {
            assert_eq!(choice.to_string().parse::<BackendChoice>(), Ok(choice));
        }
        let error = "cuda".parse::<BackendChoice>().unwrap_err();
        assert!(error.contains("auto, ort, tract or gpu"), "{error}");
    }
}
