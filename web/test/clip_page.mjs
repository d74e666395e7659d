// What the benchmark scripts (vs_volcomix.mjs, cpu_profile.mjs) share: reading their options, and
// what they do to a page of ours: play the clip through the page's file input, and count the
// frames that reach its canvas.

import path from 'node:path';

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
