// Times the WebAssembly core (hashcore.wasm through hashcore.js) on the synthetic 12-megapixel RGBA picture
// that measure-native.swift gives the native core (the same generator, so the same pixels).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const site = path.join(here, "../../Sources/NCCServer/Page/Site");
const { loadHashCore } = await import(path.join(site, "hashcore.js"));
const core = await loadHashCore(readFileSync(process.argv[2] || path.join(site, "hashcore.wasm")));
const w = 4000, h = 3000, runs = 5, rgba = new Uint8ClampedArray(w * h * 4);
let s = 1;
for (let y = 0; y < h; y++) {
  for (let x = 0; x < w; x++) {
    const i = (y * w + x) * 4;
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    rgba[i] = ((x >> 3) * 7 + (y >> 2) * 3 + (s & 15)) & 255;
    rgba[i + 1] = ((x * y) >> 10) & 255;
    rgba[i + 2] = ((x ^ y) >> 2) & 255;
    rgba[i + 3] = 255;
  }
}
const times = [];
let quality = 0;
for (let k = 0; k < runs; k++) {
  const started = performance.now();
  quality = core.hashRGBA(rgba, w, h).quality;
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(`WebAssembly core, case hash set of 4000x3000 RGBA: median ${Math.round(times[runs >> 1])} ms, best ${Math.round(times[0])} ms (quality ${quality})`);
