// Where the CPU goes while the page plays the Doctor clip: CPU ms per frame delivered to the canvas,
// per browser thread (from /proc, so threads Chromium does not trace count too: SwiftShader's
// rasteriser threads in the GPU process are most of it on a machine without a GPU).
//
//   node web/test/cpu_profile.mjs [--dist web/dist] [--backend webgl2|webgpu] [--model landscape]
//        [--query background=color:00c800] [--preset FILE.preset.ron] [--seconds 10] [--viewport 1600x900]
//
// Prints frames to the canvas per second (counted as vs_volcomix.mjs counts them), the page's
// GPU ms per stage where it has them (WebGPU), then one line per thread name: CPU ms per
// delivered frame and share of one core. Compare runs with one stage taken out (--query) or set
// otherwise (--preset: the page starts with that preset, as if it were the last one edited) to
// see what a stage costs in CPU.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, countCanvasFrames, option, pageState, playClip, serve } from './clip_page.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const dist = path.resolve(option('--dist', path.join(root, 'web/dist')));
const backend = option('--backend', 'webgl2');
const model = option('--model', 'landscape');
const query = option('--query', '');
const preset = option('--preset', null);
const seconds = Number(option('--seconds', '10'));
const [viewWidth, viewHeight] = option('--viewport', '1600x900').split('x').map(Number);
const clip = path.resolve(option('--clip', path.join(root, '../shared/media/doctor-26732.mp4')));


// CPU ticks (utime + stime) of every thread of every Chromium process, keyed by pid:tid, named
// "process type/thread name".
function chromiumThreads() {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline;
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes('chromium')) continue;
    const type = (cmdline.match(/--type=([a-z-]+)/) || [null, 'browser'])[1];
    let tids = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}:${tid}`, { name: `${type}/${name}`, ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return out;
}

const { server, url } = await serve(dist);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: chromiumArgs(backend) });
try {
  const page = await (await browser.newContext({ viewport: { width: viewWidth, height: viewHeight } })).newPage();
  if (preset) {
    // What the page keeps of the last edited preset (web/loader.js), restored at start.
    const stored = JSON.stringify({ name: path.basename(preset, '.preset.ron'), text: fs.readFileSync(preset, 'utf8') });
    await page.addInitScript((value) => localStorage.setItem('backdrop.preset', value), stored);
  }
  await page.goto(`${url}?backend=${backend}&source=sample&overlay=off&model=${model}${query ? `&${query}` : ''}`);
  await playClip(page, clip, model);
  await page.waitForTimeout(4000);
  const canvasFrames = await countCanvasFrames(page);
  await page.waitForTimeout(1000);
  const before = { threads: chromiumThreads(), canvas: await canvasFrames(), t: Date.now() };
  await page.waitForTimeout(seconds * 1000);
  const after = { threads: chromiumThreads(), canvas: await canvasFrames(), t: Date.now() };
  const s = await pageState(page);
  const elapsed = (after.t - before.t) / 1000;
  const frames = after.canvas - before.canvas;
  const tickMs = 10; // USER_HZ = 100 on Linux
  const byName = new Map();
  for (const [key, { name, ticks }] of after.threads) {
    const spent = ticks - (before.threads.get(key)?.ticks ?? 0);
    if (spent > 0) byName.set(name, (byName.get(name) ?? 0) + spent);
  }
  const gpu = Object.entries(s.gpuMs || {}).filter(([, ms]) => ms != null).map(([k, ms]) => `${k} ${ms.toFixed(1)}`);
  console.log(`${backend} ${model}${query ? ` ${query}` : ''}${preset ? ` ${path.basename(preset)}` : ''}: ${(frames / elapsed).toFixed(2)} frames to the canvas /s; ` +
    `GPU ms per stage: ${gpu.length ? gpu.join(', ') : 'n/a'}`);
  let total = 0;
  for (const [name, ticks] of [...byName].sort((a, b) => b[1] - a[1])) {
    total += ticks;
    if (ticks * tickMs / frames >= 0.5) {
      console.log(`  ${name.padEnd(36)} ${(ticks * tickMs / frames).toFixed(1).padStart(6)} ms/frame  ${(ticks * tickMs / elapsed / 10).toFixed(0).padStart(3)}%`);
    }
  }
  console.log(`  ${'all threads'.padEnd(36)} ${(total * tickMs / frames).toFixed(1).padStart(6)} ms/frame  ${(total * tickMs / elapsed / 10).toFixed(0).padStart(3)}%`);
} finally {
  await browser.close();
  server.kill();
}
