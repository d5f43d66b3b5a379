// What MD5 (md5.js) and SHA-256 (sha256.js) share: 64-byte blocks fed in pieces (a video is read a few megabytes
// at a time, so it is never held whole) and the final padding, which differ only in the byte order of the length.
// The bytes never leave the device.

/** Base of a streamed 64-byte-block digest; a subclass sets `state` and implements `block(view, offset)`. */
export class BlockDigest {
  /** `littleEndian`: MD5 writes the bit length little-endian, SHA-256 big-endian. */
  constructor(littleEndian) {
    this.littleEndian = littleEndian;
    this.pending = new Uint8Array(64);   // bytes of an unfinished block
    this.pendingLength = 0;
    this.length = 0;                     // bytes fed so far
  }

  /** Feeds `bytes` (a Uint8Array); whole blocks are read where they lie. */
  update(bytes) {
    let offset = 0;
    this.length += bytes.length;
    if (this.pendingLength > 0) {
      const take = Math.min(64 - this.pendingLength, bytes.length);
      this.pending.set(bytes.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < 64) return;
      this.block(new DataView(this.pending.buffer), 0);
      this.pendingLength = 0;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (; offset + 64 <= bytes.length; offset += 64) this.block(view, offset);
    this.pending.set(bytes.subarray(offset), 0);
    this.pendingLength = bytes.length - offset;
  }

  /** Pads the last block with the bit length and hashes it; the object is spent afterwards. */
  finish() {
    const length = this.length;
    const tail = new Uint8Array(this.pendingLength < 56 ? 64 : 128);
    tail.set(this.pending.subarray(0, this.pendingLength));
    tail[this.pendingLength] = 0x80;
    const view = new DataView(tail.buffer);
    const low = (length * 8) >>> 0, high = Math.floor(length / 0x20000000);
    if (this.littleEndian) {
      view.setUint32(tail.length - 8, low, true);
      view.setUint32(tail.length - 4, high, true);
    } else {
      view.setUint32(tail.length - 8, high, false);
      view.setUint32(tail.length - 4, low, false);
    }
    for (let offset = 0; offset < tail.length; offset += 64) this.block(view, offset);
    this.pending.fill(0);
  }
}
