// The page's Web Worker: reads one chosen file, decodes it with the browser (EXIF orientation applied, as
// `nccmatch hash` does), hashes the RGBA pixels with nccmatch's own hashing core compiled to WebAssembly,
// zeroes the pixels, and answers with the fingerprints only. Nothing here touches the network except loading
// the core itself from this server.
//
// Where the time goes for a 12-megapixel JPEG (headless Chromium, 2 cores): the browser's decode about 90 ms,
// reading the pixels back about 70 ms, the core about 500 ms once the browser has optimised it (about 800 ms
// on its first run), MD5 about 30 ms. So the worker loads the core and hashes a small made-up picture as soon
// as it starts (the page starts it when the person reaches "choose pictures"), and computes MD5 and SHA-256
// while the browser decodes the picture on its own thread.
import { MD5, md5Hex } from "./md5.js";
import { SHA256 } from "./sha256.js";

const version = new URL(self.location.href).searchParams.get("v") || "";
let corePromise = null;

function loadCore() {
  if (!corePromise) {
    corePromise = import(`./hashcore.js?v=${version}`).then((module) =>
      module.loadHashCore(new URL(`hashcore.wasm?v=${version}`, self.location.href).href));
  }
  return corePromise;
}

/** Made-up pixels (a smooth pattern with detail, never a person's picture) for the warm-up hash. */
function warmUpPixels(side) {
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let y = 0, i = 0; y < side; y++) {
    for (let x = 0; x < side; x++, i += 4) {
      rgba[i] = (x * 7 + y * 3) & 255;
      rgba[i + 1] = ((x ^ y) * 5) & 255;
      rgba[i + 2] = (x * y) & 255;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

// Warm-up: the browser first runs WebAssembly with quickly made code and optimises the parts that run often;
// one hash of a small picture has every part of the core optimised before the person's first picture arrives
// (a 12-megapixel picture then takes about 500 ms instead of 800). A failure here is reported with the first
// real picture, by loadCore's own rejection.
const warmedUp = loadCore().then((core) => {
  const side = 1024;
  core.hashRGBA(warmUpPixels(side), side, side);
}).catch(() => {});

/** True when any pixel is not fully opaque (alpha under 255). */
function hasTransparency(rgba) {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

/**
 * The pixels of a picture with transparent parts, as decoded: red, green and blue kept under every alpha, as
 * `nccmatch hash` keeps them (it drops alpha without compositing). A 2D canvas stores colours multiplied by
 * alpha, so under a fully transparent pixel they read back as black and under a half-transparent one they lose
 * precision; WebGL reads the decoded bitmap as it is. null when WebGL is unavailable or the picture is larger
 * than its largest texture (the canvas's pixels are then hashed, and may differ from the CLI's by a few bits).
 */
function readUnpremultiplied(bitmap, width, height) {
  let gl = null;
  try {
    gl = new OffscreenCanvas(1, 1).getContext("webgl2", { premultipliedAlpha: false, antialias: false, depth: false, stencil: false });
  } catch (error) {
    return null;
  }
  if (!gl) return null;
  const texture = gl.createTexture();
  const framebuffer = gl.createFramebuffer();
  try {
    const largest = gl.getParameter(gl.MAX_TEXTURE_SIZE);
    if (width > largest || height > largest) return null;
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
    const rgba = new Uint8ClampedArray(width * height * 4);
    // The texture's first row is the picture's top row and framebuffer row 0: no flip.
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    if (gl.getError() !== gl.NO_ERROR) { rgba.fill(0); return null; }
    return rgba;
  } catch (error) {
    return null;
  } finally {
    // The texture is cleared before it is let go, like every other copy of the pixels.
    try {
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
    } catch (error) { /* the context is gone, and its memory with it */ }
    gl.deleteFramebuffer(framebuffer);
    gl.deleteTexture(texture);
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** MD5 and SHA-256 of the file's bytes (SHA-256 by the browser's own crypto.subtle); the bytes are zeroed. */
async function digests(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const sha256Promise = crypto.subtle.digest("SHA-256", bytes);
    const md5 = md5Hex(bytes);
    return { md5, sha256: hex(await sha256Promise) };
  } finally {
    bytes.fill(0);
  }
}

// ---- videos ------------------------------------------------------------------------------------------------
// The page samples a video with its <video> element (video-frames.js) and hands each sampled frame here as a
// WebCodecs VideoFrame (or, in browsers without one, RGBA pixels from a canvas). A frame whose decoded planes
// start with 8-bit luma is hashed from that luma as `nccmatch hash` hashes it (the same decoders give the same
// bytes, and so the same hashes); any other frame is drawn on a canvas and hashed from RGB, a few bits away.

/** Decoded formats whose first plane is the 8-bit luma (Y) at the frame's size. */
const LUMA_FIRST = new Set(["I420", "I420A", "I422", "I422A", "I444", "I444A", "NV12"]);
/** A video's bytes are read this many at a time for its MD5 and SHA-256, so that it is never held whole. */
const DIGEST_CHUNK_BYTES = 4 * 1024 * 1024;

/** The luma plane rotated clockwise by `rotation` degrees (90, 180 or 270), as the command line turns it. */
function rotateLuma(luma, width, height, stride, rotation) {
  const turned = rotation === 90 || rotation === 270;
  const outWidth = turned ? height : width, outHeight = turned ? width : height;
  const out = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const value = luma[row + x];
      if (rotation === 90) out[x * outWidth + (height - 1 - y)] = value;
      else if (rotation === 180) out[(height - 1 - y) * width + (width - 1 - x)] = value;
      else out[(width - 1 - x) * outWidth + y] = value;
    }
  }
  return { luma: out, width: outWidth, height: outHeight, stride: outWidth };
}

/** PDQ and quality of one VideoFrame: from its luma plane when it has one, else drawn on a canvas. */
async function hashVideoFrame(core, frame) {
  if (LUMA_FIRST.has(frame.format)) {
    let buffer = null, rotated = null;
    try {
      buffer = new Uint8Array(frame.allocationSize());
      const layout = await frame.copyTo(buffer);
      const rect = frame.visibleRect;
      let plane = { luma: buffer.subarray(layout[0].offset), width: rect.width, height: rect.height, stride: layout[0].stride };
      const rotation = ((frame.rotation || 0) % 360 + 360) % 360;
      if (rotation === 90 || rotation === 180 || rotation === 270) {
        rotated = rotateLuma(plane.luma, plane.width, plane.height, plane.stride, rotation);
        plane = rotated;
      }
      const fullRange = frame.colorSpace ? frame.colorSpace.fullRange === true : false;
      return { ...core.hashLuma(plane.luma, plane.width, plane.height, plane.stride, fullRange), read: "luma" };
    } finally {
      if (buffer) buffer.fill(0);
      if (rotated) rotated.luma.fill(0);
    }
  }
  const width = frame.displayWidth, height = frame.displayHeight;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(frame, 0, 0, width, height);
  const rgba = context.getImageData(0, 0, width, height).data;
  canvas.width = 1; canvas.height = 1;
  try {
    return { ...core.hashFrameRGBA(rgba, width, height), read: `canvas:${frame.format}` };
  } finally {
    rgba.fill(0);
  }
}

/**
 * MD5 and SHA-256 of a video, read DIGEST_CHUNK_BYTES at a time (each piece zeroed once fed): memory stays
 * bounded whatever the size, and the worker hashes frames between the pieces.
 */
async function streamedDigests(file) {
  const md5 = new MD5(), sha256 = new SHA256();
  for (let offset = 0; offset < file.size; offset += DIGEST_CHUNK_BYTES) {
    const piece = new Uint8Array(await file.slice(offset, offset + DIGEST_CHUNK_BYTES).arrayBuffer());
    md5.update(piece);
    sha256.update(piece);
    piece.fill(0);
  }
  return { md5: md5.hex(), sha256: sha256.hex() };
}

async function onVideoMessage(data) {
  const { id } = data;
  const post = (message) => self.postMessage({ id, ...message });
  if (data.type === "video-digests") {
    try {
      post({ type: "video-digests", ...(await streamedDigests(data.file)) });
    } catch (error) {
      // The file could not be read to its end (moved or changed meanwhile): its frames are still sent, without
      // the exact-copy fingerprints.
      post({ type: "video-digests", md5: null, sha256: null });
    }
    return;
  }
  // "video-frame": one sampled frame, { index, timestamp, frame } or { index, timestamp, rgba, width, height }.
  const { index, timestamp } = data;
  try {
    const core = await loadCore();
    const started = performance.now();
    const hashed = data.frame ? await hashVideoFrame(core, data.frame)
      : { ...core.hashFrameRGBA(data.rgba, data.width, data.height), read: "canvas" };
    post({ type: "video-frame", index, timestamp, pdq: hashed.pdq, quality: hashed.quality, read: hashed.read,
      ms: performance.now() - started });
  } catch (error) {
    post({ type: "video-frame", index, timestamp, error: (error && error.code) || "failed" });
  } finally {
    if (data.frame) data.frame.close();
    if (data.rgba) data.rgba.fill(0);
  }
}

self.onmessage = async (event) => {
  if (event.data.type === "video-frame" || event.data.type === "video-digests") return onVideoMessage(event.data);
  const { id, file } = event.data;
  const post = (message) => self.postMessage({ id, ...message });
  let rgba = null;
  try {
    post({ type: "progress", stage: "reading", fraction: 0.1 });
    const started = performance.now();
    // The browser decodes on its own thread while the digests are computed here.
    const decoding = createImageBitmap(file, { imageOrientation: "from-image", colorSpaceConversion: "none", premultiplyAlpha: "none" })
      .then((bitmap) => ({ bitmap }), () => ({ bitmap: null }));
    const { md5, sha256 } = await digests(file);
    const digestedAt = performance.now();
    post({ type: "progress", stage: "decoding", fraction: 0.3 });
    const { bitmap } = await decoding;
    if (!bitmap) {
      post({ type: "done", result: { md5, sha256, decoded: false } });
      return;
    }
    const bitmapAt = performance.now();
    const width = bitmap.width, height = bitmap.height;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const image = context.getImageData(0, 0, width, height);
    canvas.width = 1; canvas.height = 1;
    rgba = image.data;
    if (file.type !== "image/jpeg" && hasTransparency(rgba)) { // a JPEG has no alpha: no need to look
      const exact = readUnpremultiplied(bitmap, width, height);
      if (exact) { rgba.fill(0); rgba = exact; }
    }
    bitmap.close();
    const decodedAt = performance.now();
    post({ type: "progress", stage: "hashing", fraction: 0.6 });
    let core;
    try {
      await warmedUp;
      core = await loadCore();
    } catch (error) {
      post({ type: "error", code: "core_unavailable" });
      return;
    }
    const hashStarted = performance.now();
    let hashed;
    try {
      hashed = core.hashRGBA(rgba, width, height);
    } catch (error) {
      // "too_many_pixels" or "out_of_memory": the picture is too large for this device; anything else failed.
      const tooLarge = error && (error.code === "too_many_pixels" || error.code === "out_of_memory");
      post({ type: "error", code: tooLarge ? "too_large" : "failed", width, height });
      return;
    }
    const done = performance.now();
    // Milliseconds of each stage (digests and decoding overlap), for the page's measurements.
    const stages = { digests: digestedAt - started, decode: bitmapAt - started, readback: decodedAt - bitmapAt,
      waitCore: hashStarted - decodedAt, hash: done - hashStarted };
    post({ type: "done", result: { md5, sha256, decoded: true, width, height, core: hashed, caseHashes: core.caseHashes(hashed),
      decodeMs: decodedAt - started, hashMs: done - decodedAt, stages } });
  } catch (error) {
    post({ type: "error", code: "failed" });
  } finally {
    // The decoded pixels are wiped before they are let go.
    if (rgba) rgba.fill(0);
  }
};
