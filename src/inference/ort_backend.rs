//! ONNX Runtime through `ort` (native only).

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

use super::backend::{SegmentationBackend, check_shape};
use super::models::{ModelError, ModelInfo};

pub struct OrtBackend {
    path: PathBuf,
    session: Session,
    input_shape: [usize; 4],
    input_name: String,
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> ModelError {
    ModelError::Corrupt {
        path: path.to_owned(),
        backend: "ort",
        message: e.to_string(),
    }
}

impl OrtBackend {
    pub fn load(
        path: &Path,
        bytes: &[u8],
        model: &ModelInfo,
        threads: usize,
    ) -> Result<Self, ModelError> {
        let environment = super::ort_runtime::environment().map_err(|why| corrupt(path, why))?;
        let session = Session::builder(environment)
            .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::Level3)?))
            .and_then(|b| Ok(b.with_intra_threads(threads.max(1))?))
            .and_then(|b| Ok(b.with_inter_threads(1)?))
            .and_then(|mut b| b.commit_from_memory(bytes))
            .map_err(|e| corrupt(path, e))?;
        let input_shape = model.input_shape();
        let (Some(input), Some(output)) = (session.inputs().first(), session.outputs().first())
        else {
            return Err(corrupt(path, "the model has no input or no output"));
        };
        let dims = |outlet: &ort::value::Outlet| -> Vec<i64> {
            outlet
                .dtype()
                .tensor_shape()
                .map(|shape| shape.iter().copied().collect())
                .unwrap_or_default()
        };
        check_shape(path, "input shape", &dims(input), &input_shape)?;
        check_shape(path, "output shape", &dims(output), &model.output_shape())?;
        Ok(Self {
            path: path.to_owned(),
            input_name: input.name().to_owned(),
            session,
            input_shape,
        })
    }
}

impl SegmentationBackend for OrtBackend {
    fn backend_name(&self) -> &'static str {
        "ort"
    }

    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        let shape = self.input_shape.map(|d| d as i64);
        let result = (|| -> ort::Result<Vec<f32>> {
            let tensor = TensorRef::from_array_view((shape, input))?;
            let outputs = self
                .session
                .run(ort::inputs![self.input_name.as_str() => tensor])?;
            let (_, values) = outputs[0].try_extract_tensor::<f32>()?;
            Ok(values.to_vec())
        })();
        result.map_err(|e| ModelError::Run {
            path: self.path.clone(),
            backend: "ort",
            message: e.to_string(),
        })
    }
}
