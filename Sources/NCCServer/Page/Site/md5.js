// MD5 of a file's bytes (RFC 1321), for the exact-copy fingerprint a case stores beside SHA-256 (which the
// browser's own crypto.subtle computes; it has no MD5). The bytes never leave the device.
const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

/** Lowercase hex MD5 of `bytes` (a Uint8Array). */
export function md5Hex(bytes) {
  // Whole blocks are read where they lie; only the last one or two, with the padding, are copied (a video's
  // bytes are not held twice).
  const length = bytes.length;
  const whole = length - (length & 63);
  const tail = new Uint8Array((length & 63) < 56 ? 64 : 128);
  tail.set(bytes.subarray(whole));
  tail[length - whole] = 0x80;
  const tailView = new DataView(tail.buffer);
  tailView.setUint32(tail.length - 8, (length * 8) >>> 0, true);
  tailView.setUint32(tail.length - 4, Math.floor(length / 0x20000000), true);
  const bodyView = new DataView(bytes.buffer, bytes.byteOffset, whole);
  let a0 = 0x67452301 | 0, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476 | 0;
  const M = new Int32Array(16);
  for (let block = 0, blocks = (whole + tail.length) / 64; block < blocks; block++) {
    const inBody = block * 64 < whole;
    const view = inBody ? bodyView : tailView, offset = inBody ? block * 64 : block * 64 - whole;
    for (let j = 0; j < 16; j++) M[j] = view.getInt32(offset + j * 4, true);
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
    a0 = (a0 + a) | 0; b0 = (b0 + b) | 0; c0 = (c0 + c) | 0; d0 = (d0 + d) | 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  out.setInt32(0, a0, true); out.setInt32(4, b0, true); out.setInt32(8, c0, true); out.setInt32(12, d0, true);
  return Array.from(new Uint8Array(out.buffer), (x) => x.toString(16).padStart(2, "0")).join("");
}
