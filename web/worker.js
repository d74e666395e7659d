// The page's inference worker: one onnxruntime-web session (WebAssembly engine, SIMD, one thread)
// off the page's thread. The app (src/inference/web_worker.rs) sends
//   { type: 'load', model: Uint8Array }                  → { type: 'loaded', inputDims, outputDims }
//   { type: 'run', input: Float32Array, dims: number[] } → { type: 'result', output: Float32Array, ms }
// one at a time, and gets { type: 'error', message } when one fails. `ms` is the session's run on
// this worker's clock, without the messages.
import * as ort from './ort/ort.wasm.min.mjs';

// The engine's .mjs/.wasm pair sits beside this bundle (web/build.sh copies them from npm).
ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
// One thread: the page needs the other core, and threads need cross-origin isolation.
ort.env.wasm.numThreads = 1;

let session = null;

const dimsOf = (metadata) => (metadata && metadata.isTensor ? metadata.shape.map((d) => (typeof d === 'number' ? d : -1)) : null);

async function load(model) {
  session = await ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  return {
    type: 'loaded',
    inputDims: dimsOf(session.inputMetadata?.[0]),
    outputDims: dimsOf(session.outputMetadata?.[0]),
  };
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
      self.postMessage(await load(data.model));
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
