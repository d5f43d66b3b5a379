// Hashes RGBA pictures with the committed WebAssembly core through hashcore.js, as the person's page does.
// Used by Tests/NCCHashingTests/WasmCoreTests.swift to compare the core's WebAssembly build with the native one.
//
//   node Scripts/wasm/hash-rgba.mjs [path/to/hashcore.wasm] < frames
//
// stdin: frames of [width: u32 little-endian][height: u32 little-endian][width * height * 4 RGBA bytes].
// stdout: one JSON line per frame: hashcore.js's result plus "ms" (time inside hashRGBA) and "caseHashes" (what the
// page sends for it: hashcore.js's caseHashes), or {"error": code}.
// The pixels exist only in this process's memory; nothing is written anywhere.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const site = path.join(here, "../../Sources/NCCServer/Page/Site");
const { loadHashCore } = await import(path.join(site, "hashcore.js"));
const wasmPath = process.argv[2] || path.join(site, "hashcore.wasm");
const core = await loadHashCore(readFileSync(wasmPath));

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = Buffer.concat(chunks);
let offset = 0;
while (offset + 8 <= input.length) {
  const width = input.readUInt32LE(offset), height = input.readUInt32LE(offset + 4);
  offset += 8;
  const byteCount = width * height * 4;
  const rgba = new Uint8ClampedArray(input.buffer, input.byteOffset + offset, Math.min(byteCount, input.length - offset));
  offset += byteCount;
  try {
    const started = performance.now();
    const result = core.hashRGBA(rgba, width, height);
    result.ms = performance.now() - started;
    result.caseHashes = core.caseHashes(result);
    process.stdout.write(JSON.stringify(result) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: error.code || String(error) }) + "\n");
  }
}
input.fill(0);
