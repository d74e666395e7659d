// The page's inference worker: one onnxruntime-web session (WebAssembly, SIMD, one thread, the
// XNNPACK execution provider) off the page's thread. The app (src/inference/web_worker.rs) sends
//   { type: 'load', model: Uint8Array, dims: number[] } → { type: 'loaded', inputDims, outputDims }
//   { type: 'run', input: Float32Array, dims: number[] } → { type: 'result', output: Float32Array, ms }
// one at a time, and gets { type: 'error', message } when one fails. `ms` is the session's run on
// this worker's clock, without the messages. `loaded` comes after one run on zeros of `dims`
// (the engine names no input shapes: a model that takes another shape fails there, with the
// engine's message), which also packs XNNPACK's weights before the first frame.
//
// onnxruntime-web 1.16.3, the last release with the XNNPACK execution provider in its WebAssembly
// build (README, "Inference in the browser": 1.3× as fast as 1.30's own kernels here). Its bundle
// is a UMD script: imported for its effect, it defines self.ort.
import './ort/ort.wasm.min.js';

const { ort } = self;
// The engine's .wasm sits beside the bundle (web/build.sh copies both from npm): the SIMD build
// alone, so a browser without WebAssembly SIMD fails to start the worker and the app runs tract.
ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
// One thread: the page needs the other core (two threads here made inference and the page slower),
// and threads need cross-origin isolation.
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;

let session = null;

async function load(model, dims) {
  session = await ort.InferenceSession.create(model, {
    // XNNPACK takes the convolutions and resizes; ORT's own kernels run the rest.
    executionProviders: ['xnnpack'],
    graphOptimizationLevel: 'all',
    // Errors only: ORT warns on every load that some nodes run on its own kernels, as meant.
    logSeverityLevel: 3,
  });
  const zeros = new Float32Array(dims.reduce((a, b) => a * b, 1));
  const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', zeros, dims) });
  return { type: 'loaded', inputDims: dims, outputDims: outputs[session.outputNames[0]].dims };
}

async function run(input, dims) {
  if (!session) throw new Error('no model loaded');
  const started = performance.now();
  const outputs = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
  const ms = performance.now() - started;
  const output = outputs[session.outputNames[0]];
  const data = output.data instanceof Float32Array ? output.data : Float32Array.from(output.data);
  return [{ type: 'result', output: data, ms }, [data.buffer]];
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      self.postMessage(await load(data.model, data.dims));
    } else if (data.type === 'run') {
      const [answer, transfer] = await run(data.input, data.dims);
      self.postMessage(answer, transfer);
    } else {
      throw new Error(`unknown request ${data.type}`);
    }
  } catch (e) {
    self.postMessage({ type: 'error', message: String(e?.message ?? e) });
  }
};
