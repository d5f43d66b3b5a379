/// A change offenders make when they repost a video, applied by FFmpeg to make a copy for `VideoRobustnessEvaluator`.
public enum VideoTransform: String, Sendable, Hashable, Codable, CaseIterable {
    /// Re-encoded with H.264 at a visibly lower quality (x264 CRF 36).
    case reencode = "reencode"
    /// Scaled to half its width and height.
    case half = "half"
    /// Trimmed by 10% of its duration at each end.
    case trim = "trim"
    /// Mirrored left to right.
    case mirror = "mirror"
    /// A light, nearly opaque box (a logo or watermark) over a fifth of the width in the bottom right corner.
    case logo = "logo"
    /// A white caption bar added above the picture, a sixth of the copy's height (as meme and repost apps do).
    case caption = "caption"
    /// Played 1.5 times faster (frames' times divided by 1.5, at the original frame rate).
    case speed = "speed"

    /// One line saying what the copy is.
    public var summary: String {
        switch self {
        case .reencode: return "re-encoded at lower quality (H.264 CRF 36)"
        case .half: return "scaled to half width and height"
        case .trim: return "trimmed by 10% at each end"
        case .mirror: return "mirrored left to right"
        case .logo: return "a logo box over the bottom right corner"
        case .caption: return "a caption bar added above"
        case .speed: return "sped up 1.5 times"
        }
    }

    /// The transforms the acceptance bar is set on: a copy of these must match its original (≥ 95%).
    public static let required: Set<VideoTransform> = [.reencode, .half, .trim]

    /// Parses a comma-separated list of names, or `all`.
    ///
    /// - Throws: `VideoEvaluationError` with `.unknownTransform` naming the one not known and listing the rest.
    public static func parseList(_ text: String) throws(VideoEvaluationError) -> [VideoTransform] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names.isEmpty || names == ["all"] { return allCases }
        var chosen: [VideoTransform] = []
        for name in names {
            guard let transform = VideoTransform(rawValue: name) else {
                throw VideoEvaluationError(code: .unknownTransform, message: "There is no video transform called \(name). Choose from: \(allCases.map(\.rawValue).joined(separator: ", ")), or all.")
            }
            if !chosen.contains(transform) { chosen.append(transform) }
        }
        return chosen
    }

    /// FFmpeg output options (filters, trimming) making this copy of a video of `duration` seconds at `frameRate`.
    func ffmpegArguments(duration: Double?, frameRate: Double?) -> [String] {
        switch self {
        case .reencode: return []
        case .half: return ["-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2"]
        case .trim:
            guard let duration, duration > 0 else { return [] }
            return ["-ss", Self.seconds(duration * 0.1), "-t", Self.seconds(duration * 0.8)]
        case .mirror: return ["-vf", "hflip"]
        case .logo: return ["-vf", "drawbox=x=iw*0.76:y=ih*0.82:w=iw*0.2:h=ih*0.12:color=white@0.85:t=fill"]
        case .caption: return ["-vf", "pad=iw:trunc(ih*1.2/2)*2:0:oh-ih:color=white"]
        case .speed:
            let rate = frameRate.map { ",fps=\(Self.seconds($0))" } ?? ""
            return ["-vf", "setpts=PTS/1.5\(rate)"]
        }
    }

    /// x264's constant rate factor for the copy: 36 for the lower-quality re-encode, x264's default 23 otherwise.
    var crf: Int { self == .reencode ? 36 : 23 }

    private static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
}

import Foundation
