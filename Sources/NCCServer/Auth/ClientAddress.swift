import Hummingbird
import NIOCore

/// Who a request comes from, for the per-client limits: an IPv4 address, or the /64 prefix of an IPv6
/// address (one host usually holds a whole /64, so counting single IPv6 addresses would let it rotate).
///
/// Behind a reverse proxy every peer is the proxy; when the peer is one of the configured
/// `trustedProxies`, the right-most address of `X-Forwarded-For` (the one the proxy itself added) is used
/// instead. Never trusted from any other peer, since a client can write that header itself.
enum ClientAddress {
    /// The throttle key of the request's client, e.g. `ip4:203.0.113.7` or `ip6:2001:db8:1:2::/64`.
    static func key(request: Request, remote: SocketAddress?, trustedProxies: Set<String>) -> String {
        let peer = remote?.ipAddress ?? "unknown"
        if trustedProxies.contains(peer), let forwarded = request.headers[values: .init("X-Forwarded-For")!].last {
            let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !last.isEmpty, last.utf8.count <= 64 { return normalised(last) }
        }
        return normalised(peer)
    }

    /// IPv6 addresses cut to their /64; anything else kept as it is.
    static func normalised(_ address: String) -> String {
        guard address.contains(":") else { return "ip4:" + address }
        guard let parsed = try? SocketAddress(ipAddress: address, port: 0), case .v6(let v6) = parsed else { return "ip6:" + address }
        var bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        // IPv4-mapped IPv6 (::ffff:a.b.c.d) is really an IPv4 client.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return "ip4:\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
        }
        for i in 8..<16 { bytes[i] = 0 }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return "ip6:" + groups.joined(separator: ":") + "::/64"
    }
}
