// The page's Web Worker: reads one chosen file, decodes it with the browser (EXIF orientation applied, as
// `nccmatch hash` does), hashes the RGBA pixels with nccmatch's own hashing core compiled to WebAssembly,
// zeroes the pixels, and answers with the fingerprints only. Nothing here touches the network except loading
// the core itself from this server.
import { md5Hex } from "./md5.js";

const version = new URL(self.location.href).searchParams.get("v") || "";
let corePromise = null;

function loadCore() {
  if (!corePromise) {
    corePromise = import(`./hashcore.js?v=${version}`).then((module) =>
      module.loadHashCore(new URL(`hashcore.wasm?v=${version}`, self.location.href).href));
  }
  return corePromise;
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (x) => x.toString(16).padStart(2, "0")).join("");
}

self.onmessage = async (event) => {
  const { id, file } = event.data;
  const post = (message) => self.postMessage({ id, ...message });
  let rgba = null;
  try {
    post({ type: "progress", stage: "reading", fraction: 0.1 });
    const bytes = new Uint8Array(await file.arrayBuffer());
    const md5 = md5Hex(bytes);
    const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
    bytes.fill(0);
    post({ type: "progress", stage: "decoding", fraction: 0.3 });
    const started = performance.now();
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image", colorSpaceConversion: "none", premultiplyAlpha: "none" });
    } catch (error) {
      post({ type: "done", result: { md5, sha256, decoded: false } });
      return;
    }
    const width = bitmap.width, height = bitmap.height;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const image = context.getImageData(0, 0, width, height);
    canvas.width = 1; canvas.height = 1;
    rgba = image.data;
    const decodedAt = performance.now();
    post({ type: "progress", stage: "hashing", fraction: 0.6 });
    let core;
    try {
      core = await loadCore();
    } catch (error) {
      post({ type: "error", code: "core_unavailable" });
      return;
    }
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
    post({ type: "done", result: { md5, sha256, decoded: true, width, height, core: hashed,
      decodeMs: decodedAt - started, hashMs: done - decodedAt } });
  } catch (error) {
    post({ type: "error", code: "failed" });
  } finally {
    // The decoded pixels are wiped before they are let go.
    if (rgba) rgba.fill(0);
  }
};
