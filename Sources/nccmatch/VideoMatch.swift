import ArgumentParser
import Foundation
import NCCHashing
import NCCVideo

/// `nccmatch match --video`: video queries against a bank of videos, matched with vPDQ as Meta defines it.
///
/// The bank and the queries are each any mix of video files, folders of them, `nccmatch hash --format jsonl` output
/// (the lines with a `vpdq` field) and Meta's text form (`--format vpdq` output, one video per file). The bank's
/// frames go into one `VPDQIndex`; each query video gets one line.
struct VideoMatch {
    /// The bank's paths.
    var bank: [String]
    /// The queries' paths.
    var queries: [String]
    /// Frame distance, quality floor and the two share thresholds.
    var policy: VPDQMatchPolicy
    /// Sampling and limits for video files read directly.
    var options: VideoDecodingOptions
    /// Text lines for a person instead of JSON lines.
    var text: Bool

    /// One video's frames, or why there are none.
    struct Loaded {
        var id: String
        var frames: Result<[VPDQFrame], HashRecordError>
    }

    /// Runs the match; throws `ExitCode(1)` when some input could not be read or hashed (every other one got its line).
    func run() throws {
        var failed = false
        let bankVideos = bank.flatMap(load)
        var entries: [(id: UInt64, frames: [VPDQFrame])] = []
        var names: [String] = []
        for video in bankVideos {
            switch video.frames {
            case .success(let frames):
                entries.append((UInt64(names.count), frames))
                names.append(video.id)
            case .failure(let error):
                failed = true
                FileHandle.standardError.write(Data("nccmatch match: bank video \(TerminalText.escaped(video.id)) skipped: \(error.message) (\(error.code))\n".utf8))
            }
        }
        if names.isEmpty {
            FileHandle.standardError.write(Data("nccmatch match: note: the bank holds no video hashes; nothing can match.\n".utf8))
        }
        let index = VPDQIndex(videos: entries, policy: policy)
        let out = LineOutput()
        for query in queries.flatMap(load) {
            switch query.frames {
            case .failure(let error):
                failed = true
                out.write(text ? "\(TerminalText.escaped(query.id)): not hashed: \(error.message) (\(error.code))"
                               : "{\"query\":\(JSONObjectWriter.quoted(query.id)),\"matches\":[],\"error\":{\"code\":\(JSONObjectWriter.quoted(error.code)),\"message\":\(JSONObjectWriter.quoted(error.message))}}")
            case .success(let frames):
                let found = index.matches(frames)
                if text {
                    let list = found.map { "\(TerminalText.escaped(names[Int($0.videoID)])) (query \(Self.percent($0.result.queryMatchPercent))%, bank \(Self.percent($0.result.bankMatchPercent))%)" }
                    out.write("\(TerminalText.escaped(query.id)): " + (list.isEmpty ? "no match" : list.joined(separator: ", ")))
                } else {
                    let items = found.map {
                        "{\"id\":\(JSONObjectWriter.quoted(names[Int($0.videoID)])),\"query_match_percent\":\(Self.percent($0.result.queryMatchPercent)),\"bank_match_percent\":\(Self.percent($0.result.bankMatchPercent))}"
                    }
                    out.write("{\"query\":\(JSONObjectWriter.quoted(query.id)),\"matches\":[\(items.joined(separator: ","))]}")
                }
            }
        }
        out.flush()
        if failed { throw ExitCode(1) }
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The videos at `path`: a video file, a folder (walked as `hash` walks it), a jsonl hash list or Meta's text form.
    func load(_ path: String) -> [Loaded] {
        InputFiles.expand([path]).flatMap { input -> [Loaded] in
            switch input {
            case .file(let file): return loadFile(file)
            case .skipped(let skipped, let code, let message): return [Loaded(id: skipped, frames: .failure(HashRecordError(code: code, message: message)))]
            case .standardInput: return [Loaded(id: "-", frames: .failure(HashRecordError(code: "unsupported_input", message: "Standard input is not read as video; give a file.")))]
            }
        }
    }

    private func loadFile(_ path: String) -> [Loaded] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return [Loaded(id: path, frames: .failure(HashRecordError(code: VideoError.Code.unreadable.rawValue, message: VideoError.standardMessage(for: .unreadable))))]
        }
        let head = (try? handle.read(upToCount: VideoContainer.detectionPrefixLength)) ?? Data()
        try? handle.close()
        if VideoContainer.detect([UInt8](head)) != nil {
            do throws(VideoError) {
                return [Loaded(id: path, frames: .success(try VPDQHasher.hash(path: path, options: options).frames))]
            } catch {
                return [Loaded(id: path, frames: .failure(HashRecordError(code: error.code.rawValue, message: error.message)))]
            }
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 256 << 20, let text = String(data: data, encoding: .utf8) else {
            return [Loaded(id: path, frames: .failure(HashRecordError(code: "not_a_video_hash_list", message: "This file is neither a video nor a list of video hashes (nccmatch hash --format jsonl or --format vpdq output).")))]
        }
        if text.first == "{" { return Self.parseJSONLines(text, path: path) }
        do {
            return [Loaded(id: path, frames: .success(try VPDQTextForm.parse(text)))]
        } catch {
            return [Loaded(id: path, frames: .failure(HashRecordError(code: "invalid_vpdq_text", message: "This file is not in Meta's vPDQ text form (\(error)).")))]
        }
    }

    /// The fields of one `nccmatch hash --format jsonl` line that video matching reads.
    private struct VideoLine: Decodable {
        struct Frame: Decodable {
            var pdq: String
            var quality: Int
            var timestamp: Double
        }
        var path: String?
        var vpdq: [Frame]?
    }

    /// The `vpdq` lines of `nccmatch hash --format jsonl` output; lines without one (pictures) are left out.
    static func parseJSONLines(_ text: String, path: String) -> [Loaded] {
        var loaded: [Loaded] = []
        let decoder = JSONDecoder()
        for (number, line) in text.split(separator: "\n").enumerated() {
            let record: VideoLine
            do {
                record = try decoder.decode(VideoLine.self, from: Data(line.utf8))
            } catch DecodingError.dataCorrupted {
                loaded.append(Loaded(id: "\(path):\(number + 1)", frames: .failure(HashRecordError(code: "invalid_json", message: "This line is not a JSON object."))))
                continue
            } catch {
                loaded.append(Loaded(id: "\(path):\(number + 1)", frames: .failure(Self.badFrames)))
                continue
            }
            guard let frames = record.vpdq else { continue }
            let id = record.path ?? "\(path):\(number + 1)"
            var parsed: [VPDQFrame] = []
            for (i, frame) in frames.enumerated() {
                guard let pdq = try? PDQHash(hex: frame.pdq), (0...100).contains(frame.quality), frame.timestamp >= 0 else {
                    break
                }
                parsed.append(VPDQFrame(frameNumber: i, pdq: pdq, quality: frame.quality, timestamp: frame.timestamp))
            }
            loaded.append(Loaded(id: id, frames: parsed.count == frames.count ? .success(parsed) : .failure(Self.badFrames)))
        }
        return loaded
    }

    /// A line whose `vpdq` frames are not all well formed.
    private static let badFrames = HashRecordError(
        code: "invalid_vpdq", message: "A frame of this line's vpdq is not {pdq: 64 hex digits, quality: 0-100, timestamp: seconds}.")
}
