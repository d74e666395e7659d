// Opens web/engine-bench/dist in headless Chromium and prints its table (see bench.html).
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../test/package.json'));
const { chromium } = require('playwright-core');
const dist = process.argv[2] || path.join(here, 'dist');
const server = spawn('python3', [path.join(here, '../serve.py'), '--port', '0', '--dir', dist], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => server.stdout.on('data', (d) => {
  const m = String(d).match(/http:\/\/127\.0\.0\.1:\d+\//);
  if (m) resolve(m[0]);
}));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error(m.text()); });
  await page.goto(url);
  const rows = await page.evaluate(() => window.results);
  if (rows.error) throw new Error(rows.error);
  const f = (ms) => (ms == null ? '–' : ms.toFixed(1));
  const d = (diff) => (diff == null ? '–' : diff.toExponential(1));
  const demo = rows[0].tflite != null;
  console.log('Median ms of 30 rounds (after 5), each round every engine once, on an idle page\'s thread, headless Chromium\n');
  console.log(`| model | input | onnxruntime-web 1.16.3 + XNNPACK (the app's; wasm SIMD, 1 thread) | onnxruntime-web 1.30 (its own kernels) | tract +simd128 | tract (no SIMD) | rten +simd128 | rten (no SIMD) |${demo ? ' the demo\'s TFLite (WASM SIMD, XNNPACK), same network |' : ''} max |Δ| vs the app's: ort-web 1.30 / tract+simd / tract / rten+simd / rten${demo ? ' / TFLite' : ''} |`);
  console.log(`|---|---|---:|---:|---:|---:|---:|---:|${demo ? '---:|' : ''}---|`);
  for (const r of rows) {
    const diffs = [r.ortNewestDiff, r.tractSimdDiff, r.tractScalarDiff, r.rtenSimdDiff, r.rtenScalarDiff, ...(demo ? [r.tfliteDiff] : [])].map(d).join(' / ');
    console.log(`| ${r.model} | ${r.input} | ${f(r.ort)} | ${f(r.ortNewest)} | ${f(r.tractSimd)} | ${f(r.tractScalar)} | ${f(r.rtenSimd)} | ${f(r.rtenScalar)} |${demo ? ` ${f(r.tflite)} |` : ''} ${diffs} |`);
  }
  if (!demo) console.log('\n(the demo\'s TFLite column needs $VOLPEER/www/virtual-background: see vs_volcomix.mjs)');
} finally {
  await browser.close();
  server.kill();
}
