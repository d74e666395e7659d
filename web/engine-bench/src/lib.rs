//! tract and rten for the engine benchmark page: load a model's bytes, run it on an input tensor
//! (the page times it).

use std::io::Cursor;

use tract_onnx::prelude::*;
use rten_tensor::AsView;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Engine {
    plan: std::sync::Arc<TypedRunnableModel>,
    shape: Vec<usize>,
}

fn error(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&format!("{e:#}"))
}

#[wasm_bindgen]
impl Engine {
    /// Loads and optimises the model for a fixed input shape (as the app's tract backend does).
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8], shape: Vec<u32>) -> Result<Engine, JsValue> {
        let shape: Vec<usize> = shape.into_iter().map(|d| d as usize).collect();
        let plan = tract_onnx::onnx()
            .model_for_read(&mut Cursor::new(model))
            .map_err(error)?
            .with_input_fact(0, f32::fact(&shape).into())
            .map_err(error)?
            .into_optimized()
            .map_err(error)?
            .into_runnable()
            .map_err(error)?;
        Ok(Engine { plan, shape })
    }

    /// Runs the model on `input`; returns the first output's values.
    pub fn run(&self, input: &[f32]) -> Result<Vec<f32>, JsValue> {
        let tensor = Tensor::from_shape(&self.shape, input).map_err(error)?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(error)?;
        let plain = outputs[0].try_as_plain_ram().map_err(error)?;
        Ok(plain.as_slice::<f32>().map_err(error)?.to_vec())
    }
}

/// rten: the same model, loaded from the same ONNX bytes.
#[wasm_bindgen]
pub struct RtenEngine {
    model: rten::Model,
    shape: Vec<usize>,
}

#[wasm_bindgen]
impl RtenEngine {
    #[wasm_bindgen(constructor)]
    pub fn new(model: Vec<u8>, shape: Vec<u32>) -> Result<RtenEngine, JsValue> {
        let model = rten::Model::load(model).map_err(error)?;
        let shape = shape.into_iter().map(|d| d as usize).collect();
        Ok(RtenEngine { model, shape })
    }

    /// Runs the model on `input`; returns its first output's values.
    pub fn run(&self, input: &[f32]) -> Result<Vec<f32>, JsValue> {
        let tensor = rten_tensor::Tensor::from_data(self.shape.as_slice(), input.to_vec());
        let output = self
            .model
            .run_one(tensor.view().into(), None)
            .map_err(error)?;
        let output: rten_tensor::Tensor<f32> = output.try_into().map_err(error)?;
        Ok(output.to_vec())
    }
}
