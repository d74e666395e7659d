//! tract: pure-Rust ONNX inference. Always available; in the browser, the fallback when the
//! onnxruntime-web worker cannot start (`web_worker`).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use super::backend::{SegmentationBackend, check_shape};
use super::models::{ModelError, ModelInfo};

type Plan = Arc<TypedRunnableModel>;

pub struct TractBackend {
    path: PathBuf,
    plan: Plan,
    input_shape: [usize; 4],
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> ModelError {
    ModelError::Corrupt {
        path: path.to_owned(),
        backend: "tract",
        message: format!("{e:#}"),
    }
}

fn concrete_dims(fact: &TypedFact) -> Vec<i64> {
    fact.shape
        .iter()
        .map(|d| d.to_i64().unwrap_or(-1))
        .collect()
}

impl TractBackend {
    pub fn load(path: &Path, bytes: &[u8], model: &ModelInfo) -> Result<Self, ModelError> {
        let input_shape = model.input_shape();
        let inference_model = tract_onnx::onnx()
            .model_for_read(&mut Cursor::new(bytes))
            .map_err(|e| corrupt(path, e))?;
        let declared = inference_model
            .input_fact(0)
            .map_err(|e| corrupt(path, e))?
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|d| d.to_i64().ok()).unwrap_or(-1))
            .collect::<Vec<_>>();
        check_shape(path, "input shape", &declared, &input_shape)?;
        let typed = inference_model
            .with_input_fact(0, f32::fact(input_shape).into())
            .and_then(|m| m.into_optimized())
            .map_err(|e| corrupt(path, e))?;
        let output = typed.output_fact(0).map_err(|e| corrupt(path, e))?;
        check_shape(
            path,
            "output shape",
            &concrete_dims(output),
            &model.output_shape(),
        )?;
        let plan = typed.into_runnable().map_err(|e| corrupt(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            plan,
            input_shape,
        })
    }
}

impl SegmentationBackend for TractBackend {
    fn backend_name(&self) -> &'static str {
        "tract"
    }

    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, ModelError> {
        let run = || -> TractResult<Vec<f32>> {
            let tensor = Tensor::from_shape(&self.input_shape, input)?;
            let outputs = self.plan.run(tvec!(tensor.into()))?;
            Ok(outputs[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec())
        };
        run().map_err(|e| ModelError::Run {
            path: self.path.clone(),
            backend: "tract",
            message: format!("{e:#}"),
        })
    }
}
