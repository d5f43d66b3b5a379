import NCCHashing
import NCCVideo
import Testing

@Suite("vPDQ text form")
struct VPDQTextFormTests {
    @Test("renders Meta's lines and parses them back")
    func roundTrip() throws {
        let hash = try PDQHash(hex: "e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c")
        let frames = [VPDQFrame(frameNumber: 0, pdq: hash, quality: 100, timestamp: 0),
                      VPDQFrame(frameNumber: 30, pdq: hash, quality: 49, timestamp: 1.0001)]
        let text = VPDQTextForm.render(frames)
        #expect(text == "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n30,49,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,1.000\n")
        let parsed = try VPDQTextForm.parse(text)
        #expect(parsed.map(\.frameNumber) == [0, 30] && parsed.map(\.quality) == [100, 49] && parsed[1].timestamp == 1)
    }

    @Test("names the first bad line")
    func errors() {
        let good = "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000"
        for (text, line) in [("\(good)\n1,101,\(good.split(separator: ",")[2]),0.1", 2), ("x,1,2,3", 1), ("\(good)\n\n0,50,abc,0", 3),
                             ("0,50,\(good.split(separator: ",")[2]),-1", 1), ("0,50", 1)] {
            #expect(throws: VPDQTextForm.ParseError.self) { try VPDQTextForm.parse(text) }
            do { _ = try VPDQTextForm.parse(text) } catch { #expect(error.line == line, "\(text)") }
        }
    }
}
