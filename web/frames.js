// Frames for the app without the GPU: a camera's frames through MediaStreamTrackProcessor, a video
// file's through WebCodecs (demuxed by mp4box, decoded by a software VideoDecoder), each copied
// as RGBA into memory with VideoFrame.copyTo. The app's other way — a <video> element drawn into a
// 2D canvas and read back with getImageData — makes the browser's GPU process upload, convert and
// read back every frame, and the page's thread waits for it: measured here (Chromium, SwiftShader,
// 2 cores), 28 ms of GPU-process CPU and 22 ms of page-thread waiting per 960×540 frame, against
// 0 and ~1 ms this way. The app (src/capture/browser.rs) uses a reader when `window.backdropFrames`
// gives one, and the element otherwise (other browsers, other containers than MP4).
//
// A reader: take() → the newest frame that is due and not taken yet ({ data: Uint8Array (RGBA),
// width, height, timestamp }, data valid until the next take) or null; clock() → the time up to
// which frames are due (µs, on the clock of the frames' timestamps); error → why it stopped (a string), or
// null; close().
// A camera's frame is due when it arrives: newest wins. A file's frames are decoded and copied
// ahead of their time (the decoder runs ahead and, on a busy machine, in bursts) and each is due at
// its presentation time on the player's clock: every app frame that starts after a video frame's
// time gets that frame, instead of the newest copy of a burst, which leaves the next app frames
// with nothing new. Frames that fall due while an app frame is drawn are skipped (newest due wins).
// Copies run one at a time, in order; the copy of a frame already superseded is never made.
// `window.backdropFrames.stats` counts the readers made and the frames copied (the browser tests
// check which way frames came).

const stats = { cameras: 0, files: 0, copied: 0 };

// A file's samples go to the decoder this far ahead of their time (µs), no more than MAX_QUEUED
// at once; a reader holds at most MAX_HELD frames, copied and waiting for their copy together
// (the lead's frames at 30 a second, and a burst).
const LEAD_US = 300_000;
const MAX_QUEUED = 10;
const MAX_HELD = 12;

class Reader {
  constructor() {
    this.pending = []; // decoded frames (VideoFrame) waiting for their copy, in presentation order
    this.ready = []; // copied, not taken yet, in presentation order: { data, width, height, timestamp }
    this.free = []; // buffers to copy into
    this.lent = null; // the buffer of the frame the app took last
    this.copying = false;
    this.error = null;
    this.closed = false;
  }

  // Frames are due up to this time (µs; a frame is due at its timestamp): a camera's as they
  // arrive.
  clock() {
    return Infinity;
  }

  // Hands over a decoded frame (the reader closes it).
  offer(frame) {
    if (this.closed) {
      frame.close();
      return;
    }
    this.pending.push(frame);
    this.trim();
    if (!this.copying) this.copyNext();
  }

  // Drops the frames a newer due one supersedes (they would never be taken), and the oldest
  // beyond MAX_HELD.
  trim() {
    const now = this.clock();
    const { ready, pending } = this;
    while (ready.length > 1 && ready[1].timestamp <= now) this.recycle(ready.shift().data);
    while (pending.length > 1 && pending[1].timestamp <= now) pending.shift().close();
    while (ready.length + pending.length > MAX_HELD) {
      if (ready.length) this.recycle(ready.shift().data);
      else pending.shift().close();
    }
  }

  // Keeps a buffer to copy into again (no more than the reader can hold frames).
  recycle(data) {
    if (this.free.length + this.ready.length < MAX_HELD) this.free.push(data);
  }

  async copyNext() {
    const frame = this.pending.shift();
    if (!frame) return;
    this.copying = true;
    const width = frame.displayWidth;
    const height = frame.displayHeight;
    const size = width * height * 4;
    const data = this.free.pop() ?? new Uint8Array(size);
    try {
      const buffer = data.length === size ? data : new Uint8Array(size);
      await frame.copyTo(buffer, { format: 'RGBA', rect: { x: 0, y: 0, width, height } });
      if (!this.closed) {
        this.ready.push({ data: buffer, width, height, timestamp: frame.timestamp });
        stats.copied += 1;
        this.trim();
      }
    } catch (e) {
      this.fail(`copying a ${width}×${height} ${frame.format} frame: ${e.message ?? e}`);
    } finally {
      frame.close();
      this.copying = false;
    }
    if (!this.closed && !this.error) this.copyNext();
  }

  take() {
    this.trim();
    const frame = this.ready[0];
    if (!frame || frame.timestamp > this.clock()) return null;
    this.ready.shift();
    if (this.lent) this.recycle(this.lent);
    this.lent = frame.data;
    return frame;
  }

  fail(message) {
    if (!this.error) this.error = message;
  }

  close() {
    this.closed = true;
    for (const frame of this.pending) frame.close();
    this.pending = [];
    this.ready = [];
    this.free = [];
    this.lent = null;
  }
}

// A camera's track (getUserMedia's), or null where the browser has no MediaStreamTrackProcessor.
function camera(track) {
  if (typeof MediaStreamTrackProcessor === 'undefined' || typeof VideoFrame === 'undefined') return null;
  const reader = new Reader();
  stats.cameras += 1;
  const frames = new MediaStreamTrackProcessor({ track }).readable.getReader();
  const close = reader.close.bind(reader);
  reader.close = () => {
    close();
    frames.cancel().catch(() => {});
  };
  (async () => {
    for (;;) {
      let next;
      try {
        next = await frames.read();
      } catch (e) {
        if (!reader.closed) reader.fail(`the camera's frames: ${e.message ?? e}`);
        return;
      }
      if (next.done) {
        if (!reader.closed) reader.fail('the camera stopped');
        return;
      }
      reader.offer(next.value);
    }
  })();
  return reader;
}

// The mp4box module, loaded the first time a file is opened.
let mp4box = null;

// An MP4 (or MOV) file's video track, decoded and played in a loop at its own pace. Resolves to a
// reader, or rejects (not MP4, no video track, a codec the browser cannot decode in software, no
// WebCodecs) — the app then plays the file in a <video> element.
async function file(bytes) {
  if (typeof VideoDecoder === 'undefined') throw new Error('this browser has no WebCodecs VideoDecoder');
  mp4box ||= await import('./mp4box/mp4box.all.mjs');
  const { track, samples, description } = demux(bytes);
  const config = {
    codec: track.codec,
    codedWidth: track.video.width,
    codedHeight: track.video.height,
    description,
    // Frames in memory: the app reads every pixel (inference), and a hardware decoder's frames
    // live on the GPU — reading them back is the cost this file avoids.
    hardwareAcceleration: 'prefer-software',
  };
  const support = await VideoDecoder.isConfigSupported(config);
  if (!support.supported) throw new Error(`this browser cannot decode ${track.codec}`);
  stats.files += 1;
  return new Player(config, samples);
}

// The file's first video track and its samples (in decode order), read by mp4box.
function demux(bytes) {
  const file = mp4box.createFile();
  let info = null;
  let failure = null;
  const samples = [];
  file.onError = (e) => { failure = e; };
  file.onReady = (i) => {
    info = i;
    const video = i.videoTracks[0];
    if (video) {
      file.setExtractionOptions(video.id, null, { nbSamples: Infinity });
      file.start();
    }
  };
  file.onSamples = (id, user, found) => samples.push(...found);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  buffer.fileStart = 0;
  file.appendBuffer(buffer);
  file.flush();
  if (failure) throw new Error(`not an MP4 file mp4box can read: ${failure}`);
  if (!info) throw new Error('not an MP4 file (no movie header)');
  const track = info.videoTracks[0];
  if (!track) throw new Error('no video track');
  if (!samples.length) throw new Error('no video samples');
  // The decoder's configuration record (avcC, hvcC, vpcC or av1C), without its box header.
  let description;
  for (const entry of file.getTrackById(track.id).mdia.minf.stbl.stsd.entries) {
    const box = entry.avcC || entry.hvcC || entry.vpcC || entry.av1C;
    if (box) {
      const stream = new mp4box.DataStream(undefined, 0, mp4box.Endianness.BIG_ENDIAN);
      box.write(stream);
      description = new Uint8Array(stream.buffer, 8);
    }
  }
  return { track, samples, description };
}

// Feeds the decoder the samples due by the wall clock (presentation times from the file) and
// LEAD_US ahead, loops at the end, and hands each decoded frame to the reader, which hands it to
// the app at its time.
class Player extends Reader {
  constructor(config, samples) {
    super();
    this.config = config;
    this.samples = samples;
    this.next = 0;
    this.startedAt = performance.now();
    this.loopOffset = 0; // µs: the loops played so far
    const last = samples[samples.length - 1];
    this.duration = samples.reduce((end, s) => Math.max(end, s.cts + s.duration), 0) * 1e6 / last.timescale;
    this.decoder = new VideoDecoder({
      output: (frame) => this.offer(frame),
      error: (e) => this.fail(`decoding: ${e.message ?? e}`),
    });
    this.decoder.configure(config);
    this.timer = setInterval(() => this.feed(), 10);
    this.feed();
  }

  feed() {
    if (this.closed || this.error || this.decoder.state !== 'configured') return;
    // 300 ms ahead: the decoder holds frames back (reordering, its threads) before it outputs,
    // and on a busy machine (measured here: 2 cores, SwiftShader drawing) it outputs in bursts
    // some 130 ms apart; 100 ms ahead, its frames came 0–115 ms late. The reader holds them until
    // their time.
    const now = this.clock() + LEAD_US;
    // Never more than a few queued: a slow machine drops behind the clock, not into a backlog.
    while (this.decoder.decodeQueueSize < MAX_QUEUED) {
      const sample = this.samples[this.next];
      const time = this.loopOffset + (sample.cts * 1e6) / sample.timescale;
      if (time > now) break;
      this.decoder.decode(new EncodedVideoChunk({
        type: sample.is_sync ? 'key' : 'delta',
        timestamp: time,
        duration: (sample.duration * 1e6) / sample.timescale,
        data: sample.data,
      }));
      this.next += 1;
      if (this.next === this.samples.length) {
        this.next = 0;
        this.loopOffset += this.duration;
      }
    }
  }

  // The playback clock: µs since the start, the loops played included (the chunks' timestamps).
  clock() {
    return (performance.now() - this.startedAt) * 1000;
  }

  close() {
    clearInterval(this.timer);
    if (this.decoder.state !== 'closed') this.decoder.close();
    super.close();
  }
}

window.backdropFrames = { camera, file, stats };
