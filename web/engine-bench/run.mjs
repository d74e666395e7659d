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
  console.log('Median ms of 30 runs (after 5), one engine at a time on an idle page\'s thread, headless Chromium\n');
  console.log('| model | input | onnxruntime-web (wasm SIMD, 1 thread) | tract +simd128 | tract (no SIMD) | tract +simd128 max |Δ| vs ort-web | tract max |Δ| |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.input} | ${r.ort.toFixed(1)} | ${r.tractSimd.toFixed(1)} | ${r.tractScalar.toFixed(1)} | ${r.simdDiff.toExponential(1)} | ${r.scalarDiff.toExponential(1)} |`);
  }
} finally {
  await browser.close();
  server.kill();
}
