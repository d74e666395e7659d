import './frames.js';
import { presentDirectly } from './present.js';

// The page's loader: picks the WebGPU build when the browser gives a hardware WebGPU adapter, the
// WebGL2 build otherwise (`?backend=webgl2|webgpu` forces one), says on the page which runs and on
// what adapter, shows the download's progress, and wires the page's controls to the app
// (src/web/mod.rs: backdrop_use_camera, backdrop_open_file, backdrop_set_mirror). The app writes
// its state to `window.backdropState`; the status line shows it.

const status = document.getElementById('status');
const progress = document.getElementById('progress');
const params = new URLSearchParams(location.search);

let lastMirror = null;

function say(text, problem = false) {
  status.textContent = text;
  status.classList.toggle('problem', problem);
}

// Which build: WebGPU needs an adapter (not just `navigator.gpu`), and the app needs half-float
// render targets on WebGL2 (EXT_color_buffer_float or EXT_color_buffer_half_float). A software
// WebGPU adapter (SwiftShader's, a fallback adapter) is passed over for WebGL2 when WebGL2 can run
// the app: on a 2-core machine's SwiftShader the same page delivered 8.3 frames a second on WebGL2
// and 5.3 on WebGPU (web/test/vs_volcomix.mjs, landscape model), and WebGL2 there is software
// too. `why` says so on the page.
async function pickBackend() {
  const forced = params.get('backend');
  if (forced !== 'webgl2' && navigator.gpu) {
    try {
      const adapter = await navigator.gpu.requestAdapter();
      if (adapter) {
        const info = adapter.info || {};
        const adapterName = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU adapter';
        const software = Boolean(info.isFallbackAdapter || adapter.isFallbackAdapter) || SOFTWARE_RENDERER.test(adapterName);
        if (forced === 'webgpu' || !software) return { backend: 'webgpu', adapterName };
        const webgl2 = webgl2Choice();
        if (!webgl2.error) {
          return { ...webgl2, why: `WebGPU's adapter (${adapterName}) is a software one; WebGL2 is faster there` };
        }
        return { backend: 'webgpu', adapterName };
      }
    } catch (e) {
      console.info('WebGPU adapter request failed:', e);
    }
  }
  if (forced === 'webgpu') {
    return { error: 'WebGPU was asked for (?backend=webgpu), but this browser gives no WebGPU adapter.' };
  }
  return webgl2Choice();
}

// The WebGL2 build, where this browser's WebGL2 can run it.
function webgl2Choice() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) {
    return { error: 'This browser has neither WebGPU nor WebGL2: the playground cannot draw here.' };
  }
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const adapterName = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const halfFloat = gl.getExtension('EXT_color_buffer_float') || gl.getExtension('EXT_color_buffer_half_float');
  if (!halfFloat) {
    return {
      error: `WebGL2 on ${adapterName} cannot render to half-float textures ` +
        '(no EXT_color_buffer_float or EXT_color_buffer_half_float): the effects chain needs them.',
    };
  }
  return { backend: 'webgl2', adapterName };
}

// fetch() with a progress line (the .wasm is the big download).
async function fetchWithProgress(url, label) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    const mb = (received / 1e6).toFixed(1);
    progress.textContent = total
      ? `downloading ${label}: ${mb} of ${(total / 1e6).toFixed(1)} MB`
      : `downloading ${label}: ${mb} MB`;
  }
  progress.textContent = '';
  return new Blob(chunks, { type: 'application/wasm' });
}

function wireControls(app) {
  const camera = document.getElementById('camera');
  camera.addEventListener('change', () => app.backdrop_use_camera(Number(camera.value)));
  const mirror = document.getElementById('mirror');
  mirror.addEventListener('change', () => app.backdrop_set_mirror(mirror.checked));
  const open = async (file) => {
    if (!file) return;
    app.backdrop_open_file(file.name, new Uint8Array(await file.arrayBuffer()));
  };
  const input = document.getElementById('file');
  input.addEventListener('change', () => open(input.files[0]));
  // The preset text editor (the app's panel): shown or not, its text downloaded as a file, a
  // file opened into it.
  const editor = document.getElementById('editor');
  editor.checked = new URLSearchParams(location.search).get('editor') === '1';
  editor.addEventListener('change', () => app.backdrop_show_editor(editor.checked));
  document.getElementById('download').addEventListener('click', () => {
    const preset = window.backdropState?.presetText;
    if (!preset) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([preset.text], { type: 'text/plain' }));
    link.download = `${preset.name}.preset.ron`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });
  const presetFile = document.getElementById('preset-file');
  presetFile.addEventListener('change', async () => {
    const file = presetFile.files[0];
    if (file) app.backdrop_open_preset(file.name, await file.text());
    presetFile.value = '';
  });
  const stage = document.getElementById('stage');
  stage.addEventListener('dragover', (e) => { e.preventDefault(); stage.classList.add('dragging'); });
  stage.addEventListener('dragleave', () => stage.classList.remove('dragging'));
  stage.addEventListener('drop', (e) => {
    e.preventDefault();
    stage.classList.remove('dragging');
    open(e.dataTransfer.files[0]);
  });
  // The camera list (labels appear once the user allowed a camera).
  const listCameras = async () => {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const chosen = camera.value;
    camera.replaceChildren(...cameras.map((d, i) => new Option(d.label || `camera ${i}`, String(i))));
    if (cameras.length === 0) camera.replaceChildren(new Option('no camera', '0'));
    camera.value = chosen < cameras.length ? chosen : '0';
  };
  navigator.mediaDevices?.addEventListener?.('devicechange', listCameras);
  listCameras();
  setInterval(listCameras, 5000);
}

// The last edited preset survives a reload: stored on each edit the app applied, handed back to
// the app once it runs.
const STORED_PRESET = 'backdrop.preset';
let storedEdits = 0;
let restored = false;

function keepPreset(app, state) {
  const preset = state.presetText;
  if (!preset) return;
  if (!restored) {
    restored = true;
    const saved = localStorage.getItem(STORED_PRESET);
    if (saved) {
      const { name, text } = JSON.parse(saved);
      app.backdrop_open_preset(name, text);
    }
    storedEdits = preset.appliedEdits;
    return;
  }
  if (preset.appliedEdits > storedEdits && preset.problem === null) {
    storedEdits = preset.appliedEdits;
    localStorage.setItem(STORED_PRESET, JSON.stringify({ name: preset.name, text: preset.text }));
  }
}

// The canvas's backing store. On a software renderer (SwiftShader, llvmpipe) every canvas pixel
// costs CPU time in each of the window's passes (measured at 1600×900 on SwiftShader: the same
// page delivered 3.8 fps with the canvas at full size, 6.1 with it at the picture's size), so
// there the canvas holds no more pixels than the picture has, and the browser scales it up to the
// page. `?scale=1` keeps full size anyway; `?scale=0.5` sets the ratio by hand (0.25–1). The canvas
// keeps its layout size at the ratio, so the app and its pointer see one consistent canvas; the
// CSS transform only magnifies it.
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;
const MIN_SCALE = 0.25;
let canvasScale = 1;

function canvasScaleFor(state, software) {
  const asked = Number(params.get('scale'));
  if (params.has('scale') && Number.isFinite(asked) && asked > 0) return Math.min(1, Math.max(MIN_SCALE, asked));
  if (!software || !state?.frameWidth || !state?.frameHeight) return 1;
  const stage = document.getElementById('stage');
  const ratio = devicePixelRatio || 1;
  // Picture pixels per device pixel where the picture fills the stage (letterboxed).
  const needed = Math.max(state.frameWidth / (stage.clientWidth * ratio), state.frameHeight / (stage.clientHeight * ratio));
  return Math.min(1, Math.max(MIN_SCALE, needed));
}

function sizeCanvas(scale) {
  const canvas = document.getElementById('backdrop-canvas');
  const stage = document.getElementById('stage');
  const width = stage.clientWidth * scale;
  const height = stage.clientHeight * scale;
  // Inline and important: Bevy writes the canvas's size into its style (100%) when it starts.
  canvas.style.setProperty('width', `${width}px`, 'important');
  canvas.style.setProperty('height', `${height}px`, 'important');
  canvas.style.setProperty('transform', scale === 1 ? 'none' : `scale(${1 / scale})`);
  canvas.style.setProperty('transform-origin', '0 0');
  canvasScale = scale;
  window.backdropPage.canvasScale = scale;
}

function keepCanvasScale(state, software) {
  const scale = canvasScaleFor(state, software);
  // Small changes (a resize by a pixel) are not worth a new swapchain.
  if (Math.abs(scale - canvasScale) > 0.01 || window.backdropPage.canvasScale === undefined) sizeCanvas(scale);
}

function showState(app, backend, adapterName) {
  const state = window.backdropState;
  keepCanvasScale(state, SOFTWARE_RENDERER.test(state?.adapter || adapterName));
  if (!state) return;
  keepPreset(app, state);
  // The app's mirror setting (a camera starts mirrored, a file not), shown when the app's value
  // changes — not every time, or a click would snap back until the app reports it.
  if (state.mirror !== lastMirror) {
    lastMirror = state.mirror;
    document.getElementById('mirror').checked = Boolean(state.mirror);
  }
  const parts = [`${backend === 'webgpu' ? 'WebGPU' : 'WebGL2'} on ${state.adapter || adapterName}`];
  if (window.backdropPage.why) parts.push(window.backdropPage.why);
  if (state.source) parts.push(state.source);
  if (state.fps != null) parts.push(`${state.fps.toFixed(1)} fps`);
  if (state.loading) parts.push(`loading ${state.loading}`);
  const problem = state.problems?.[state.problems.length - 1];
  if (problem) parts.push(problem);
  say(parts.join(' · '), Boolean(problem));
}

async function main() {
  const choice = await pickBackend();
  window.backdropPage = { backend: choice.backend || null, adapter: choice.adapterName || '', error: choice.error || null,
    why: choice.why || null };
  if (choice.error) {
    say(choice.error, true);
    return;
  }
  say(`${choice.backend === 'webgpu' ? 'WebGPU' : 'WebGL2'} on ${choice.adapterName}${choice.why ? ` (${choice.why})` : ''}: loading…`);
  // WebGL2: the window's texture without the sRGB round trip wgpu adds to every present
  // (web/present.js); `?present=wgpu` keeps wgpu's own.
  if (choice.backend === 'webgl2' && params.get('present') !== 'wgpu') {
    presentDirectly(document.getElementById('backdrop-canvas'));
  }
  const app = await import(`./${choice.backend}/backdrop.js`);
  const wasm = await fetchWithProgress(`./${choice.backend}/backdrop_bg.wasm`, `the ${choice.backend} build`);
  // The app's page functions, for the browser tests and the console (backdrop_last_inference…).
  window.backdropApp = app;
  wireControls(app);
  setInterval(() => showState(app, choice.backend, choice.adapterName), 250);
  // A resized stage keeps the canvas's ratio (full size: 100% of the stage).
  new ResizeObserver(() => sizeCanvas(canvasScale)).observe(document.getElementById('stage'));
  try {
    // Runs the app (Bevy's event loop returns control to the browser by throwing, by design).
    await app.default({ module_or_path: URL.createObjectURL(wasm) });
  } catch (e) {
    const text = String(e?.message ?? e);
    if (!text.includes('Using exceptions for control flow')) {
      window.backdropPage.error = text;
      say(`the app stopped: ${text}`, true);
      throw e;
    }
  }
}

main();
