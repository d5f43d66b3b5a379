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
//
// Every step relies on reading the frame a seek puts on show, and `seeked` does not say it is there: the element
// takes the new frame on another thread (Chromium's video compositor), and on a loaded device it still holds the
// previous position's frame for a while after `seeked`. Taken for the one sought, such a leftover that started
// before k passes for "the last frame before k", teaches a wrong frame interval and the next seconds land late
// (a loaded machine took 0, 1.001, 2.236, 4.204, 5.973 s where the command line takes 0, 1.001, 2.002, 3.003,
// 4.004, 5.005 s). So a frame is taken only once it is the seek's own (seekAndTake):
// - a frame other than the one on show before the seek is the seek's own (every frame taken earlier was on show
//   when it was taken, so nothing older is still to come): taken at once, the common case;
// - the frame that was on show before the seek (a seek within the same frame, or the leftover) is taken when the
//   browser announces it for this seek: requestVideoFrameCallback, which Chromium also calls for a paused
//   element's seeks (one presentation a seek, told apart by `presentedFrames`), gives the frame's media time,
//   and the element is read until it holds that frame;
// - without announcements (no requestVideoFrameCallback, a hidden page, an announcement missed), a frame read
//   twice 10 ms apart, five times when it is the one on show before the seek, and then only when the frame
//   interval learnt says it can still be on show at the time sought;
// - a frame starting after the time sought is a leftover (but for the very first frame).
// On an idle device this costs no seek and no measurable time; on a loaded one, the wait for the frame.

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
const LATE_READ_ATTEMPTS = 200; // the same once VideoFrame has worked for this video (2 s: a loaded device)
const STALE_READS = 5;          // equal reads that take the frame on show before a seek, when no presentation is known
const PRESENTED_TOLERANCE = 1e-4; // seconds between an announced media time and the frame's own timestamp
const PRESENT_TIMEOUT_MS = 2_000; // a seek's frame not announced within this time: read (from then on) without announcements
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
  // A promise of the media time of the next frame the element presents, or null when the page cannot tell (no
  // requestVideoFrameCallback, or the page hidden: no rendering steps, so no callback). Chromium calls
  // requestVideoFrameCallback for a paused element's seeks too, one presentation a seek, and the callback runs at
  // the next rendering step with the latest presentation, which may still be an earlier seek's: the count of
  // frames presented (`presentedFrames`, counted from the first frame's) tells which, and a callback for an
  // earlier frame waits for the next. The promise resolves to null when the announcement does not come within
  // `timeoutMs` (its `expireIn(ms)` sets a new limit), the page is hidden meanwhile, or the count is not one a
  // seek; from then on this video's seeks go without announcements (a late presentation would answer the wrong
  // seek).
  let announcementMissed = false;
  let presentationsAsked = 0;   // announcements asked for: the first frame's, then one a seek that moves
  let firstCount = null;        // presentedFrames of the first frame's announcement
  function nextPresentation(timeoutMs = PRESENT_TIMEOUT_MS) {
    if (typeof video.requestVideoFrameCallback !== "function" || document.hidden || announcementMissed) return null;
    const number = presentationsAsked++;
    let handle = 0, timer = 0, finish = null, done = false;
    const hidden = () => { if (document.hidden) finish(null); };
    const promise = new Promise((resolve) => {
      finish = (mediaTime) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        document.removeEventListener("visibilitychange", hidden);
        if (mediaTime === null) {
          video.cancelVideoFrameCallback(handle);
          announcementMissed = true;
        }
        resolve(mediaTime);
      };
    });
    promise.expireIn = (ms) => {
      if (done) return;
      clearTimeout(timer);
      timer = setTimeout(() => finish(null), ms);
    };
    const announced = (now, metadata) => {
      if (number === 0) firstCount = metadata.presentedFrames;
      const due = firstCount === null ? NaN : firstCount + number;
      if (metadata.presentedFrames < due) handle = video.requestVideoFrameCallback(announced);
      else finish(metadata.presentedFrames === due ? metadata.mediaTime : null);
    };
    promise.expireIn(timeoutMs);
    document.addEventListener("visibilitychange", hidden);
    handle = video.requestVideoFrameCallback(announced);
    return promise;
  }

  // The first frame's announcement (on a loaded device the element may hold no frame yet at `loadeddata`).
  let presentation = nextPresentation(LOAD_TIMEOUT_MS + PRESENT_TIMEOUT_MS);
  video.src = url;
  const loaded = await once(video, ["loadeddata", "error"], LOAD_TIMEOUT_MS);
  presentation?.expireIn(PRESENT_TIMEOUT_MS);
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

  // Seeks to `seconds` (at most the duration). Resolves to the time sought, the announcement of the frame on
  // show after the seek (see nextPresentation) and whether the seek was to the position already on show (nothing
  // new is presented then: the frame on show stays, and so does its announcement: the first frame's, watched for
  // from the start, or the previous seek's).
  let seeks = 0;
  async function seek(seconds) {
    seeks += 1;
    const target = Number.isFinite(duration) ? Math.min(seconds, duration) : seconds;
    const unmoved = video.currentTime === target;
    if (!unmoved) presentation = nextPresentation();
    video.currentTime = target;
    const event = await once(video, ["seeked", "error"], SEEK_TIMEOUT_MS);
    if (event !== "seeked") throw new VideoSamplingError("undecodable", "the browser could not decode this video");
    return { target, announcement: presentation, unmoved };
  }

  // Seeks to `seconds` and takes the frame on show, with its own presentation time (VideoFrame), or drawn on a
  // canvas (RGBA) where frames cannot be wrapped. Right after `seeked` the element may still hold the frame of an
  // earlier position (the compositor takes the new frame on another thread, late on a loaded device), or none.
  // A frame is taken only once it is this seek's own:
  // - a frame other than the one on show before the seek, read right after `seeked` (every earlier seek's frame
  //   was on show when it was taken, so nothing else can have come since): no wait, the common case; only where
  //   announcements work, as they tell the rest;
  // - else, when the browser says which frame the seek presented (requestVideoFrameCallback), that frame, read
  //   until the element holds it;
  // - else the same frame read twice READ_PAUSE_MS apart, and STALE_READS times when it is the frame that was on
  //   show before the seek (the leftover a loaded device shows), and that only when the frame interval learnt
  //   says it can last until the time sought (coversTarget);
  // - never a frame starting after the time asked for (other than the very first, which a video starting late
  //   shows at 0), which is a leftover too.
  // A frame that is missing (or only leftovers) for READ_ATTEMPTS reads gives up on VideoFrame for this video;
  // once VideoFrame has worked here, only after LATE_READ_ATTEMPTS.
  let seekedOnce = false;
  let onShow = null;   // presentation time of the frame last taken (the one on show before the next seek)
  async function seekAndTake(seconds) {
    const { target, announcement, unmoved } = await seek(seconds);
    const first = !seekedOnce;
    seekedOnce = true;
    if (canTakeFrames && !approximateOnly) {
      if (announcement && !unmoved && onShow !== null) {
        const frame = readFrame();
        const timestamp = frame ? frame.timestamp / 1e6 : null;
        if (frame && timestamp <= target + EPSILON && timestamp !== onShow) {
          onShow = timestamp;
          return { timestamp, frame };
        }
        if (frame) frame.close();
      }
      const presented = await announcement;
      let previous = null, agreeing = 0, candidate = null;
      // Once VideoFrame has worked for this video a missing frame is a late one: it is waited for longer.
      for (let attempt = 0; attempt < (candidate || onShow === null ? READ_ATTEMPTS : LATE_READ_ATTEMPTS); attempt++) {
        const frame = readFrame();
        const timestamp = frame ? frame.timestamp / 1e6 : null;
        if (frame && (first || timestamp <= target + EPSILON)) {
          agreeing = timestamp === previous ? agreeing + 1 : 1;
          previous = timestamp;
          const own = presented !== null ? Math.abs(timestamp - presented) <= PRESENTED_TOLERANCE
            : first || unmoved || agreeing >= (timestamp !== onShow ? 2 : coversTarget(timestamp, target) ? STALE_READS : Infinity);
          if (own) {
            if (candidate) candidate.frame.close();
            onShow = timestamp;
            return { timestamp, frame };
          }
          if (candidate) candidate.frame.close();
          candidate = { timestamp, frame };
        } else {
          previous = null;
          if (frame) frame.close();
        }
        await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS));
      }
      if (candidate) {
        // Frames were there but never one the rules take (a browser whose media times and frame timestamps
        // disagree, or a frame longer than the interval learnt): the last one read.
        onShow = candidate.timestamp;
        return candidate;
      }
    }
    return drawn();
  }

  // Whether a frame starting at `start` can still be on show at `target` by the frame interval learnt so far
  // (half as long again, for frames of uneven length). A leftover the page cannot rule out otherwise (without
  // announcements) that starts earlier is taken only as the last resort, after READ_ATTEMPTS reads.
  function coversTarget(start, target) {
    return !(interval > 0) || target - start <= interval * 1.5 + EPSILON;
  }

  // The frame on show as a VideoFrame, or null when the element holds none (or it cannot be wrapped).
  function readFrame() {
    try {
      return new VideoFrame(video);
    } catch (error) {
      return null;
    }
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
