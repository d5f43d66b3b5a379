// hashcore.js: loads nccmatch's hashing core (Sources/NCCHashCore, compiled to WebAssembly by
// Scripts/wasm/build.sh into hashcore.wasm) and hashes decoded pixels with it. Plain ES module, no build
// step, usable from a Web Worker, a page or node. Nothing here touches the network except loading the module.
//
// API
//   const core = await loadHashCore(wasm)
//     wasm: the URL of hashcore.wasm (string or URL, fetched), or its bytes (ArrayBuffer, Uint8Array),
//           or a compiled WebAssembly.Module.
//   core.hashRGBA(rgba, width, height) -> result   (synchronous; about 8 PDQ passes over the picture)
//     rgba: Uint8ClampedArray or Uint8Array of width * height * 4 bytes (canvas ImageData.data; alpha ignored).
//           The copy made inside the module is wiped before it is freed; the caller's array is left as is.
//     result (hex strings are lowercase; the same values `nccmatch hash --mode exact --match-variants
//     --pixel-dihedral --center-crops --straightened --format jsonl` prints for the same pixels):
//     {
//       width, height,                       // pixels
//       pdq: "64 hex", quality: 0..100,      // jsonl "pdq", "pdq_quality"; quality < 50: too plain for the bank
//       phash: "16 hex", dhash: "16 hex",    // jsonl "phash", "dhash"
//       pdqPixelDihedral: ["64 hex" x 8],    // jsonl "pdq_pixel_dihedral" (identity first)
//       unletterboxed?: { pdq, quality, phash, dhash, width, height },   // only when the picture has uniform borders
//       captionMasked: { top, topQuality, bottom, bottomQuality },        // jsonl "pdq_caption_masked"
//       lowPassed: { pdq, quality },                                      // jsonl "pdq_low_passed", "_quality"
//       centerCrops: [{ aspect: "1:1" | "4:5" | "9:16" | "16:9", pdq, quality }]  // jsonl "pdq_center_crops";
//                                            // ratios the picture already has are left out
//       straightened: [{ degrees: 3 | -3, pdq, quality }],               // jsonl "pdq_straightened" (hash --straightened)
//       cornerMasked: { pdq, quality },      // jsonl "pdq_corner_masked", "_quality": bottom-right quarter painted over
//       photoRegion?: { x, y, width, height },  // only for a phone screenshot with its photo inside app chrome
//       photoRegionCase?: { ...the same fields, for that photo alone }  // `hash --set case`'s photo-region kinds
//     }
//   core.caseHashes(result) -> [{ algorithm: "pdq", value, quality }, ..., { algorithm: "phash", value }, { algorithm: "dhash", value }]
//     What a case sends besides the file's MD5 and SHA-256: pdq (with quality), every distinct pdqPixelDihedral,
//     unletterboxed.pdq, captionMasked.top and .bottom, lowPassed.pdq, every centerCrops[].pdq, every
//     straightened[].pdq and cornerMasked.pdq (companions, sent with the picture's own quality), then phash and
//     dhash, all taken from photoRegionCase instead when there is one: the set `nccmatch case submit` sends
//     (`nccmatch hash --set case` lists it with kinds).
//   core.hashLuma(luma, width, height, stride, fullRange) -> { pdq: "64 hex", quality: 0..100 }
//     One sampled frame of a video, as `nccmatch hash` hashes it (jsonl "vpdq"[i].pdq and .quality): luma is the
//     frame's 8-bit Y plane (Uint8Array, rows `stride` bytes apart, stride >= width); fullRange false for the
//     usual limited-range video (Y 16..235, read as (Y - 16) * 255 / 219), true for full-range video.
//   core.hashFrameRGBA(rgba, width, height) -> { pdq, quality }
//     One frame drawn to a canvas (RGBA, alpha ignored), for browsers that cannot give the luma plane; the
//     browser's colour conversion moves the hash a few bits from the command line's.
//   Errors: hashRGBA, hashLuma and hashFrameRGBA throw a HashCoreError whose `code` is "invalid_dimensions" (width or height < 1, or rgba
//   too short), "too_many_pixels" (more than 100 megapixels), "out_of_memory" (the module could not get memory
//   for the picture) or "core_failed" (the module stopped; the next call starts a fresh instance).

/** An error from the hashing core, with a stable `code`. */
export class HashCoreError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "HashCoreError";
    this.code = code;
  }
}

const statusCodes = { 1: "invalid_dimensions", 2: "too_many_pixels" };
const maximumPixels = 100_000_000;

async function compile(wasm) {
  if (wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) return WebAssembly.compile(wasm);
  const response = await fetch(wasm, { credentials: "same-origin" });
  if (!response.ok) throw new HashCoreError("core_unavailable", `hashcore.wasm could not be loaded (HTTP ${response.status})`);
  if (WebAssembly.compileStreaming && (response.headers.get("content-type") || "").startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Loads the core; resolves to `{ hashRGBA, hashLuma, hashFrameRGBA, caseHashes }` (see the API above). Rejects with a
 * HashCoreError of code "core_unavailable" when the module cannot be fetched or compiled (the module uses
 * WebAssembly SIMD: Chrome 91, Firefox 89, Safari 16.4 and later).
 */
export async function loadHashCore(wasm) {
  let module, instance;
  try {
    module = await compile(wasm);
    instance = await WebAssembly.instantiate(module, {});
  } catch (error) {
    if (error instanceof HashCoreError) throw error;
    throw new HashCoreError("core_unavailable", "this browser cannot run the hashing core: " + (error && error.message));
  }
  const decoder = new TextDecoder();

  // Copies `byteCount` bytes of `pixels` into the module, runs `call(pointer)`, wipes and frees the copy, and
  // parses the JSON result.
  function run(pixels, byteCount, call) {
    if (!instance) instance = new WebAssembly.Instance(module, {});
    const core = instance.exports;
    let pointer = 0;
    try {
      pointer = core.hashcore_alloc(byteCount);
      if (!pointer) throw new HashCoreError("out_of_memory", "there was not enough memory to hash this picture");
      new Uint8Array(core.memory.buffer, pointer, byteCount).set(pixels.subarray(0, byteCount));
      const length = call(core, pointer);
      core.hashcore_free(pointer, byteCount);
      pointer = 0;
      if (length < 0) throw new HashCoreError(statusCodes[-length] || "core_failed", "the picture could not be hashed");
      const start = core.hashcore_result();
      const text = decoder.decode(new Uint8Array(core.memory.buffer, start, length).slice());
      core.hashcore_clear_result();
      return JSON.parse(text);
    } catch (error) {
      if (error instanceof HashCoreError) throw error;
      // A trap (memory exhausted inside the core, say) leaves the instance unusable: drop it, and its pixels.
      if (pointer) new Uint8Array(core.memory.buffer, pointer, byteCount).fill(0);
      instance = null;
      const outOfMemory = error instanceof RangeError || /memory/i.test(String(error && error.message));
      throw new HashCoreError(outOfMemory ? "out_of_memory" : "core_failed", "the hashing core stopped: " + (error && error.message));
    }
  }

  // Throws unless width and height are positive integers and `pixels` holds the `needed(width, height)` bytes.
  function checkSize(pixels, width, height, needed) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || !pixels
        || pixels.length < needed(width, height)) {
      throw new HashCoreError("invalid_dimensions", "the picture has no pixels, or fewer bytes than its size needs");
    }
    if (width * height > maximumPixels) throw new HashCoreError("too_many_pixels", "the picture has more than 100 megapixels");
  }

  function hashRGBA(rgba, width, height) {
    checkSize(rgba, width, height, (w, h) => w * h * 4);
    return run(rgba, width * height * 4, (core, pointer) => core.hashcore_hash_rgba(pointer, width, height));
  }

  function hashFrameRGBA(rgba, width, height) {
    checkSize(rgba, width, height, (w, h) => w * h * 4);
    return run(rgba, width * height * 4, (core, pointer) => core.hashcore_hash_frame_rgba(pointer, width, height));
  }

  function hashLuma(luma, width, height, stride = width, fullRange = false) {
    if (!Number.isInteger(stride) || stride < width) throw new HashCoreError("invalid_dimensions", "the frame's rows are shorter than its width");
    checkSize(luma, width, height, (w, h) => stride * (h - 1) + w);
    const byteCount = stride * (height - 1) + width;
    return run(luma, byteCount, (core, pointer) => core.hashcore_hash_luma(pointer, width, height, stride, fullRange ? 1 : 0));
  }

  return { hashRGBA, hashLuma, hashFrameRGBA, caseHashes };
}

/**
 * The look hashes `nccmatch case submit` sends for one picture, from `hashRGBA`'s result
 * (Sources/nccmatch/Service/CasePictures.swift, in the order of MatchingPolicy.storedPDQKinds and storedHash64): PDQ with its quality; its 8 rotated and mirrored forms; the
 * companions (unletterboxed, caption-masked top and bottom, low-passed, centre crops, straightened +3 and -3 degrees,
 * bottom-right quarter masked), each with the picture's own quality and each value once; pHash; dHash. For a phone
 * screenshot with its photo inside app chrome (`photoRegionCase`), all of them are the photo's instead of the
 * screenshot's (the screenshot's own hashes describe the app), still sent with the screenshot's quality.
 */
export function caseHashes(core) {
  const quality = core.quality;
  const set = core.photoRegionCase || core;
  const hashes = [{ algorithm: "pdq", value: set.pdq, quality }];
  const seen = new Set([set.pdq]);
  const add = (value) => {
    if (typeof value === "string" && value.length === 64 && !seen.has(value)) {
      seen.add(value);
      hashes.push({ algorithm: "pdq", value, quality });
    }
  };
  for (const value of set.pdqPixelDihedral || []) add(value);
  const unletterboxed = set.unletterboxed;
  add(typeof unletterboxed === "string" ? unletterboxed : unletterboxed?.pdq);
  if (set.captionMasked) { add(set.captionMasked.top); add(set.captionMasked.bottom); }
  add(typeof set.lowPassed === "string" ? set.lowPassed : set.lowPassed?.pdq);
  for (const crop of set.centerCrops || []) add(typeof crop === "string" ? crop : crop.pdq);
  for (const turned of set.straightened || []) add(turned.pdq);
  add(set.cornerMasked?.pdq);
  hashes.push({ algorithm: "phash", value: set.phash });
  hashes.push({ algorithm: "dhash", value: set.dhash });
  return hashes;
}
