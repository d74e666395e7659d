//! ONNX Runtime in the browser: onnxruntime-web's WebAssembly engine (SIMD, one thread, its
//! XNNPACK execution provider) inside a Web Worker (`web/worker.js`), so a model run never holds
//! up the page's frames.
//!
//! Chosen by measurement (README, "Inference in the browser"): the same models on tract, built
//! into the app's own wasm, took 5–10× as long, and on the page's only thread. The backend posts
//! the pre-processed input to its worker and waits for the output without blocking: the job's
//! future resolves when the worker answers, and the app polls it once a frame like any job.
//! One request at a time per worker (the engine runs one job at a time: newest frame wins).
//!
//! The worker itself (a JS object, not `Send`) lives in a thread-local table; the backend holds
//! its number, so it is `Send` like every backend, and dropping it ends the worker. The worker is
//! driven through `js_sys::Reflect` rather than web-sys's `Worker` types: a new web-sys feature
//! would rebuild every crate above web-sys (most of Bevy) in both web builds, for four calls.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::backend::SegmentationBackend;
use super::models::{ModelError, ModelInfo};
use crate::capture::browser::js_message;

/// The worker script, beside the page (web/worker.js; it loads onnxruntime-web from `ort/`).
const WORKER_SCRIPT: &str = "worker.js";
const NAME: &str = "onnxruntime-web";

struct Entry {
    worker: JsValue,
    /// Resolves the request in flight with the worker's answer.
    pending: Option<js_sys::Function>,
    _on_message: Closure<dyn FnMut(JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

/// The last run's input tensor, its shape, the output and the engine's ms: for the page's tests,
/// which run the same input on the native engine (`backdrop_last_inference`). One run's worth,
/// kept without copies: the input moved here after it was posted, the worker's own arrays.
struct LastRun {
    input: Vec<f32>,
    dims: js_sys::Array,
    output: js_sys::Float32Array,
    ms: Option<f64>,
}

thread_local! {
    static WORKERS: RefCell<HashMap<u32, Entry>> = RefCell::new(HashMap::new());
    static NEXT: RefCell<u32> = const { RefCell::new(0) };
    static LAST: RefCell<Option<LastRun>> = const { RefCell::new(None) };
}

/// The last worker run as `{ input, dims, output, ms }` (typed arrays), or `null` before one.
pub fn last_inference() -> JsValue {
    LAST.with(|last| {
        let last = last.borrow();
        let Some(run) = last.as_ref() else {
            return JsValue::NULL;
        };
        let object = js_sys::Object::new();
        let set = |key: &str, value: &JsValue| {
            let _ = js_sys::Reflect::set(&object, &key.into(), value);
        };
        set("input", &js_sys::Float32Array::from(run.input.as_slice()));
        set("dims", &run.dims);
        set("output", &run.output);
        set("ms", &run.ms.map_or(JsValue::NULL, JsValue::from_f64));
        object.into()
    })
}

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `object.name(args…)`.
fn call(object: &JsValue, name: &str, args: &js_sys::Array) -> Result<JsValue, JsValue> {
    let method: js_sys::Function = field(object, name).dyn_into()?;
    js_sys::Reflect::apply(&method, object, args)
}

/// Hands `answer` to the request in flight on worker `id`.
fn answer(id: u32, answer: &JsValue) {
    let resolve = WORKERS.with(|w| w.borrow_mut().get_mut(&id).and_then(|e| e.pending.take()));
    if let Some(resolve) = resolve {
        let _ = resolve.call1(&JsValue::NULL, answer);
    }
}

/// Starts a worker; its answers go to whatever request is in flight.
fn spawn_worker() -> Result<u32, String> {
    let cannot = |e: JsValue| format!("cannot start {WORKER_SCRIPT}: {}", js_message(&e));
    let constructor: js_sys::Function = field(&js_sys::global(), "Worker")
        .dyn_into()
        .map_err(|_| "this browser has no Web Workers".to_owned())?;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"type".into(), &"module".into());
    let worker = js_sys::Reflect::construct(
        &constructor,
        &js_sys::Array::of2(&WORKER_SCRIPT.into(), &options),
    )
    .map_err(cannot)?;
    let id = NEXT.with(|n| {
        let mut n = n.borrow_mut();
        *n += 1;
        *n
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        answer(id, &field(&event, "data"));
    });
    // A script that fails to load or throws at the top: an answer that says so.
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let reply = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&reply, &"type".into(), &"error".into());
        let text = field(&event, "message")
            .as_string()
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| format!("{WORKER_SCRIPT} or onnxruntime-web failed to load"));
        let _ = js_sys::Reflect::set(&reply, &"message".into(), &text.into());
        answer(id, &reply);
    });
    js_sys::Reflect::set(&worker, &"onmessage".into(), on_message.as_ref()).map_err(cannot)?;
    js_sys::Reflect::set(&worker, &"onerror".into(), on_error.as_ref()).map_err(cannot)?;
    WORKERS.with(|w| {
        w.borrow_mut().insert(
            id,
            Entry {
                worker,
                pending: None,
                _on_message: on_message,
                _on_error: on_error,
            },
        )
    });
    Ok(id)
}

/// Posts `message` (transferring `transfer`) to worker `id` and waits for its answer: the answer
/// object, or its `message` when its `type` is `error`.
async fn request(id: u32, message: &JsValue, transfer: &js_sys::Array) -> Result<JsValue, String> {
    let mut posted = Ok(());
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        posted = WORKERS.with(|w| {
            let mut workers = w.borrow_mut();
            let entry = workers.get_mut(&id).ok_or("the worker has ended")?;
            entry.pending = Some(resolve);
            call(
                &entry.worker,
                "postMessage",
                &js_sys::Array::of2(message, transfer),
            )
            .map(drop)
            .map_err(|e| js_message(&e))
        });
    });
    posted.map_err(|e| e.to_string())?;
    let reply = JsFuture::from(promise).await.map_err(|e| js_message(&e))?;
    if field(&reply, "type").as_string().as_deref() == Some("error") {
        return Err(field(&reply, "message")
            .as_string()
            .unwrap_or_else(|| "the worker failed".into()));
    }
    Ok(reply)
}

/// A model session in a worker of its own.
pub struct WorkerBackend {
    id: u32,
    path: PathBuf,
    dims: Vec<f64>,
    /// The engine's own time for the last run (the worker's clock: no message passing in it).
    last_ms: Option<f64>,
}

impl WorkerBackend {
    /// Starts a worker and loads the model's bytes into an onnxruntime-web session there, which
    /// runs once on the table's input shape before the worker answers.
    pub async fn load(path: &Path, bytes: &[u8], model: &ModelInfo) -> Result<Self, ModelError> {
        let corrupt = |message: String| ModelError::Corrupt {
            path: path.to_owned(),
            backend: NAME,
            message,
        };
        let id = spawn_worker().map_err(corrupt)?;
        let backend = Self {
            id,
            path: path.to_owned(),
            dims: model.input_shape().iter().map(|&d| d as f64).collect(),
            last_ms: None,
        };
        let message = js_sys::Object::new();
        let array = js_sys::Uint8Array::from(bytes);
        let _ = js_sys::Reflect::set(&message, &"type".into(), &"load".into());
        let _ = js_sys::Reflect::set(&message, &"model".into(), &array);
        let _ = js_sys::Reflect::set(&message, &"dims".into(), &backend.dims_array());
        // The worker answers only after one run on zeros of the table's input shape (its engine
        // names no input shapes): a model whose input is another shape fails here, with the
        // engine's message. The table's output size is checked on every run (run_model).
        request(id, &message, &js_sys::Array::of1(&array.buffer()))
            .await
            .map_err(corrupt)?;
        Ok(backend)
    }

    /// The model's input shape as the worker takes it.
    fn dims_array(&self) -> js_sys::Array {
        self.dims.iter().map(|&d| JsValue::from_f64(d)).collect()
    }
}

impl Drop for WorkerBackend {
    fn drop(&mut self) {
        if let Some(entry) = WORKERS.with(|w| w.borrow_mut().remove(&self.id)) {
            let _ = call(&entry.worker, "terminate", &js_sys::Array::new());
        }
    }
}

impl SegmentationBackend for WorkerBackend {
    fn backend_name(&self) -> &'static str {
        NAME
    }

    fn run(&mut self, _input: &[f32]) -> Result<Vec<f32>, ModelError> {
        Err(ModelError::Run {
            path: self.path.clone(),
            backend: NAME,
            message: "runs in a Web Worker: only asynchronously (run_async)".into(),
        })
    }

    fn run_async<'a>(
        &'a mut self,
        input: Vec<f32>,
    ) -> bevy::tasks::BoxedFuture<'a, Result<Vec<f32>, ModelError>> {
        let path = self.path.clone();
        Box::pin(async move {
            let failed = |message: String| ModelError::Run {
                path: path.clone(),
                backend: NAME,
                message,
            };
            let tensor = js_sys::Float32Array::from(input.as_slice());
            let dims = self.dims_array();
            let message = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&message, &"type".into(), &"run".into());
            let _ = js_sys::Reflect::set(&message, &"input".into(), &tensor);
            let _ = js_sys::Reflect::set(&message, &"dims".into(), &dims);
            let reply = request(self.id, &message, &js_sys::Array::of1(&tensor.buffer()))
                .await
                .map_err(failed)?;
            self.last_ms = field(&reply, "ms").as_f64();
            let array = field(&reply, "output")
                .dyn_into::<js_sys::Float32Array>()
                .map_err(|_| failed("the worker's answer has no float output".into()))?;
            let output = array.to_vec();
            LAST.with(|last| {
                *last.borrow_mut() = Some(LastRun {
                    input,
                    dims,
                    output: array,
                    ms: self.last_ms,
                })
            });
            Ok(output)
        })
    }

    fn last_run_ms(&self) -> Option<f64> {
        self.last_ms
    }
}
