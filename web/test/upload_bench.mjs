// How a video frame reaches the GPU in the browser, two ways, same page, same 960×540 frames:
//   1. drawImage into an OffscreenCanvas + getImageData (what the app does: the pixels land in
//      memory, where inference needs them anyway) and a writeTexture of those bytes;
//   2. WebGPU's copyExternalImageToTexture straight from the <video> (no CPU copy, but then
//      inference has no pixels).
// Median ms of 60 frames each (each waits for the GPU queue), printed as a Markdown table.
//
//   node web/test/upload_bench.mjs [CLIP]   (default: a 960×540 WebM made from the sample)
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
let clip = process.argv[2];
if (!clip) {
  clip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'upload-bench-')), 'clip960.webm');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-loop', '1', '-i', path.join(root, 'assets/samples/astronaut.jpg'),
    '-t', '3', '-r', '25', '-vf', "scale=1100:-2,crop=960:540:'40*t':'(ih-540)/2'", '-c:v', 'libvpx', '-b:v', '2M', clip]);
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox',
  '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--autoplay-policy=no-user-gesture-required'] });
try {
  const page = await browser.newPage();
  // A secure context for WebGPU: the page is served by nothing; a data URL is not secure, so
  // route a fake localhost page and the clip.
  await page.route('http://127.0.0.1:9/**', (route) => {
    const url = route.request().url();
    if (url.endsWith('/clip.webm')) return route.fulfill({ body: fs.readFileSync(clip), contentType: 'video/webm' });
    return route.fulfill({ body: '<!doctype html><video id="v" src="clip.webm" muted loop playsinline></video>', contentType: 'text/html' });
  });
  await page.goto('http://127.0.0.1:9/');
  const result = await page.evaluate(async () => {
    const video = document.getElementById('v');
    await video.play();
    await new Promise((r) => video.requestVideoFrameCallback(r));
    const [w, h] = [video.videoWidth, video.videoHeight];
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter.requestDevice();
    const texture = device.createTexture({ size: [w, h], format: 'rgba8unorm',
      usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.RENDER_ATTACHMENT });
    const canvas = new OffscreenCanvas(w, h);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const frame = () => new Promise((r) => video.requestVideoFrameCallback(r));
    // The <video> itself as the source, else a VideoFrame of it, else an ImageBitmap (the first
    // that this browser's WebGPU copies from).
    const sources = [['the video element', () => video], ['a VideoFrame', () => new VideoFrame(video)],
      ['an ImageBitmap', () => createImageBitmap(video)]];
    const failures = [];
    let source = null;
    for (const [name, make] of sources) {
      try {
        const s = await make();
        device.queue.copyExternalImageToTexture({ source: s }, { texture }, [w, h]);
        await device.queue.onSubmittedWorkDone();
        s.close?.();
        source = [name, make];
        break;
      } catch (e) {
        failures.push(`${name}: ${e.message}`);
      }
    }
    if (!source) return { failures };
    const viaCpu = [], direct = [];
    for (let i = 0; i < 60; i += 1) {
      await frame();
      let t = performance.now();
      context.drawImage(video, 0, 0);
      const pixels = context.getImageData(0, 0, w, h);
      device.queue.writeTexture({ texture }, pixels.data, { bytesPerRow: w * 4 }, [w, h]);
      await device.queue.onSubmittedWorkDone();
      viaCpu.push(performance.now() - t);
      t = performance.now();
      const s = await source[1]();
      device.queue.copyExternalImageToTexture({ source: s }, { texture }, [w, h]);
      await device.queue.onSubmittedWorkDone();
      s.close?.();
      direct.push(performance.now() - t);
    }
    return { w, h, viaCpu: median(viaCpu), direct: median(direct), source: source[0], failures };
  });
  if (!result.source) throw new Error(`copyExternalImageToTexture copied from nothing: ${result.failures.join('; ')}`);
  console.log(`Frame upload, ${result.w}×${result.h}, median of 60 frames (WebGPU on SwiftShader, headless Chromium)`);
  for (const f of result.failures) console.log(`- failed: ${f}`);
  console.log('');
  console.log('| way | ms |');
  console.log('|---|---:|');
  console.log(`| drawImage + getImageData + writeTexture (pixels on the CPU too) | ${result.viaCpu.toFixed(2)} |`);
  console.log(`| copyExternalImageToTexture from ${result.source} (GPU only) | ${result.direct.toFixed(2)} |`);
} finally {
  await browser.close();
}
