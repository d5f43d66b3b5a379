import Crypto

/// MD5 and SHA-256 computed together over bytes that arrive in chunks.
struct DigestStream {
    private var md5 = Insecure.MD5()
    private var sha256 = SHA256()

    /// Adds the next chunk.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        md5.update(bufferPointer: bytes)
        sha256.update(bufferPointer: bytes)
    }

    /// The digests of everything added.
    func finalize() -> FileDigests {
        FileDigests(md5: hex(md5.finalize()), sha256: hex(sha256.finalize()))
    }

    private func hex<D: Digest>(_ digest: D) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(D.byteCount * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
