import Foundation

/// One thing to hash: a file path, or standard input.
enum HashInput: Sendable, Hashable {
    case file(String)
    case standardInput

    /// How the input is named in the output.
    var displayPath: String {
        switch self {
        case .file(let path): path
        case .standardInput: "-"
        }
    }
}

/// Expands command-line paths into the files to hash, in a stable order.
enum InputFiles {
    /// Files stay as given; folders are walked recursively in byte order of their names, skipping
    /// hidden entries (names starting with "."); `-` is standard input. Paths that do not exist are
    /// kept so that hashing reports them as errors.
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

    private static func walk(_ directory: String, into inputs: inout [HashInput]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            inputs.append(.file(directory))  // reported as unreadable
            return
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where !name.hasPrefix(".") {
            let path = base + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                // Symbolic links to folders are not followed: they can loop.
                let attributes = try? FileManager.default.attributesOfItem(atPath: path)
                if attributes?[.type] as? FileAttributeType == .typeSymbolicLink { continue }
                walk(path, into: &inputs)
            } else {
                inputs.append(.file(path))
            }
        }
    }
}
