// MD5 of a file's bytes (RFC 1321), for the exact-copy fingerprint a case stores beside SHA-256 (which the
// browser's own crypto.subtle computes for a picture; it has no MD5). The bytes never leave the device.
import { BlockDigest } from "./block-digest.js";

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

/**
 * MD5 fed in pieces (a video is read a few megabytes at a time, so it is never held whole):
 * `const md5 = new MD5(); md5.update(bytes); ...; md5.hex()`.
 */
export class MD5 extends BlockDigest {
  constructor() {
    super(true);
    this.state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
    this.words = new Int32Array(16);
  }

  /** The lowercase hex digest; the object is spent afterwards. */
  hex() {
    this.finish();
    const out = new DataView(new ArrayBuffer(16));
    for (let i = 0; i < 4; i++) out.setInt32(i * 4, this.state[i], true);
    return Array.from(new Uint8Array(out.buffer), (x) => x.toString(16).padStart(2, "0")).join("");
  }

  block(view, offset) {
    const M = this.words;
    for (let j = 0; j < 16; j++) M[j] = view.getInt32(offset + j * 4, true);
    const a0 = this.state[0], b0 = this.state[1], c0 = this.state[2], d0 = this.state[3];
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) { f = (b & c) | (~b & d); g = i; }
      else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
      else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (b | ~d); g = (7 * i) & 15; }
      const sum = (a + f + K[i] + M[g]) | 0;
      a = d; d = c; c = b;
      b = (b + ((sum << S[i]) | (sum >>> (32 - S[i])))) | 0;
    }
    this.state[0] = (a0 + a) | 0; this.state[1] = (b0 + b) | 0; this.state[2] = (c0 + c) | 0; this.state[3] = (d0 + d) | 0;
  }
}

/** Lowercase hex MD5 of `bytes` (a Uint8Array). */
export function md5Hex(bytes) {
  const md5 = new MD5();
  md5.update(bytes);
  return md5.hex();
}
