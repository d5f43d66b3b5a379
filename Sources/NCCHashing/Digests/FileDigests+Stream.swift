import Crypto
import NCCHashCore

extension FileDigests {
    /// MD5 and SHA-256 computed together over bytes that arrive in chunks.
    public struct Stream {
        private var md5 = Insecure.MD5()
        private var sha256 = SHA256()

        /// Starts empty.
        public init() {}

        /// Adds the next chunk.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            md5.update(bufferPointer: bytes)
            sha256.update(bufferPointer: bytes)
        }

        /// The digests of everything added.
        public func finalize() -> FileDigests {
            FileDigests(md5: Self.hex(md5.finalize()), sha256: Self.hex(sha256.finalize()))
        }

        private static func hex<D: Digest>(_ digest: D) -> String { HexCodec.encode(bytes: digest) }
    }
}
