// video-frames.js: samples a chosen video with the browser's own <video> element, one frame a second by
// presentation time, the frames `nccmatch hash` samples (Sources/NCCVideo/Decoding and
// Sources/CVideoDecoding/video_decode.c): the first frame at or after 0 s, then the first frame at or after the
// next whole second after the last one taken (a second with no frame of its own is skipped, as there).
// Timestamps are seconds from the stream's first frame (the command line's start time).
//
// The browser shows, after a seek to time T, the frame whose display interval holds T: the last frame at or
// before T. So for second k the page seeks to k; when that frame started before k, it seeks to k + 1 ms, 2 ms,
// 4 ms, ... until the frame shown starts at or after k. That frame is the first one at or after k whenever the
// gap before it is no longer than the gap after it (always, at a steady frame rate): the step that finds it is
// under twice its distance from k, so no second frame fits in between.
//
// Each sampled frame is handed over as a WebCodecs VideoFrame (its decoded planes: the luma is hashed as the
// command line hashes it) or, in browsers without VideoFrame, as RGBA pixels drawn on a canvas. Nothing here
// touches the network: the video is read from the chosen file through a blob: URL that is released at the end.
//
// Once two neighbouring frames have been seen, the next second's search first seeks a quarter interval past where
// the frame after the one shown at k should start: one extra seek a second instead of about six at 29.97 fps.

/** Seconds between sampled frames, as `nccmatch hash` samples by default. */
export const SECONDS_PER_SAMPLE = 1;

/** Why a video could not be sampled, with a stable `code`. */
export class VideoSamplingError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "VideoSamplingError";
    this.code = code;
  }
}

const EPSILON = 1e-6;           // seconds: the command line's slot rounding (floor(t + 1e-6))
const FIRST_STEP = 0.001;       // seconds: the first step past k when the frame shown at k started before it
const APPROXIMATE_STEP = 1 / 60; // seconds past k a browser without VideoFrame seeks to (half a frame at 30 fps)
const READ_ATTEMPTS = 20;       // reads of the frame on show after a seek before VideoFrame is given up on
const READ_PAUSE_MS = 10;       // between two such reads
const LOAD_TIMEOUT_MS = 30_000; // a file the browser neither opens nor refuses within this time is given up on
const SEEK_TIMEOUT_MS = 30_000;

function once(target, events, timeoutMs) {
  return new Promise((resolve) => {
    const handlers = {};
    const finish = (name) => {
      clearTimeout(timer);
      for (const [event, handler] of Object.entries(handlers)) target.removeEventListener(event, handler);
      resolve(name);
    };
    for (const event of events) {
      handlers[event] = () => finish(event);
      target.addEventListener(event, handlers[event]);
    }
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
  });
}

/**
 * Opens `file` in a <video> element that is never shown or played. Resolves to a sampler:
 *   { duration (seconds), width, height (as displayed, rotation applied),
 *     next() -> the next sampled frame or null at the end:
 *       { timestamp (seconds), frame: VideoFrame } (the caller closes it) or { timestamp, rgba, width, height },
 *     close() }
 * Rejects with VideoSamplingError "undecodable" when the browser cannot open or decode the video, "too_long"
 * when it is longer than `maxSeconds`.
 */
export async function openVideo(file, { maxSeconds = Infinity } = {}) {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.preload = "auto";
  const url = URL.createObjectURL(file);
  const close = () => {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  };
  video.src = url;
  const loaded = await once(video, ["loadeddata", "error"], LOAD_TIMEOUT_MS);
  if (loaded !== "loadeddata" || !video.videoWidth || !video.videoHeight) {
    close();
    throw new VideoSamplingError("undecodable", "the browser could not open this video");
  }
  const duration = video.duration;
  if (Number.isFinite(duration) && duration > maxSeconds) {
    close();
    throw new VideoSamplingError("too_long", `the video lasts ${duration} s`);
  }
  const canTakeFrames = typeof VideoFrame === "function";
  let canvas = null;

  let seeks = 0;
  async function seek(seconds) {
    seeks += 1;
    const target = Number.isFinite(duration) ? Math.min(seconds, duration) : seconds;
    video.currentTime = target;
    const event = await once(video, ["seeked", "error"], SEEK_TIMEOUT_MS);
    if (event !== "seeked") throw new VideoSamplingError("undecodable", "the browser could not decode this video");
    return target;
  }

  // Seeks to `seconds` and takes the frame on show, with its own presentation time (VideoFrame), or drawn on a
  // canvas (RGBA) where frames cannot be wrapped. Right after `seeked` the element may for a moment still hold
  // the frame of an earlier position, or none: a frame starting after the time asked for (other than the very
  // first, which a video starting late shows at 0) is such a leftover, and it is read again a few milliseconds
  // later, as is a missing one, before the page gives up on VideoFrame for this video.
  let seekedOnce = false;
  async function seekAndTake(seconds) {
    const target = await seek(seconds);
    const first = !seekedOnce;
    seekedOnce = true;
    if (canTakeFrames && !approximateOnly) {
      for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        let frame = null;
        try {
          frame = new VideoFrame(video);
        } catch (error) {
          frame = null;
        }
        if (frame && (first || frame.timestamp / 1e6 <= target + EPSILON)) return { timestamp: frame.timestamp / 1e6, frame };
        if (frame) frame.close();
        await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS));
      }
    }
    return drawn();
  }

  // The frame on show drawn on a canvas, as RGBA pixels.
  function drawn() {
    const width = video.videoWidth, height = video.videoHeight;
    if (!canvas) canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    const rgba = context.getImageData(0, 0, width, height).data;
    context.clearRect(0, 0, width, height);
    return { timestamp: video.currentTime, rgba, width, height, approximate: true };
  }

  function discard(taken) {
    if (taken.frame) taken.frame.close();
    if (taken.rgba) taken.rgba.fill(0);
  }

  // The first frame at or after `k` seconds, or null when the video ends before it.
  async function firstAtOrAfter(k) {
    if (Number.isFinite(duration) && k > duration + EPSILON) return null;
    if (!canTakeFrames) return approximately(k);
    let taken = await seekAndTake(k);
    if (taken.approximate) {
      // This video's frames cannot be wrapped after all: the canvas path from here on.
      discard(taken);
      return approximately(k);
    }
    if (taken.timestamp + EPSILON >= k) return taken;
    const before = taken.timestamp;   // the last frame starting before k; the one wanted is the next
    if (Number.isFinite(duration) && duration - k < 1) {
      // Near the end (the duration may be the sound's, past the last frame): when the very last frame starts
      // before k there is nothing more to find, which one seek tells.
      discard(taken);
      taken = await seekAndTake(duration);
      if (taken.timestamp + EPSILON < k) { discard(taken); return null; }
    }
    if (interval > 0) {
      // The frame after `before` is about one frame interval later: a seek a quarter interval past that
      // shows it at a steady frame rate (frames 25% longer or shorter than the last pair still land).
      discard(taken);
      taken = await seekAndTake(before + interval * 1.25);
      if (taken.timestamp + EPSILON >= k && taken.timestamp - before <= interval * 1.25 + EPSILON) return taken;
    }
    for (let step = FIRST_STEP; ; step *= 2) {
      discard(taken);
      const target = k + step;
      const atEnd = Number.isFinite(duration) ? target >= duration : step > 3600;
      taken = await seekAndTake(target);
      if (taken.timestamp + EPSILON >= k) {
        interval = taken.timestamp - before;
        return taken;
      }
      if (atEnd) { discard(taken); return null; }
    }
  }
  let interval = 0;   // seconds between the last two neighbouring frames seen (0: none yet)

  // Without VideoFrame the page cannot see when the frame on show starts. The last frame ends at the duration,
  // so no frame starts at or after it; otherwise it seeks a little past k (APPROXIMATE_STEP), which shows the
  // frame at k when frames fall on whole seconds (25, 30, 60 fps) and the first one after k when it is that
  // close (29.97 fps for the first 16 seconds); docs/page.md gives how far this path is from the command line.
  // Near the end (within a second of the duration, which may be the sound's and run past the last frame) the
  // frame shown at k + APPROXIMATE_STEP may be the last frame although it started before k: when the frames
  // shown just before k and at the very end are that same picture, no frame starts at or after k, and the video
  // has ended.
  let approximateOnly = false;
  async function approximately(k) {
    approximateOnly = true;
    if (Number.isFinite(duration) && k >= duration - EPSILON) return null;
    await seek(k + APPROXIMATE_STEP);
    const taken = { ...(await settled()), timestamp: k };
    if (Number.isFinite(duration) && k + 1 > duration && k > APPROXIMATE_STEP) {
      await seek(k - APPROXIMATE_STEP);
      const before = await settled();
      await seek(duration);
      const last = await settled();
      const ended = samePixels(before.rgba, taken.rgba) && samePixels(last.rgba, taken.rgba);
      before.rgba.fill(0);
      last.rgba.fill(0);
      if (ended) { taken.rgba.fill(0); return null; }
    }
    return taken;
  }

  // The frame on show drawn until two drawings READ_PAUSE_MS apart are the same picture (right after `seeked`
  // the element may still show the frame of the position before).
  async function settled() {
    let drawing = drawn();
    for (let attempt = 1; attempt < READ_ATTEMPTS / 4; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS));
      const again = drawn();
      const same = samePixels(drawing.rgba, again.rgba);
      drawing.rgba.fill(0);
      drawing = again;
      if (same) break;
    }
    return drawing;
  }

  function samePixels(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  // Times count from the stream's first frame, as the command line counts them from the stream's start time: a
  // video track that starts after the file's timeline (an edit list, a muxing offset) is read from there. The
  // first frame at or after 0 is that frame; its time is the origin of every later one.
  let origin = null;

  let nextSecond = 0;
  let finished = false;
  let lastTimestamp = -1;
  return {
    duration, width: video.videoWidth, height: video.videoHeight,
    /** Seeks made so far (for the page's measurements). */
    get seeks() { return seeks; },
    async next() {
      if (finished) return null;
      const found = await firstAtOrAfter((origin ?? 0) + nextSecond);
      if (found && origin === null) origin = found.approximate ? 0 : Math.max(0, found.timestamp);
      if (!found || found.timestamp - origin <= lastTimestamp) {
        if (found) discard(found);
        finished = true;
        return null;
      }
      const taken = { ...found, timestamp: Math.max(0, found.timestamp - origin) };
      if (taken.timestamp > maxSeconds) {
        discard(taken);
        throw new VideoSamplingError("too_long", `the video lasts more than ${maxSeconds} s`);
      }
      lastTimestamp = taken.timestamp;
      nextSecond = (Math.floor(taken.timestamp / SECONDS_PER_SAMPLE + EPSILON) + 1) * SECONDS_PER_SAMPLE;
      return taken;
    },
    close,
  };
}
