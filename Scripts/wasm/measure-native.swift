// Times the native hashing core on the synthetic 12-megapixel RGBA picture measure.sh also gives the
// WebAssembly core (the same generator, so the same pixels): every hash a case stores (`CaseHashSet`).
// Built by Scripts/wasm/measure.sh with `swiftc -O` together with Sources/NCCHashCore.
import Glibc
import NCCHashCore

@main enum MeasureNative {
    static func main() {
        let w = 4000, h = 3000, runs = 5
        let rgba = UnsafeMutablePointer<UInt8>.allocate(capacity: w * h * 4)
        var s: UInt32 = 1
        for y in 0..<h {
            for x in 0..<w {
                let i = (y * w + x) * 4
                s = s &* 1_103_515_245 &+ 12345
                rgba[i] = UInt8(truncatingIfNeeded: (x >> 3) * 7 + (y >> 2) * 3 + Int(s & 15))
                rgba[i + 1] = UInt8(truncatingIfNeeded: (x * y) >> 10)
                rgba[i + 2] = UInt8(truncatingIfNeeded: (x ^ y) >> 2)
                rgba[i + 3] = 255
            }
        }
        func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6 }
        let view = PixelView(base: rgba, width: w, height: h, layout: .rgba8)
        var times: [Double] = []
        var quality = 0
        for _ in 0..<runs {
            let t = now()
            quality = CaseHashSet(view).pdq.quality
            times.append(now() - t)
        }
        times.sort()
        print("native core, case hash set of 4000x3000 RGBA: median \(Int(times[runs / 2])) ms, best \(Int(times[0])) ms (quality \(quality))")
        rgba.deallocate()
    }
}
