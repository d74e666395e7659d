// Where the page's frame time goes, on this machine's SwiftShader: the page's own frames (rAF
// intervals, as the frame-time goal in run.mjs --goals reads them) while the clip plays, with the
// app doing less and less, and a bare control page. Prints Markdown tables.
//
//   node web/test/frame_times.mjs [--seconds 10] [--clip ../shared/media/doctor-26732.mp4]
//        [--backends webgl2,webgpu] [--bare-iters 25]
//
// Ours (web/dist, built by web/build.sh), the clip through the page's file input, 800×600 as the
// goal's test: the whole chain with a blurred background (the goal's page), a colour background
// (no blur), the chain idle while inference runs (`background=none`: masks are made, nothing
// changes the frame), and no model (`model=none`: the frame as it is). Per row: the page's frames
// in the window, their p50 / p90 / p99 / longest interval, the page thread's long tasks (> 50 ms,
// PerformanceObserver), new video frames a second, the engine's inference ms.
//
// The bare page (web/test/bare): one fragment shader of `--bare-iters` rounds a pixel over
// 960×540, drawn on the page's thread and then in a worker on an OffscreenCanvas. It answers
// whether taking the drawing off the page's thread would keep the page's own frames short here.

import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, option, pageFrameTimes, pageState, percentile, playClip, serve } from './clip_page.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const seconds = Number(option('--seconds', '10'));
const clip = path.resolve(option('--clip', path.join(root, '../shared/media/doctor-26732.mp4')));
const backends = option('--backends', 'webgl2').split(',');
const bareIters = Number(option('--bare-iters', '25'));


const VARIANTS = [
  ['the whole chain, blurred background (the goal\'s page)', ''],
  ['the whole chain, colour background (no blur)', 'background=color:00c800'],
  ['inference runs, the chain idle (background=none)', 'background=none'],
  ['no model: the frame as it is (model=none)', 'model=none'],
];

const log = (...parts) => console.error(new Date().toISOString().slice(11, 19), ...parts);
const row = (what, { times, long }, extra) => {
  const f = (ms) => ms.toFixed(1);
  return `| ${what} | ${times.length} | ${f(percentile(times, 0.5))} | ${f(percentile(times, 0.9))} | ` +
    `${f(percentile(times, 0.99))} | ${f(Math.max(...times))} | ${long.length} | ${extra.join(' | ')} |`;
};

async function ours(url, backend) {
  const lines = [];
  for (const [what, query] of VARIANTS) {
    log(`ours ${backend}: ${what}`);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
      args: chromiumArgs(backend) });
    try {
      const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
      await page.goto(`${url}?backend=${backend}&source=sample&overlay=off${query ? `&${query}` : ''}`);
      await playClip(page, clip, /model=none/.test(query) ? 'none' : 'landscape');
      await page.waitForTimeout(3000);
      const before = await pageState(page);
      const measured = await pageFrameTimes(page, seconds);
      const after = await pageState(page);
      const videoFps = (after.framesUploaded - before.framesUploaded) / seconds;
      const inference = after.inferenceMs == null ? '–' : after.inferenceMs.toFixed(1);
      lines.push(row(what, measured, [videoFps.toFixed(2), inference]));
    } finally {
      await browser.close();
    }
  }
  return lines;
}

async function bare(url) {
  const lines = [];
  for (const on of ['page', 'worker']) {
    log(`bare page: drawn ${on === 'page' ? 'on the page\'s thread' : 'in a worker'}`);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumArgs('webgl2') });
    try {
      const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
      await page.goto(`${url}?on=${on}&iters=${bareIters}`);
      await page.waitForTimeout(3000);
      const before = await page.evaluate(() => window.glFrames);
      const measured = await pageFrameTimes(page, seconds);
      const after = await page.evaluate(() => window.glFrames);
      if (!(after > before)) throw new Error(`the bare page drew nothing on the ${on}`);
      const where = on === 'page' ? 'drawn on the page\'s thread' : 'drawn in a worker (OffscreenCanvas)';
      lines.push(row(where, measured, [((after - before) / seconds).toFixed(2)]));
    } finally {
      await browser.close();
    }
  }
  return lines;
}

const header = (first, extra) => [
  `| ${first} | page frames | p50 ms | p90 ms | p99 ms | longest ms | long tasks | ${extra.join(' | ')} |`,
  `|---|---:|---:|---:|---:|---:|---:|${extra.map(() => '---:').join('|')}|`,
];

const app = await serve(path.join(root, 'web/dist'));
const control = await serve(path.join(here, 'bare'));
try {
  const out = [];
  for (const backend of backends) {
    const lines = await ours(app.url, backend);
    out.push('', `Ours, ${backend === 'webgpu' ? 'WebGPU' : 'WebGL2'}, ${path.basename(clip)} (landscape model), 800×600, ${seconds} s each`, '',
      ...header('page', ['video frames /s', 'inference ms']), ...lines);
  }
  const lines = await bare(control.url);
  out.push('', `Bare WebGL2 page, one ${bareIters}-round fragment shader over 960×540 a frame, 800×600, ${seconds} s each`, '',
    ...header('drawing', ['frames drawn /s']), ...lines);
  console.log(out.join('\n'));
} finally {
  app.server.kill();
  control.server.kill();
}
