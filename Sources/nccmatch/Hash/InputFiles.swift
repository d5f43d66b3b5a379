import Foundation
import NCCHashing

/// One thing to hash: a file path, standard input, or an entry of a folder that is not read, with why.
enum HashInput: Sendable, Hashable {
    case file(String)
    case standardInput
    /// Found in a folder but not read: a named pipe, device or socket, a link to nothing, or a name that is
    /// not valid UTF-8. `path` is the name as shown (escaped where it is not text); `code` a stable code.
    case skipped(path: String, code: String, message: String)

    /// How the input is named in the output.
    var displayPath: String {
        switch self {
        case .file(let path): path
        case .standardInput: "-"
        case .skipped(let path, _, _): path
        }
    }
}

/// Expands command-line paths into the files to hash, in a stable order.
enum InputFiles {
    /// Files stay as given; folders are walked recursively in byte order of their names, skipping
    /// hidden entries (names starting with "."); `-` is standard input. Paths that do not exist are
    /// kept so that hashing reports them as errors.
    ///
    /// Inside folders only regular files (and links to them) are listed to be read; named pipes, devices,
    /// sockets, links to nothing and names that are not valid UTF-8 become `.skipped` entries, so that every
    /// file left out is named. Links to folders are not followed (they can loop).
    static func expand(_ arguments: [String]) -> [HashInput] {
        var inputs: [HashInput] = []
        for argument in arguments {
            if argument == "-" {
                inputs.append(.standardInput)
                continue
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                walk(argument, into: &inputs)
            } else {
                inputs.append(.file(argument))
            }
        }
        return inputs
    }

    /// Reads a folder's entries as raw bytes (readdir), so that no name is lost to a text conversion.
    private static func entries(of directory: String) -> [[UInt8]]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        return names
    }

    private static func walk(_ directory: String, into inputs: inout [HashInput]) {
        guard let names = entries(of: directory) else {
            inputs.append(.file(directory))  // reported as unreadable
            return
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        for raw in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) where raw.first != UInt8(ascii: ".") {
            guard let name = String(validating: raw, as: UTF8.self) else {
                inputs.append(.skipped(
                    path: base + TerminalText.escapedBytes(raw), code: "name_not_utf8",
                    message: "This file's name is not valid UTF-8 text, so it was not read. Rename it (for example to picture-1.jpg) and run the command again."))
                continue
            }
            let path = base + name
            var info = stat()
            guard lstat(path, &info) == 0 else {
                inputs.append(.skipped(path: path, code: "read_failed", message: "This entry could not be examined (\(String(cString: strerror(errno)))), so it was not read."))
                continue
            }
            var type = info.st_mode & S_IFMT
            if type == S_IFLNK {
                var target = stat()
                guard stat(path, &target) == 0 else {
                    inputs.append(.skipped(path: path, code: "broken_link", message: "This is a link to a file that is not there, so nothing was read. Check where the link points."))
                    continue
                }
                type = target.st_mode & S_IFMT
                // Symbolic links to folders are not followed: they can loop.
                if type == S_IFDIR { continue }
            }
            switch type {
            case S_IFDIR: walk(path, into: &inputs)
            case S_IFREG: inputs.append(.file(path))
            default:
                let error = FileReadError.notRegularFile(type)
                inputs.append(.skipped(path: path, code: error.code.rawValue, message: error.message))
            }
        }
    }
}
