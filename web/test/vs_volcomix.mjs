// Speed, side by side in one run: the reference web demo (Volcomix/virtual-background, its own
// production build, driven by the shared harness ../shared/peers/volcomix/measure.js) and our page,
// both in this headless Chromium on the Doctor clip (960×540). Prints a Markdown table.
//
//   node web/test/vs_volcomix.mjs [--seconds 30] [--clip ../shared/media/doctor-26732.mp4]
//        [--backends webgl2,webgpu] [--models landscape,general] [--viewport 1600x900] [--scale 1] [--skip-demo]
//        [--query background=color:00c800]   (more of the page's options, e.g. to take a stage out)
//        [--baseline DIR [--baseline-label TEXT]]   (another build, e.g. main's before a change: each
//        of our rows is run on it too, right after, so the two are measured side by side)
//
// Needs web/dist (web/build.sh) and, for the demo, $VOLPEER (default ~/volpeer) prepared as the
// harness's README says: $VOLPEER/www/virtual-background (the demo's build), $VOLPEER/harness (a
// copy of the harness with playwright-core installed) and $VOLPEER/doctor-10s.y4m.
//
// Our figures per build and model: frames reaching the canvas (canvas.captureStream() counted with
// requestVideoFrameCallback, the harness's own method) and new video frames processed (each one
// read, segmented and composited: the honest count when the app draws faster than the clip), the
// engine's inference ms (onnxruntime-web's own clock in its worker), mask age, GPU ms per stage.

import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, countCanvasFrames, option, pageState, playClip, serve } from './clip_page.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const seconds = Number(option('--seconds', '30'));
const clip = path.resolve(option('--clip', path.join(root, '../shared/media/doctor-26732.mp4')));
const backends = option('--backends', 'webgl2,webgpu').split(',');
const models = option('--models', 'landscape,general').split(',');
const extraQuery = option('--query', '');
const volpeer = process.env.VOLPEER || path.join(os.homedir(), 'volpeer');
// The harness's viewport; ours may be measured at another (the canvas fills it).
const [viewWidth, viewHeight] = option('--viewport', '1600x900').split('x').map(Number);
// The page's devicePixelRatio: below 1 the canvas's backbuffer is smaller than its CSS size.
const scale = Number(option('--scale', '1'));


const log = (...parts) => console.error(new Date().toISOString().slice(11, 19), ...parts);
const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[v.length >> 1] : NaN;
};

// The demo through the shared harness, tried twice (its UI clicks can time out while the demo's
// menus animate on a loaded machine); a row that says so when both fail.
function demo(label, model, resolution, pipeline) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return demoOnce(label, model, resolution, pipeline);
    } catch (e) {
      log(`demo ${label}: attempt ${attempt} failed: ${String(e.message).split('\n')[0]}`);
      if (attempt === 2) {
        return { what: `demo, ${model} ${resolution}, ${pipeline}: the harness failed twice`, canvasFps: '–',
          processedFps: '–', inferenceMs: '–', maskAge: '–', gpu: '–' };
      }
    }
  }
}

// One harness run: one JSON line in $VOLPEER/results.jsonl.
function demoOnce(label, model, resolution, pipeline) {
  const results = path.join(volpeer, 'results.jsonl');
  const before = fs.existsSync(results) ? fs.readFileSync(results, 'utf8').trim().split('\n').length : 0;
  log(`demo ${label} …`);
  execFileSync('node', [path.join(volpeer, 'harness/measure.js'), label, 'video', model, resolution, 'wasmSimd',
    pipeline, String(seconds)], { env: { ...process.env, VOLPEER: volpeer }, stdio: ['ignore', 'ignore', 'inherit'],
    timeout: (seconds + 240) * 1000 });
  const lines = fs.readFileSync(results, 'utf8').trim().split('\n');
  if (lines.length <= before) throw new Error(`the harness wrote no result for ${label}`);
  const r = JSON.parse(lines[lines.length - 1]);
  return {
    what: `demo, ${model} ${resolution}, ${pipeline === 'webgl2' ? 'WebGL2' : 'Canvas2D'} pipeline`,
    canvasFps: r.totals.outputFps,
    processedFps: r.totals.outputFps,
    inferenceMs: r.inference.median,
    maskAge: '–',
    gpu: 'n/a',
  };
}

async function ours(url, backend, model, label = '') {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: chromiumArgs(backend) });
  try {
    const page = await (await browser.newContext({ viewport: { width: viewWidth, height: viewHeight }, deviceScaleFactor: scale })).newPage();
    await page.goto(`${url}?backend=${backend}&source=sample&overlay=off&model=${model}${extraQuery ? `&${extraQuery}` : ''}`);
    const state = () => pageState(page);
    await playClip(page, clip, model);
    await page.waitForTimeout(5000);
    const canvasFrames = await countCanvasFrames(page);
    await page.waitForTimeout(1000);
    const first = { s: await state(), canvas: await canvasFrames(), t: Date.now() };
    const samples = [];
    while (Date.now() - first.t < seconds * 1000) {
      await page.waitForTimeout(1000);
      samples.push(await state());
    }
    const last = { s: await state(), canvas: await canvasFrames(), t: Date.now() };
    const elapsed = (last.t - first.t) / 1000;
    const gpu = Object.entries(last.s.gpuMs).filter(([, ms]) => ms != null).map(([stage, ms]) => `${stage} ${ms.toFixed(1)}`);
    const result = {
      what: `ours${label}, ${backend === 'webgpu' ? 'WebGPU' : 'WebGL2'}, ${model} (${last.s.inferenceBackend?.split(' ')[0] ?? 'no model'}), ${viewWidth}×${viewHeight}${scale !== 1 ? ` at ${scale}×` : ''}${extraQuery ? `, ${extraQuery}` : ''}`,
      canvasFps: +((last.canvas - first.canvas) / elapsed).toFixed(2),
      processedFps: +((last.s.framesUploaded - first.s.framesUploaded) / elapsed).toFixed(2),
      inferenceMs: +median(samples.map((s) => s.inferenceMs)).toFixed(1),
      maskAge: median(samples.map((s) => s.maskAge)).toFixed(2),
      gpu: gpu.length ? gpu.join(', ') : 'n/a',
    };
    await page.screenshot({ path: path.join(os.tmpdir(), `vs-volcomix-${backend}-${model}.png`) });
    return result;
  } finally {
    await browser.close();
  }
}

async function main() {
  if (!fs.existsSync(clip)) throw new Error(`${clip}: no such clip`);
  const rows = [];
  let demoServer = null;
  if (!args.includes('--skip-demo')) {
    demoServer = spawn('python3', ['-m', 'http.server', '8765', '--bind', '127.0.0.1', '--directory',
      path.join(volpeer, 'www')], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500));
  }
  const { server, url } = await serve(path.resolve(option('--dist', path.join(root, 'web/dist'))));
  const baseline = option('--baseline', null)
    ? { ...(await serve(path.resolve(option('--baseline')))), label: ` (${option('--baseline-label', 'baseline')})` }
    : null;
  try {
    if (demoServer) {
      rows.push(demo('vs-meet256-webgl2', 'meet', '256x144', 'webgl2'));
      rows.push(demo('vs-meet256-canvas2d', 'meet', '256x144', 'canvas2dCpu'));
    }
    for (const backend of backends) {
      for (const model of models) {
        log(`ours ${backend} ${model} …`);
        rows.push(await ours(url, backend, model));
        if (baseline) {
          log(`ours${baseline.label} ${backend} ${model} …`);
          rows.push(await ours(baseline.url, backend, model, baseline.label));
        }
      }
    }
    if (demoServer) rows.push(demo('vs-mlkit256-canvas2d', 'mlkit', '256x256', 'canvas2dCpu'));
  } finally {
    server.kill();
    baseline?.server.kill();
    demoServer?.kill();
  }
  console.log(`Doctor clip (${path.basename(clip)}), ${seconds} s each, headless Chromium, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; viewport ${viewWidth}×${viewHeight} for ours\n`);
  console.log('| run | frames to the canvas /s | video frames processed /s | inference ms (median) | mask age (frames) | GPU ms per stage |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.what} | ${r.canvasFps} | ${r.processedFps} | ${r.inferenceMs} | ${r.maskAge} | ${r.gpu} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
