// Foundation-typed overloads of the generated API (URL paths, Date timestamps) and the message
// of a DramError. Each one forwards to a generated call; no decision is made here.
import Foundation

extension DramModel {
    /// Loads the model file at `url` (a file URL, e.g. from `Bundle.main.url(forResource:withExtension:)`).
    public static func fromFile(url: URL) throws -> DramModel {
        try fromFile(path: url.path)
    }
}

extension Ranker {
    /// A ranker whose history is read from `historyURL` (saved by `saveHistory(url:)`), or
    /// empty with `historyCapacity` if that file does not exist.
    public static func loadOrNew(model: DramModel, historyURL: URL, historyCapacity: UInt32) throws -> Ranker {
        try loadOrNew(model: model, historyPath: historyURL.path, historyCapacity: historyCapacity)
    }

    /// Records that the user did `kind` on `item` at `date` (now by default).
    public func record(item: String, kind: EventKind, at date: Date = Date()) throws {
        try record(item: item, kind: kind, timestampMs: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    /// Saves the history atomically to the file URL `url`.
    public func saveHistory(url: URL) throws {
        try saveHistory(path: url.path)
    }
}

extension DramError {
    /// dram-core's message: what was expected and what was found.
    public var message: String {
        switch self {
        case .Io(let message), .InvalidModel(let message), .InvalidInput(let message),
             .CorruptHistory(let message), .Runtime(let message):
            return message
        }
    }
}
