// What the browser scripts (run.mjs, vs_volcomix.mjs, cpu_profile.mjs, frame_times.mjs) share:
// serving a folder, reading their options, and what they do to a page of ours: play the clip
// through the page's file input, and count the frames that reach its canvas.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Headless Chromium's flags for a page of ours on `backend` (webgl2 | webgpu): SwiftShader for
// WebGL2 (ANGLE) and, on webgpu, for WebGPU (Vulkan); media plays without a gesture.
export function chromiumArgs(backend) {
  const common = ['--no-sandbox', '--ignore-gpu-blocklist', '--disable-background-networking', '--no-first-run',
    '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--autoplay-policy=no-user-gesture-required'];
  const webgpu = ['--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-vulkan=swiftshader',
    '--use-webgpu-adapter=swiftshader'];
  return backend === 'webgpu' ? [...common, ...webgpu] : common;
}

// Serves `dir` with web/serve.py on a free loopback port: `{ server, url }` once it listens.
export async function serve(dir) {
  const server = spawn('python3', [path.join(root, 'web/serve.py'), '--port', '0', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    server.stdout.on('data', (data) => {
      const found = String(data).match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (found) resolve(found[0]);
    });
    server.on('exit', (code) => reject(new Error(`web/serve.py exited (${code})`)));
  });
  return { server, url };
}

// The value after `name` on the command line (`--seconds 20`), or `fallback` when it is not there.
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

// The app's state as the page publishes it (`window.backdropState`).
export const pageState = (page) => page.evaluate(() => window.backdropState || null);

// Waits until the app runs, opens `clip` in the page's file input, and waits until the page plays
// it (with masks, unless `model` is none). At most `limit` seconds for each.
export async function playClip(page, clip, model, limit = 300) {
  const until = async (what, done) => {
    const start = Date.now();
    for (;;) {
      const s = await pageState(page);
      if (s && done(s)) return s;
      if (Date.now() - start > limit * 1000) throw new Error(`no ${what}: ${JSON.stringify(s)}`);
      await page.waitForTimeout(500);
    }
  };
  await until('app', (s) => s.framesUploaded > 0);
  await page.setInputFiles('#file', clip);
  const name = path.basename(clip);
  await until('the clip with masks', (s) => s.source === `video ${name}` && (model === 'none' || s.maskAge != null) && !s.loading);
}

// Counts the frames that reach the page's canvas from now on — `canvas.captureStream()` into a
// hidden <video>, one count per `requestVideoFrameCallback` (the shared demo harness's own method) —
// and gives a function that reads the count.
export async function countCanvasFrames(page) {
  await page.evaluate(() => {
    const counter = (window.canvasFrameCounter = { canvas: 0 });
    const video = document.createElement('video');
    video.muted = true;
    video.style.cssText = 'position:fixed;left:0;top:0;width:2px;height:2px;opacity:0.01';
    video.srcObject = document.querySelector('canvas').captureStream();
    document.body.appendChild(video);
    video.play();
    const onFrame = () => { counter.canvas += 1; video.requestVideoFrameCallback(onFrame); };
    video.requestVideoFrameCallback(onFrame);
  });
  return () => page.evaluate(() => window.canvasFrameCounter.canvas);
}

// The page's own frame times — its requestAnimationFrame intervals over `seconds` — and the long
// tasks (> 50 ms, PerformanceObserver) its thread ran meanwhile: `{ times, long }`, in ms.
export async function pageFrameTimes(page, seconds) {
  return page.evaluate((ms) => new Promise((resolve) => {
    const long = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) long.push(entry.duration);
    });
    observer.observe({ type: 'longtask' });
    const times = [];
    let last = performance.now();
    const end = last + ms;
    const tick = (now) => {
      times.push(now - last);
      last = now;
      if (now < end) {
        requestAnimationFrame(tick);
      } else {
        observer.disconnect();
        resolve({ times, long });
      }
    };
    requestAnimationFrame(tick);
  }), seconds * 1000);
}

// The `p` quantile (0–1) of `values`: the value at that rank, no interpolation.
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
};
