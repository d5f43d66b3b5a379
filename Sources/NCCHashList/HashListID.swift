/// How an entry of a hash list is named: its id or path when the list gives one, else its 1-based line number.
public enum HashListID: Sendable, Hashable {
    /// The entry's `id` (or `path`) as the list gives it.
    case named(String)
    /// The line the entry is on, counted from 1, when the list names it no other way.
    case line(Int)

    /// The name for a person: the id, or `line N`.
    public var text: String {
        switch self {
        case .named(let name): name
        case .line(let line): "line \(line)"
        }
    }
}
