// Checks the page's streamed digests (Site/md5.js, Site/sha256.js) against node's crypto: every length around
// the block and padding boundaries, fed in pieces of 1, 7, 64, 100 bytes and 1 MiB; prints their speed.
//   node Scripts/page/digest_check.mjs        (exit status 1 on any difference)
import { MD5, md5Hex } from "../../Sources/NCCServer/Page/Site/md5.js";
import { SHA256 } from "../../Sources/NCCServer/Page/Site/sha256.js";
import { createHash } from "node:crypto";
let bad = 0;
for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 100003, 3 << 20]) {
  const b = new Uint8Array(n).map((_, i) => (i * 131 + 7) & 255);
  for (const chunk of [1, 7, 64, 100, 1 << 20]) {
    if (n > 200000 && chunk < 64) continue;
    const m = new MD5(), s = new SHA256();
    for (let o = 0; o < n; o += chunk) { m.update(b.subarray(o, o + chunk)); s.update(b.subarray(o, o + chunk)); }
    if (m.hex() !== createHash("md5").update(b).digest("hex")) { bad++; console.log("md5", n, chunk); }
    if (s.hex() !== createHash("sha256").update(b).digest("hex")) { bad++; console.log("sha", n, chunk); }
  }
  if (md5Hex(b) !== createHash("md5").update(b).digest("hex")) { bad++; console.log("md5Hex", n); }
}
const big = new Uint8Array(64 << 20).map((_, i) => i & 255);
let t = performance.now(); const s = new SHA256(); s.update(big); s.hex(); const ts = performance.now() - t;
t = performance.now(); const m = new MD5(); m.update(big); m.hex(); const tm = performance.now() - t;
console.log(bad ? `${bad} BAD` : "all equal", `sha256 ${(64 / ts * 1000).toFixed(0)} MB/s, md5 ${(64 / tm * 1000).toFixed(0)} MB/s`);
process.exit(bad ? 1 : 0);
