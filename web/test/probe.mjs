// Watches the web playground in headless Chromium: prints the page's console, failed requests and,
// every 5 s, the app's state (window.backdropState), then saves a screenshot to /tmp/probe.png.
// For looking into a page that misbehaves; the tests are run.mjs.
//
//   node web/test/probe.mjs http://127.0.0.1:8080/ webgl2|webgpu 'source=sample&overlay=off' SECONDS
import { chromium } from 'playwright-core';
const [url, backend, query, seconds] = process.argv.slice(2);
const flags = ['--no-sandbox', '--ignore-gpu-blocklist', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];
if (backend === 'webgpu') flags.push('--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: flags });
const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
const t0 = Date.now();
page.on('console', (m) => console.log(((Date.now() - t0) / 1000).toFixed(1), m.type(), m.text().slice(0, 300)));
page.on('pageerror', (e) => console.log('pageerror', String(e).slice(0, 500)));
page.on('requestfailed', (r) => console.log('requestfailed', r.url(), r.failure()?.errorText));
page.on('response', (r) => { if (r.status() >= 400) console.log('HTTP', r.status(), r.url()); });
await page.goto(`${url}?backend=${backend}&${query}`);
for (let i = 0; i < Number(seconds); i += 5) {
  await page.waitForTimeout(5000);
  const s = await page.evaluate(() => window.backdropState);
  console.log('STATE', ((Date.now() - t0) / 1000).toFixed(1), JSON.stringify(s && { frames: s.frames, fps: s.fps, up: s.framesUploaded, src: s.source, loading: s.loading, model: s.model, inf: s.inferenceMs, problems: s.problems }));
}
await page.screenshot({ path: '/tmp/probe.png' });
await browser.close();
