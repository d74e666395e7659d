// Browser tests of the web playground (`make web-test`): web/dist served on 127.0.0.1, headless
// Debian Chromium driven by playwright-core, each test on both builds (WebGL2 on SwiftShader,
// WebGPU on SwiftShader).
//
//   node web/test/run.mjs [--backends webgl2,webgpu] [--tests NAME,…] [--goals] [--shots DIR]
//
// Needs: web/dist (web/build.sh), /usr/bin/chromium, ffmpeg, and the native `backdrop` binary
// (BACKDROP_BIN, default $CARGO_TARGET_DIR/release/backdrop) for the reference mask.
//
// 1. Fake camera (a .y4m of the sample portrait) + a colour background: the canvas shows the
//    colour where the natively computed mask of that same frame is low and the frame's pixels where
//    it is high; the page's state names the backend; no console errors.
// 2. Camera denied: the page says so and plays the sample portrait.
// 3. An image chosen through the file input becomes the source.
// 4. So does a video file, and it plays on.
// 5. So does an image dropped on the picture (drag-and-drop).
// 6. A camera that stops mid-run: the page says so and plays the sample portrait.
// 7. Two cameras: the picker lists both, and choosing the second makes it the source.
// 8. The inference engine (onnxruntime-web in a Web Worker): its output for the page's own input
//    tensor matches ONNX Runtime's natively (the venv's Python package) within 1e-3, per model;
//    and its worker refuses a model sent with another input shape than the model takes.
// 9. (--goals: not met yet) The page's frame time (requestAnimationFrame) stays under 50 ms at
//    p99 while inference runs, on a 960×540 video (the clip size of the speed comparison).
// 10. The preset text editor: an edit typed into it changes the picture (one background colour →
//    another); a broken edit shows line:column and the picture stays; after a reload the last
//    good edit is back.
// 11. WebGL2's present without a second sRGB conversion (web/present.js) is on, and the page shows
//    the same pixels (the overlay too) as with wgpu's own present.
// 12. A video file's frames are decoded ahead of their time and each reaches the app at its time:
//    never early, never out of order, never held back while one is due.
// Test 1 also checks the GPU ms per stage: numbers on WebGPU (timestamps on the passes), null on
// WebGL2 (no timestamp queries).

import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageFrameTimes, percentile, serve } from './clip_page.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const dist = path.join(root, 'web/dist');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const backends = option('--backends', 'webgl2,webgpu').split(',');
const only = option('--tests', null)?.split(',');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backdrop-web-test-'));
const shots = option('--shots', path.join(work, 'shots'));
fs.mkdirSync(shots, { recursive: true });
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
const backdrop = process.env.BACKDROP_BIN || path.join(targetDir, 'release/backdrop');

const FLAGS = {
  common: ['--no-sandbox', '--ignore-gpu-blocklist', '--disable-background-networking', '--no-first-run',
    '--enable-unsafe-swiftshader'],
  webgl2: ['--use-angle=swiftshader'],
  webgpu: ['--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-vulkan=swiftshader',
    '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'],
};
const GREEN = [0, 200, 0];

function log(...parts) {
  console.log(new Date().toISOString().slice(11, 19), ...parts);
}

// ---- fixtures: the camera's clip, the frame it delivers, the native mask of that frame ----

function makeFixtures() {
  const sample = path.join(root, 'assets/samples/astronaut.jpg');
  const y4m = path.join(work, 'camera.y4m');
  // Two seconds of the portrait (Chromium loops the clip).
  execFileSync('ffmpeg', ['-loglevel', 'error', '-loop', '1', '-i', sample, '-t', '2', '-r', '15',
    '-pix_fmt', 'yuv420p', y4m]);
  // What the fake camera delivers: the clip's frame, through the same 4:2:0 conversion.
  const frame = path.join(work, 'camera_frame.png');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', y4m, '-frames:v', '1', frame]);
  // The native mask of that frame (tract, as the page runs it).
  const out = path.join(work, 'native');
  execFileSync(backdrop, ['--headless', '--source', frame, '--frames', '1', '--output', out,
    '--write-mask', '--model', 'landscape', '--backend', 'tract', '--background', 'none'],
  { env: { ...process.env, BEVY_ASSET_ROOT: root }, stdio: ['ignore', 'ignore', 'inherit'] });
  // A short video file for the file input (VP8 in WebM: what every Chromium plays).
  const webm = path.join(work, 'portrait.webm');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-loop', '1', '-i', sample, '-t', '2', '-r', '15',
    '-vf', 'scale=320:320', '-c:v', 'libvpx', '-b:v', '1M', webm]);
  // The speed comparison's clip size: 960×540, 3 s of the portrait panning (H.264 in MP4, as the
  // Doctor clip: the frame reader decodes it with WebCodecs).
  const clip = path.join(work, 'clip960.mp4');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-loop', '1', '-i', sample, '-t', '3', '-r', '25',
    '-vf', "scale=1100:-2,crop=960:540:'40*t':'(ih-540)/2'", '-c:v', 'libx264', '-pix_fmt', 'yuv420p',
    '-b:v', '2M', clip]);
  // The same two seconds of the portrait as an MP4 (H.264): the frame reader decodes it with
  // WebCodecs; near-lossless, so its pixels are the camera frame's.
  const mp4 = path.join(work, 'portrait.mp4');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', y4m, '-c:v', 'libx264', '-crf', '8', '-pix_fmt', 'yuv420p',
    '-movflags', '+faststart', mp4]);
  return {
    y4m,
    webm,
    mp4,
    clip,
    framePng: frame,
    frame: PNG.sync.read(fs.readFileSync(frame)),
    mask: PNG.sync.read(fs.readFileSync(path.join(out, 'mask_00000.png'))),
    imageFile: sample,
  };
}

// ---- the server and the browser ----

// `cameras: N` gives Chromium's N generated fake cameras instead of the one playing `y4m`.
// `pick`: the page picks its build itself (no `backend=` in the URL; the browser is still started
// with `backend`'s flags).
async function open(backend, url, { fakeUi, y4m, query, cameras, pick, viewport = { width: 800, height: 600 } }) {
  const flags = [...FLAGS.common, ...FLAGS[backend]];
  if (cameras) flags.push(`--use-fake-device-for-media-stream=device-count=${cameras}`);
  else flags.push('--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`);
  if (fakeUi) flags.push('--use-fake-ui-for-media-stream');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: flags });
  const context = await browser.newContext({ viewport });
  // The streams the page opens, so a test can stop a camera as an unplugged one stops; and the
  // sizes of the Blobs the page makes URLs for, but the app's own .wasm (a file the app holds as
  // a Blob is a second copy of its bytes).
  await context.addInitScript(() => {
    window.testBlobUrls = [];
    const createObjectURL = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (blob) => {
      if (blob?.type !== 'application/wasm') window.testBlobUrls.push(blob?.size ?? -1);
      return createObjectURL(blob);
    };
    window.testStreams = [];
    const media = navigator.mediaDevices;
    if (!media?.getUserMedia) return;
    const getUserMedia = media.getUserMedia.bind(media);
    media.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      window.testStreams.push(stream);
      return stream;
    };
  });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pick ? `${url}?${query}` : `${url}?backend=${backend}&${query}`);
  return { browser, page, errors };
}

async function state(page) {
  return page.evaluate(() => ({ app: window.backdropState || null, page: window.backdropPage || null,
    frames: window.backdropFrames?.stats || null }));
}

// Polls the page's state until `done(state)` holds, or fails after `seconds`.
async function waitFor(page, what, done, seconds = 240) {
  const start = Date.now();
  let last;
  while (Date.now() - start < seconds * 1000) {
    last = await state(page);
    if (last.page?.error) throw new Error(`the page stopped: ${last.page.error}`);
    if (done(last)) return last;
    await page.waitForTimeout(500);
  }
  throw new Error(`no ${what} within ${seconds} s; state: ${JSON.stringify(last)}`);
}

function pixel(png, x, y) {
  const i = (png.width * y + x) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
}

// The canvas pixel showing frame pixel (fx, fy): the frame is fitted inside the canvas, centred.
function canvasPoint(shot, frameW, frameH, fx, fy) {
  const scale = Math.min(shot.width / frameW, shot.height / frameH);
  const x0 = (shot.width - frameW * scale) / 2;
  const y0 = (shot.height - frameH * scale) / 2;
  return [Math.floor(x0 + (fx + 0.5) * scale), Math.floor(y0 + (fy + 0.5) * scale)];
}

// Mask value everywhere within `r` pixels of (x, y) beyond `limit` on the `side` (low/high).
function flatAround(mask, x, y, r, test) {
  for (let dy = -r; dy <= r; dy += 2) {
    for (let dx = -r; dx <= r; dx += 2) {
      const xx = Math.min(mask.width - 1, Math.max(0, x + dx));
      const yy = Math.min(mask.height - 1, Math.max(0, y + dy));
      if (!test(pixel(mask, xx, yy)[0] / 255)) return false;
    }
  }
  return true;
}

const close = (a, b, tolerance) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

// The smallest max-channel difference between `shown` and the frame's pixels around (x, y).
function nearestDifference(shown, frame, x, y) {
  let best = 255;
  for (let dy = -1; dy <= 1; dy += 1) {
    for (let dx = -1; dx <= 1; dx += 1) {
      const f = pixel(frame, Math.min(frame.width - 1, Math.max(0, x + dx)), Math.min(frame.height - 1, Math.max(0, y + dy)));
      best = Math.min(best, Math.max(...shown.map((v, i) => Math.abs(v - f[i]))));
    }
  }
  return best;
}

// ---- the tests ----

async function colourBehindThePerson(backend, url, fixtures, { engine } = {}) {
  const { browser, page, errors } = await open(backend, url, {
    fakeUi: true, y4m: fixtures.y4m,
    query: `background=color:${GREEN.map((c) => c.toString(16).padStart(2, '0')).join('')}&overlay=off${engine ? `&engine=${engine}` : ''}`,
  });
  try {
    const s = await waitFor(page, 'mask on the camera frames', (s) => s.app?.model && !s.app.loading
      && s.app.maskAge != null && s.app.framesUploaded > 10 && s.app.source?.startsWith('camera'));
    // The camera starts mirrored; the model then sees the mirrored picture, and a network is not
    // exactly mirror-symmetric. Unmirror through the page's toggle, so the model sees what the
    // native reference saw.
    if (!s.app.mirror) throw new Error('a camera should start mirrored');
    await page.locator('#mirror').uncheck();
    const unmirrored = await waitFor(page, 'mirror off', (t) => t.app.mirror === false);
    await waitFor(page, 'new frames unmirrored', (t) => t.app.framesUploaded > unmirrored.app.framesUploaded + 15);
    // A few more frames with the mask in place (temporal smoothing settles).
    await page.waitForTimeout(2000);
    const shot = PNG.sync.read(await page.locator('canvas').screenshot({
      path: path.join(shots, `${backend}-camera-colour.png`) }));
    const { frame, mask } = fixtures;
    const mirrored = (await state(page)).app.mirror;
    let background = 0, backgroundOk = 0, person = 0, personOk = 0;
    const worst = [];
    for (let fy = 4; fy < frame.height; fy += 6) {
      for (let fx = 4; fx < frame.width; fx += 6) {
        const m = pixel(mask, fx, fy)[0] / 255;
        const [cx, cy] = canvasPoint(shot, frame.width, frame.height, mirrored ? frame.width - 1 - fx : fx, fy);
        const shown = pixel(shot, cx, cy);
        if (m < 0.1 && flatAround(mask, fx, fy, 10, (v) => v < 0.1)) {
          background += 1;
          if (close(shown, GREEN, 24)) backgroundOk += 1;
        } else if (m > 0.9 && flatAround(mask, fx, fy, 10, (v) => v > 0.9)) {
          person += 1;
          // The canvas shows the frame resampled to its size: the nearest frame pixels, and
          // Chromium's YUV → RGB, which is not ffmpeg's to the last few levels.
          const d = nearestDifference(shown, frame, fx, fy);
          worst.push(d);
          if (d <= 24) personOk += 1;
        }
      }
    }
    worst.sort((a, b) => a - b);
    // The camera's frames came through the page's frame reader (MediaStreamTrackProcessor), not
    // through a <video> element read back from the GPU.
    const frames = (await state(page)).frames;
    if (!(frames?.cameras >= 1 && frames.copied > 10)) {
      throw new Error(`the camera's frames did not come through the frame reader: ${JSON.stringify(frames)}`);
    }
    log(`${backend}: person |Δ| (max channel, nearest of 3×3) p50 ${worst[worst.length >> 1]}, ` +
      `p90 ${worst[Math.floor(worst.length * 0.9)]}`);
    log(`${backend}: ${s.app.backend} on ${s.app.adapter || s.page.adapter}; ${s.app.fps?.toFixed(1)} fps; ` +
      `inference ${s.app.inferenceMs?.toFixed(1)} ms; background ${backgroundOk}/${background} green, ` +
      `person ${personOk}/${person} as the frame`);
    const expect = backend === 'webgpu' ? 'WebGPU' : 'WebGL2';
    if (s.app.backend !== expect) throw new Error(`the page runs ${s.app.backend}, not ${expect}`);
    if (background < 200 || person < 200) throw new Error(`too few flat mask samples (${background}, ${person})`);
    if (backgroundOk / background < 0.95) throw new Error(`background: only ${backgroundOk}/${background} samples show the colour`);
    if (personOk / person < 0.9) throw new Error(`person: only ${personOk}/${person} samples show the frame`);
    let problems = s.app.problems;
    if (engine === 'gpu') {
      // The GPU backend: on WebGPU the model runs as compute passes on the frame's texture, its
      // mask the frame's own (age 0); WebGL2 has no compute shaders: the page says so and runs
      // the CPU engine.
      const now = (await state(page)).app;
      log(`${backend}: engine=gpu → ${now.inferenceBackend}; mask age ${now.maskAge}; problems ${JSON.stringify(now.problems)}`);
      if (backend === 'webgpu') {
        if (!now.inferenceBackend?.startsWith('GPU')) throw new Error(`the GPU backend does not run: ${now.inferenceBackend}`);
        if (now.maskAge !== 0) throw new Error(`the GPU backend's mask is ${now.maskAge} frames old, not the frame's own`);
      } else {
        const said = problems.find((p) => p.includes('the gpu backend is unavailable here'));
        if (!said) throw new Error(`WebGL2: no word that the GPU backend is unavailable: ${JSON.stringify(problems)}`);
        if (!now.inferenceBackend?.includes('onnxruntime-web')) throw new Error(`WebGL2: the CPU engine does not run: ${now.inferenceBackend}`);
        problems = problems.filter((p) => p !== said);
      }
    }
    if (problems.length) throw new Error(`problems reported: ${problems.join('; ')}`);
    if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
    // GPU ms per stage: timed on WebGPU, n/a (null) on WebGL2. The default refine is the guided
    // filter and the background a colour: the bilateral and the blur do not run.
    const gpu = (await state(page)).app.gpuMs;
    log(`${backend}: GPU ms ${JSON.stringify(gpu)}`);
    // The gpu backend's network is timed the same way, when it runs.
    const ran = ['mask decode', 'temporal', 'guided', 'composite', ...(engine === 'gpu' ? ['gpu network'] : [])];
    if (backend === 'webgpu') {
      const missing = ran.filter((stage) => !(gpu[stage] > 0));
      if (missing.length) throw new Error(`no GPU ms on WebGPU for: ${missing.join(', ')}`);
      const idle = ['bilateral', 'blur', ...(engine === 'gpu' ? [] : ['gpu network'])].filter((stage) => gpu[stage] !== null);
      if (idle.length) throw new Error(`GPU ms for stages that did not run: ${idle.join(', ')}`);
    } else if (Object.values(gpu).some((ms) => ms !== null)) {
      throw new Error(`GPU ms on WebGL2, which has no timestamp queries: ${JSON.stringify(gpu)}`);
    }
  } finally {
    await browser.close();
  }
}

async function deniedCameraFallsBack(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: false, y4m: fixtures.y4m, query: 'overlay=off' });
  try {
    const s = await waitFor(page, 'fallback to the sample', (s) => s.app?.onFallback
      && s.app.source?.includes('sample portrait') && s.app.framesUploaded > 0);
    const said = s.app.problems.join('; ');
    if (!/camera 0: .*(permission|denied|dismissed)/i.test(said)) throw new Error(`the page does not say why: ${said}`);
    await page.waitForTimeout(1500);
    const status = await page.locator('#status').textContent();
    if (!status.includes('camera 0')) throw new Error(`the status line does not name the camera: ${status}`);
    await page.screenshot({ path: path.join(shots, `${backend}-camera-denied.png`) });
    log(`${backend}: denied → ${s.app.source}: "${said}"`);
  } finally {
    await browser.close();
  }
}

async function fileInputBecomesTheSource(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off' });
  try {
    await waitFor(page, 'the sample', (s) => s.app?.framesUploaded > 0);
    await page.setInputFiles('#file', fixtures.framePng);
    const name = path.basename(fixtures.framePng);
    const s = await waitFor(page, `the file ${name} as the source`, (s) => s.app?.source === `image ${name}`
      && s.app.frameWidth === fixtures.frame.width && s.app.frameHeight === fixtures.frame.height);
    await page.screenshot({ path: path.join(shots, `${backend}-file.png`) });
    log(`${backend}: file input → ${s.app.source} (${s.app.frameWidth}×${s.app.frameHeight})`);
  } finally {
    await browser.close();
  }
}

async function videoFileBecomesTheSource(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off' });
  try {
    await waitFor(page, 'the sample', (s) => s.app?.framesUploaded > 0);
    await page.setInputFiles('#file', fixtures.webm);
    const name = path.basename(fixtures.webm);
    const first = await waitFor(page, `the video ${name} as the source`, (s) => s.app?.source === `video ${name}`
      && s.app.frameWidth === 320 && s.app.frameHeight === 320);
    // It plays: new frames keep arriving (the clip loops).
    const later = await waitFor(page, 'the video playing on', (s) => s.app.framesUploaded > first.app.framesUploaded + 10);
    log(`${backend}: video file → ${later.app.source} (${later.app.frameWidth}×${later.app.frameHeight}), ` +
      `${later.app.framesUploaded - first.app.framesUploaded} frames more`);
    // WebM is not MP4: the frame reader declines it and a <video> element plays it, from a Blob.
    if (later.frames?.files !== 0) throw new Error(`the WebM file went to the frame reader: ${JSON.stringify(later.frames)}`);
    const blobs = await page.evaluate(() => window.testBlobUrls);
    if (!blobs.includes(fs.statSync(fixtures.webm).size)) throw new Error(`no Blob of the WebM file for the element: ${blobs}`);
  } finally {
    await browser.close();
  }
}

// An MP4 file is decoded by WebCodecs (the frame reader), never drawn from a <video> element: its
// frames play on, and the picture (no background effect) is the file's frame.
async function mp4FileIsDecodedByWebCodecs(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m,
    query: 'source=sample&overlay=off&background=none' });
  try {
    await waitFor(page, 'the sample', (s) => s.app?.framesUploaded > 0);
    await page.setInputFiles('#file', fixtures.mp4);
    const name = path.basename(fixtures.mp4);
    const { frame } = fixtures;
    const first = await waitFor(page, `the video ${name} as the source`, (s) => s.app?.source === `video ${name}`
      && s.app.frameWidth === frame.width && s.app.frameHeight === frame.height);
    const later = await waitFor(page, 'the video playing on', (s) => s.app.framesUploaded > first.app.framesUploaded + 20);
    if (!(later.frames?.files === 1 && later.frames.copied > 20)) {
      throw new Error(`the MP4 did not come through WebCodecs: ${JSON.stringify(later.frames)}`);
    }
    // The reader holds the file's bytes; no second copy as a Blob for an element.
    const blobs = await page.evaluate(() => window.testBlobUrls);
    if (blobs.length) throw new Error(`the page made Blob URLs (sizes ${blobs}) for a file the reader decodes`);
    const shot = PNG.sync.read(await page.locator('canvas').screenshot({ path: path.join(shots, `${backend}-mp4.png`) }));
    const differences = [];
    for (let fy = 4; fy < frame.height; fy += 8) {
      for (let fx = 4; fx < frame.width; fx += 8) {
        const [cx, cy] = canvasPoint(shot, frame.width, frame.height, fx, fy);
        differences.push(nearestDifference(pixel(shot, cx, cy), frame, fx, fy));
      }
    }
    differences.sort((a, b) => a - b);
    const p50 = differences[differences.length >> 1], p90 = differences[Math.floor(differences.length * 0.9)];
    log(`${backend}: MP4 → ${later.app.source} by WebCodecs, ${later.frames.copied} frames copied; ` +
      `picture vs the file's frame |Δ| p50 ${p50}, p90 ${p90}`);
    if (!(p90 <= 24)) throw new Error(`the picture is not the file's frame: |Δ| p90 ${p90} > 24`);
  } finally {
    await browser.close();
  }
}

// A video file's frames are decoded ahead of their time and each goes to the app at its time:
// never before it (no frame taken ahead of the player's clock, their times only go forward), and
// never held back (no take comes back empty while a frame decoded well before it had fallen due
// since the last one taken). Decoding only just in time, on a busy machine the decoder's frames
// came late and in bursts, and a third of the app's frames found no new one.
async function fileFramesAtTheirTime(backend, url, fixtures) {
  const { browser, page, errors } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off' });
  try {
    await waitFor(page, 'the sample', (s) => s.app?.framesUploaded > 0);
    // Watches the reader the page makes for the file: each frame the decoder hands it (when,
    // against its time) and each take (what came back, against the player's clock).
    await page.evaluate(() => {
      const seen = (window.testReader = { offers: [], takes: [] });
      const file = window.backdropFrames.file;
      window.backdropFrames.file = async (bytes) => {
        const reader = await file(bytes);
        const offer = reader.offer.bind(reader);
        const take = reader.take.bind(reader);
        reader.offer = (frame) => {
          if (seen.recording) seen.offers.push({ at: performance.now(), timestamp: frame.timestamp, clock: reader.clock() });
          offer(frame);
        };
        reader.take = () => {
          const frame = take();
          if (seen.recording) seen.takes.push({ at: performance.now(), timestamp: frame?.timestamp ?? null, clock: reader.clock() });
          return frame;
        };
        return reader;
      };
    });
    await page.setInputFiles('#file', fixtures.clip);
    const name = path.basename(fixtures.clip);
    await waitFor(page, `the clip ${name} playing`, (s) => s.app?.source === `video ${name}` && s.app.framesUploaded > 0);
    await page.waitForTimeout(2000);
    await page.evaluate(() => { window.testReader.recording = true; });
    await page.waitForTimeout(8000);
    const { offers, takes } = await page.evaluate(() => {
      window.testReader.recording = false;
      return window.testReader;
    });
    const ms = (us) => (us / 1000).toFixed(0);
    const leads = offers.map((o) => o.timestamp - o.clock).sort((a, b) => a - b);
    const taken = takes.filter((t) => t.timestamp !== null);
    const early = taken.filter((t) => t.timestamp > t.clock);
    const backwards = taken.filter((t, i) => i > 0 && t.timestamp <= taken[i - 1].timestamp);
    // Empty takes while a frame, decoded over 100 ms before, had fallen due since the last taken.
    const withheld = [];
    let last = -Infinity;
    for (const t of takes) {
      if (t.timestamp !== null) {
        last = t.timestamp;
      } else if (offers.some((o) => o.at < t.at - 100 && o.timestamp > last && o.timestamp <= t.clock)) {
        withheld.push(t);
      }
    }
    // How far ahead of its time each frame came from the decoder (µs; below 0: late).
    const median = leads[leads.length >> 1];
    log(`${backend}: ${offers.length} frames decoded in 8 s, ahead of their time by ${ms(leads[0])} to ` +
      `${ms(leads[leads.length - 1])} ms (median ${ms(median)}); ${takes.length} takes, ${taken.length} with a new frame; ` +
      `${early.length} early, ${backwards.length} out of order, ${withheld.length} withheld`);
    if (offers.length < 30 || takes.length < 20) throw new Error(`too few frames to judge: ${offers.length} decoded, ${takes.length} takes`);
    if (!(median > 0)) throw new Error(`frames are not decoded ahead of their time: median ${ms(-median)} ms late`);
    if (early.length) throw new Error(`${early.length} frames taken before their time (by up to ${ms(Math.max(...early.map((t) => t.timestamp - t.clock)))} ms)`);
    if (backwards.length) throw new Error(`${backwards.length} frames taken out of order`);
    if (withheld.length) throw new Error(`${withheld.length} takes came back empty with a decoded frame due`);
    if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
  } finally {
    await browser.close();
  }
}

async function droppedImageBecomesTheSource(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off' });
  try {
    await waitFor(page, 'the sample', (s) => s.app?.framesUploaded > 0);
    // A drop on the picture, as a file dragged from the desktop arrives.
    const bytes = fs.readFileSync(fixtures.framePng).toString('base64');
    await page.evaluate((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'dropped.png', { type: 'image/png' }));
      const stage = document.getElementById('stage');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        stage.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    }, bytes);
    const s = await waitFor(page, 'the dropped image as the source', (s) => s.app?.source === 'image dropped.png'
      && s.app.frameWidth === fixtures.frame.width && s.app.frameHeight === fixtures.frame.height);
    log(`${backend}: drop → ${s.app.source} (${s.app.frameWidth}×${s.app.frameHeight})`);
  } finally {
    await browser.close();
  }
}

async function stoppedCameraFallsBack(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'overlay=off' });
  try {
    const running = await waitFor(page, 'camera frames', (s) => s.app?.source === 'camera 0' && s.app.framesUploaded > 5);
    if (running.app.problems.length) throw new Error(`problems before the stop: ${running.app.problems.join('; ')}`);
    const stopped = await page.evaluate(() => {
      const tracks = window.testStreams.flatMap((stream) => stream.getVideoTracks());
      tracks.forEach((track) => track.stop());
      return tracks.length;
    });
    if (stopped === 0) throw new Error('the page opened no camera stream');
    const s = await waitFor(page, 'fallback after the camera stopped', (s) => s.app.onFallback
      && s.app.source?.includes('sample portrait'), 30);
    const said = s.app.problems.join('; ');
    if (!/camera 0: the camera stopped/.test(said)) throw new Error(`the page does not say the camera stopped: ${said}`);
    const later = await waitFor(page, 'the sample playing', (t) => t.app.framesUploaded > s.app.framesUploaded, 30);
    await page.waitForTimeout(1000);
    const status = await page.locator('#status').textContent();
    if (!status.includes('camera stopped')) throw new Error(`the status line does not say so: ${status}`);
    log(`${backend}: camera stopped → ${later.app.source}: "${said}"`);
  } finally {
    await browser.close();
  }
}

async function pickerChoosesTheSecondCamera(backend, url) {
  const { browser, page } = await open(backend, url, { fakeUi: true, cameras: 2, query: 'overlay=off' });
  try {
    await waitFor(page, 'camera 0', (s) => s.app?.source === 'camera 0' && s.app.framesUploaded > 3);
    // Labels and the full list appear once a camera is allowed; the page refreshes it.
    const deadline = Date.now() + 20000;
    let options = [];
    while (Date.now() < deadline) {
      options = await page.locator('#camera option').allTextContents();
      if (options.length === 2) break;
      await page.waitForTimeout(500);
    }
    if (options.length !== 2) throw new Error(`the picker lists ${options.length} cameras: ${options.join(', ')}`);
    const before = (await state(page)).app.framesUploaded;
    await page.locator('#camera').selectOption('1');
    const s = await waitFor(page, 'camera 1 as the source', (t) => t.app.source === 'camera 1'
      && t.app.framesUploaded > before + 5, 30);
    if (s.app.problems.length || s.app.onFallback) throw new Error(`problems: ${s.app.problems.join('; ')}`);
    // The stream the page opened last is the second device.
    const devices = await page.evaluate(async () => {
      const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
      const last = window.testStreams.at(-1).getVideoTracks()[0].getSettings().deviceId;
      return { second: cameras[1].deviceId, opened: last };
    });
    if (devices.opened !== devices.second) throw new Error(`camera 1 opened device ${devices.opened}, not ${devices.second}`);
    log(`${backend}: picker [${options.join(' | ')}] → ${s.app.source}`);
  } finally {
    await browser.close();
  }
}

const ORT_PYTHON = path.join(process.env.BACKDROP_ORT_VENV || path.join(os.homedir(), '.cache/bevy_backdrop-onnxruntime'), 'bin/python');

// The file of model `id` in models/models.ron.
function modelFile(id) {
  const table = fs.readFileSync(path.join(root, 'models/models.ron'), 'utf8');
  const row = table.split(/\n\s*\(\n/).find((r) => r.includes(`id: "${id}"`));
  const file = row?.match(/file: "([^"]+)"/)?.[1];
  if (!file) throw new Error(`no model ${id} in models/models.ron`);
  return path.join(root, 'models', file);
}

async function engineMatchesNativeOrt(backend, url, fixtures) {
  for (const model of ['landscape', 'general']) {
    const { browser, page, errors } = await open(backend, url, {
      fakeUi: true, y4m: fixtures.y4m, query: `source=sample&overlay=off&model=${model}` });
    try {
      const s = await waitFor(page, `a ${model} mask from onnxruntime-web`, (s) => s.app?.inferenceBackend?.includes('onnxruntime-web')
        && s.app.maskAge != null && s.app.framesUploaded > 5);
      const run = await page.evaluate(() => {
        const r = window.backdropApp.backdrop_last_inference();
        return r && { input: Array.from(r.input), dims: Array.from(r.dims), output: Array.from(r.output), ms: r.ms };
      });
      if (!run) throw new Error('the page has no worker run to compare');
      const input = path.join(work, `${backend}-${model}-input.f32`);
      const output = path.join(work, `${backend}-${model}-ort.f32`);
      fs.writeFileSync(input, Buffer.from(new Float32Array(run.input).buffer));
      execFileSync(ORT_PYTHON, [path.join(here, 'ort_reference.py'), modelFile(model), input, run.dims.join(','), output]);
      const native = new Float32Array(fs.readFileSync(output).buffer.slice(0));
      if (native.length !== run.output.length) throw new Error(`output lengths differ: page ${run.output.length}, native ${native.length}`);
      let worst = 0;
      native.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - run.output[i])); });
      log(`${backend}: ${model} on ${s.app.inferenceBackend}: ${run.output.length} values, max |Δ| vs ONNX Runtime ${worst.toExponential(2)}; ` +
        `engine ${run.ms?.toFixed(1)} ms, state ${s.app.inferenceMs?.toFixed(1)} ms`);
      if (!(worst <= 1e-3)) throw new Error(`${model}: max |Δ| ${worst} > 1e-3`);
      if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
    } finally {
      await browser.close();
    }
  }
}

// The inference worker (web/worker.js, as the page runs it) answers `load` only after a run on
// the input shape the app sends: the landscape model loads with its table's shape (NHWC, from
// models/models.ron), and the same model sent with the general model's shape is refused with the
// engine's message, so the app reports a broken model rather than failing at its first frame.
async function engineChecksTheInputShape(backend, url, fixtures) {
  const table = fs.readFileSync(path.join(root, 'models/models.ron'), 'utf8');
  const shape = (id) => {
    const row = table.split(/\n\s*\(\n/).find((r) => r.includes(`id: "${id}"`));
    const [, width, height] = row.match(/input: \(width: (\d+), height: (\d+), layout: Nhwc/);
    return [1, Number(height), Number(width), 3];
  };
  const { browser, page, errors } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off&model=none' });
  try {
    const load = (dims) => page.evaluate(async ([file, dims]) => {
      const worker = new Worker('worker.js', { type: 'module' });
      const model = new Uint8Array(await (await fetch(`models/${file}`)).arrayBuffer());
      try {
        return await new Promise((resolve) => {
          worker.onmessage = ({ data }) => resolve(data);
          worker.postMessage({ type: 'load', model, dims }, [model.buffer]);
        });
      } finally {
        worker.terminate();
      }
    }, [path.basename(modelFile('landscape')), dims]);
    const good = await load(shape('landscape'));
    const bad = await load(shape('general'));
    log(`${backend}: landscape model with ${shape('landscape')} → ${good.type} (output ${good.outputDims}); ` +
      `with ${shape('general')} → ${bad.type}: ${String(bad.message).split('\n')[0]}`);
    if (good.type !== 'loaded') throw new Error(`the landscape model did not load: ${good.message}`);
    if (String(good.outputDims) !== String([1, ...shape('landscape').slice(1, 3), 1])) throw new Error(`output ${good.outputDims}`);
    if (bad.type !== 'error' || !/invalid dimensions/.test(bad.message)) throw new Error(`another input shape was not refused: ${JSON.stringify(bad)}`);
    if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
  } finally {
    await browser.close();
  }
}

async function frameTimeStaysLowWhileInferenceRuns(backend, url, fixtures) {
  const { browser, page } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off' });
  try {
    await waitFor(page, 'the sample', (s) => s.app?.framesUploaded > 0);
    await page.setInputFiles('#file', fixtures.clip);
    const name = path.basename(fixtures.clip);
    const start = await waitFor(page, `the clip ${name} with masks`, (s) => s.app?.source === `video ${name}`
      && s.app.frameWidth === 960 && s.app.inferenceBackend?.includes('onnxruntime-web') && s.app.maskAge != null);
    await page.waitForTimeout(3000);
    const before = await state(page);
    const { times } = await pageFrameTimes(page, 10);
    const after = await state(page);
    const p50 = percentile(times, 0.5), p99 = percentile(times, 0.99);
    const masks = after.app.inferenceMs;
    log(`${backend}: 960×540 clip, ${times.length} page frames in 10 s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` +
      `${(after.app.framesUploaded - before.app.framesUploaded)} video frames; inference ${masks?.toFixed(1)} ms; mask age ${after.app.maskAge}`);
    if (!(after.app.framesUploaded > before.app.framesUploaded)) throw new Error('the clip did not play on');
    if (!(p99 < 50)) throw new Error(`frame time p99 ${p99.toFixed(1)} ms ≥ 50 ms`);
    if (start.app.problems.length) throw new Error(`problems: ${start.app.problems.join('; ')}`);
  } finally {
    await browser.close();
  }
}

// Left to pick its build, the page passes over a software WebGPU adapter (SwiftShader's, in the
// webgpu run) for WebGL2, and says why; where the browser gives no WebGPU adapter (the webgl2 run)
// it takes WebGL2 with nothing to explain. Either way the app runs.
async function softwareWebGpuGivesWayToWebGl2(backend, url, fixtures) {
  const { browser, page, errors } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query: 'source=sample&overlay=off', pick: true });
  try {
    const s = await waitFor(page, 'the app', (t) => t.app?.framesUploaded > 0);
    const status = await page.locator('#status').textContent();
    log(`${backend} flags, no ?backend: ${s.page.backend} on ${s.page.adapter}; status "${status}"`);
    if (s.page.backend !== 'webgl2') throw new Error(`the page picked ${s.page.backend} on ${s.page.adapter}`);
    if (backend === 'webgpu' && !/software/.test(s.page.why || '')) throw new Error(`no reason given: ${s.page.why}`);
    if (backend === 'webgpu' && !status.includes(s.page.why)) throw new Error(`the status line does not say why: ${status}`);
    if (backend === 'webgl2' && s.page.why) throw new Error(`a reason where there was no choice: ${s.page.why}`);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }
}

// WebGL2's present without wgpu's second sRGB conversion (web/present.js): the page shows the
// same pixels with it as with wgpu's own present (`?present=wgpu`), egui's overlay included (the
// display pass blends it in linear light, then encodes), and it is on; WebGPU's page leaves it out.
async function presentWithoutSecondConversion(backend, url, fixtures) {
  const query = 'source=sample&background=color:00c800';
  const shot = {}, present = {};
  for (const how of ['direct', 'wgpu']) {
    const { browser, page, errors } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m,
      query: how === 'wgpu' ? `${query}&present=wgpu` : query });
    try {
      await waitFor(page, 'a mask on the sample', (s) => s.app?.maskAge != null && s.app.framesUploaded > 5 && !s.app.loading);
      // The temporal smoothing settles on the still picture.
      await page.waitForTimeout(2500);
      present[how] = await page.evaluate(() => window.backdropPresent ?? null);
      shot[how] = PNG.sync.read(await page.locator('canvas').screenshot({ path: path.join(shots, `${backend}-present-${how}.png`) }));
      if (errors.length) throw new Error(`console errors (${how}): ${errors.join(' | ')}`);
    } finally {
      await browser.close();
    }
  }
  log(`${backend}: present state ${JSON.stringify(present.direct)}; with ?present=wgpu ${JSON.stringify(present.wgpu)}`);
  if (backend === 'webgl2') {
    if (!present.direct?.direct || !(present.direct.plainTextures >= 1)) {
      throw new Error(`the window's texture was not made a plain one: ${JSON.stringify(present.direct)}`);
    }
  } else if (present.direct !== null) {
    throw new Error(`the WebGPU page installed the WebGL2 present: ${JSON.stringify(present.direct)}`);
  }
  if (present.wgpu !== null) throw new Error(`?present=wgpu still installed it: ${JSON.stringify(present.wgpu)}`);
  const [a, b] = [shot.direct, shot.wgpu];
  if (a.width !== b.width || a.height !== b.height) throw new Error(`screenshots of ${a.width}×${a.height} and ${b.width}×${b.height}`);
  // The overlay's figures (fps, ms) differ between the two runs: a few glyphs. Everything else
  // is the same picture.
  let total = 0, far = 0, sum = 0;
  for (let y = 0; y < a.height; y += 1) {
    for (let x = 0; x < a.width; x += 1) {
      const d = Math.max(...pixel(a, x, y).map((v, i) => Math.abs(v - pixel(b, x, y)[i])));
      total += 1;
      sum += d;
      if (d > 8) far += 1;
    }
  }
  log(`${backend}: direct present vs wgpu's: mean |Δ| ${(sum / total).toFixed(2)}, ${(100 * far / total).toFixed(2)}% of pixels over 8 levels`);
  if (sum / total > 1 || far / total > 0.02) {
    throw new Error(`the direct present shows other pixels than wgpu's: mean |Δ| ${(sum / total).toFixed(2)}, ${far} of ${total} over 8 levels`);
  }
}

const RED = [200, 0, 0];

// Canvas samples that show `colour`, of those that showed `was` in `before` (the background).
function backgroundSamples(before, after, was, colour) {
  let seen = 0, now = 0;
  for (let y = 2; y < before.height; y += 5) {
    for (let x = 2; x < before.width; x += 5) {
      if (close(pixel(before, x, y), was, 12)) {
        seen += 1;
        if (close(pixel(after, x, y), colour, 24)) now += 1;
      }
    }
  }
  return { seen, now };
}

// Types `text` over the preset editor's: a click below the text (the cursor goes to its end),
// one Backspace per character, then the new text, key by key. The field is in the canvas's own
// pixels; the click goes where the page shows them (the canvas may be CSS-scaled).
async function typeIntoEditor(page, text) {
  const s = await state(page);
  const [x, y, w, h] = s.app.presetText.field;
  const canvas = page.locator('canvas');
  const box = await canvas.boundingBox();
  const ratio = box.width / await canvas.evaluate((c) => c.clientWidth);
  await page.mouse.click(box.x + (x + w / 2) * ratio, box.y + (y + h - 8) * ratio);
  await page.waitForTimeout(800);
  for (let i = 0; i < [...s.app.presetText.text].length; i += 1) await page.keyboard.press('Backspace');
  await page.keyboard.type(text, { delay: 30 });
}

async function presetTextEditing(backend, url, fixtures) {
  const query = 'source=sample&overlay=off&editor=1&background=color:00c800';
  const { browser, page, errors } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query });
  const canvas = () => page.locator('canvas');
  // The picture below the editor: the canvas's right half (the editor sits top-left).
  const shot = async (name) => {
    const box = await canvas().boundingBox();
    return PNG.sync.read(await page.screenshot({ path: path.join(shots, `${backend}-${name}.png`),
      clip: { x: box.x + box.width / 2, y: box.y, width: box.width / 2, height: box.height } }));
  };
  const type = (text) => typeIntoEditor(page, text);
  try {
    await waitFor(page, 'the editor and a mask', (s) => s.app?.presetText?.field && s.app.maskAge != null
      && s.app.framesUploaded > 5 && !s.app.loading);
    // The page's Open: a short preset file into the editor (green, as the address said).
    const file = path.join(work, 'green.preset.ron');
    fs.writeFileSync(file, '(background: Color("#00c800"))\n');
    await page.setInputFiles('#preset-file', file);
    const opened = await waitFor(page, 'the opened file in the editor', (s) => s.app.presetText.text.startsWith('(background')
      && s.app.presetText.name === 'green', 30);
    await page.waitForTimeout(1500);
    const green = await shot('editor-green');
    log(`${backend}: opened ${path.basename(file)} → editor "${opened.app.presetText.name}"`);
    // An edit that parses: red behind her in the next pictures.
    await type('(background: Color("#c80000"))');
    const typed = await waitFor(page, 'the edit applied', (s) => s.app.presetText.text.includes('#c80000')
      && s.app.presetText.problem === null, 30);
    await page.waitForTimeout(1500);
    const red = await shot('editor-red');
    const turned = backgroundSamples(green, red, GREEN, RED);
    log(`${backend}: typed "${typed.app.presetText.text}" → ${turned.now}/${turned.seen} background samples red`);
    if (turned.seen < 100 || turned.now / turned.seen < 0.95) throw new Error(`the edit did not turn the background red: ${turned.now}/${turned.seen}`);
    // A broken edit: line:column, and the picture stays red.
    await type('(background: Colour("#0000c8"))');
    const broken = await waitFor(page, 'the broken edit\'s problem', (s) => s.app.presetText.problem !== null, 30);
    const problem = broken.app.presetText.problem;
    if (!/^\d+:\d+: /.test(problem)) throw new Error(`the problem does not start with line:column: ${problem}`);
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(shots, `${backend}-editor-broken-page.png`) });
    const stays = backgroundSamples(green, await shot('editor-broken'), GREEN, RED);
    log(`${backend}: broken edit → "${problem}"; ${stays.now}/${stays.seen} background samples still red`);
    if (stays.now / stays.seen < 0.95) throw new Error(`a broken edit changed the picture: ${stays.now}/${stays.seen} red`);
    // A reload: the last good edit is back (the page stored it), and so is the red.
    await page.reload();
    const back = await waitFor(page, 'the stored edit after the reload', (s) => s.app?.presetText?.text.includes('#c80000')
      && s.app.maskAge != null && s.app.framesUploaded > 5);
    await page.waitForTimeout(2000);
    const again = backgroundSamples(green, await shot('editor-reloaded'), GREEN, RED);
    log(`${backend}: after reload the editor holds "${back.app.presetText.text}"; ${again.now}/${again.seen} background samples red`);
    if (again.now / again.seen < 0.95) throw new Error(`after the reload the picture is not the edited preset's: ${again.now}/${again.seen}`);
    if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
  } finally {
    await browser.close();
  }
}

// On a software renderer (SwiftShader here) a page larger than the picture gets a canvas that
// holds the picture's pixels and no more, scaled up by the browser: the backbuffer is the stage at
// the picture's resolution, the picture still fills the stage as it would at full size, and the
// pointer still lands where things are shown (an edit typed into the editor applies).
async function canvasAtThePictureSize(backend, url, fixtures) {
  const query = 'source=sample&overlay=off&editor=1&background=color:00c800';
  const { browser, page, errors } = await open(backend, url, { fakeUi: true, y4m: fixtures.y4m, query,
    viewport: { width: 1600, height: 900 } });
  const canvas = page.locator('canvas');
  try {
    const s = await waitFor(page, 'the editor, a mask and a scaled canvas', (s) => s.app?.presetText?.field
      && s.app.maskAge != null && s.app.framesUploaded > 5 && !s.app.loading && s.page?.canvasScale < 1);
    await page.waitForTimeout(1500);
    const size = await page.evaluate(() => {
      const c = document.querySelector('canvas');
      const stage = document.getElementById('stage');
      return { width: c.width, height: c.height, stageW: stage.clientWidth, stageH: stage.clientHeight };
    });
    const { frameWidth: fw, frameHeight: fh } = s.app;
    // Page pixels per picture pixel where the picture fits the stage; the backbuffer is the stage
    // divided by that.
    const fit = Math.min(size.stageW / fw, size.stageH / fh);
    const expected = [size.stageW / fit, size.stageH / fit];
    log(`${backend}: ${fw}×${fh} picture on a ${size.stageW}×${size.stageH} stage → canvas ${size.width}×${size.height} (scale ${s.page.canvasScale.toFixed(3)})`);
    if (Math.abs(size.width - expected[0]) > 2 || Math.abs(size.height - expected[1]) > 2) {
      throw new Error(`the canvas is ${size.width}×${size.height}, not the stage at the picture's size ${expected.map(Math.round).join('×')}`);
    }
    const box = await canvas.boundingBox();
    if (Math.abs(box.width - size.stageW) > 1 || Math.abs(box.height - size.stageH) > 1) {
      throw new Error(`the canvas shows ${box.width}×${box.height} on a ${size.stageW}×${size.stageH} stage`);
    }
    const shot = async (name) => PNG.sync.read(await page.screenshot({ path: path.join(shots, `${backend}-${name}.png`),
      clip: { x: box.x + box.width / 2, y: box.y, width: box.width / 2, height: box.height } }));
    const green = await shot('scaled-green');
    // The picture's top right corner, where it is drawn at full size: green; beyond it, black.
    const right = Math.floor((size.stageW + fw * fit) / 2 - box.width / 2);
    const top = Math.floor((size.stageH - fh * fit) / 2);
    const inside = pixel(green, right - 12, top + 12);
    if (!close(inside, GREEN, 24)) throw new Error(`the picture's top right corner shows ${inside}, not green`);
    if (right + 12 < green.width && !close(pixel(green, right + 12, top + 12), [0, 0, 0], 12)) {
      throw new Error(`beside the picture: ${pixel(green, right + 12, top + 12)}, not black`);
    }
    // Click into the editor where it is shown, through the scale, and type.
    await typeIntoEditor(page, '(background: Color("#c80000"))');
    await waitFor(page, 'the edit applied', (t) => t.app.presetText.text.includes('#c80000')
      && t.app.presetText.problem === null, 30);
    await page.waitForTimeout(1500);
    const turned = backgroundSamples(green, await shot('scaled-red'), GREEN, RED);
    log(`${backend}: typed through the scaled canvas → ${turned.now}/${turned.seen} background samples red`);
    if (turned.seen < 100 || turned.now / turned.seen < 0.95) throw new Error(`the edit did not turn the background red: ${turned.now}/${turned.seen}`);
    if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
  } finally {
    await browser.close();
  }
}

// Bounds the page does not meet yet (issue "Web II"): run with --goals. Not in the default run,
// so that a red run means a regression.
// The GPU backend (`?engine=gpu`): WebGPU runs it; WebGL2 says it cannot and keeps the CPU engine.
async function gpuEngine(backend, url, fixtures) {
  return colourBehindThePerson(backend, url, fixtures, { engine: 'gpu' });
}

const GOALS = [frameTimeStaysLowWhileInferenceRuns];

async function main() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`${dist} is not built (make web)`);
  if (!fs.existsSync(backdrop)) {
    throw new Error(`${backdrop} is missing: build it (cargo test --release --no-run), or set BACKDROP_BIN`);
  }
  const fixtures = makeFixtures();
  const { server, url } = await serve(dist);
  let failed = 0;
  try {
    for (const backend of backends) {
      for (const test of [colourBehindThePerson, deniedCameraFallsBack, fileInputBecomesTheSource,
        videoFileBecomesTheSource, mp4FileIsDecodedByWebCodecs, fileFramesAtTheirTime, droppedImageBecomesTheSource, stoppedCameraFallsBack,
        pickerChoosesTheSecondCamera, engineMatchesNativeOrt, engineChecksTheInputShape, presetTextEditing, canvasAtThePictureSize, gpuEngine,
        softwareWebGpuGivesWayToWebGl2, presentWithoutSecondConversion,
        ...(args.includes('--goals') ? GOALS : [])].filter((t) => !only || only.includes(t.name))) {
        const started = Date.now();
        try {
          await test(backend, url, fixtures);
          log(`ok   ${backend} ${test.name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
        } catch (e) {
          failed += 1;
          log(`FAIL ${backend} ${test.name}: ${e.message}`);
        }
      }
    }
  } finally {
    server.kill();
  }
  log(`screenshots in ${shots}`);
  if (failed) {
    log(`${failed} browser test(s) failed`);
    process.exit(1);
  }
  log('all browser tests passed');
}

main().catch((e) => { console.error(e); process.exit(1); });
