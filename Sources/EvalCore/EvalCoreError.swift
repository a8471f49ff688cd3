/// Errors raised by the shared core: unreadable files, bad configuration, bad field paths.
///
/// Recoverable problems in an input file (a malformed JSONL line, invalid UTF-8, a missing
/// field) are not thrown: they are reported as ``LineIssue`` values and counted, and the
/// reader goes on.
public enum EvalCoreError: Error, CustomStringConvertible, Sendable, Equatable {
  /// A file could not be opened or read.
  case unreadableFile(path: String, reason: String)
  /// The path names something other than a regular file; `kind` says what, e.g. "a FIFO
  /// (named pipe)" or "a directory".
  case notARegularFile(path: String, kind: String)
  /// A configuration file is not valid; `line` and `column` are 1-based when known.
  case invalidConfiguration(file: String, line: Int?, column: Int?, reason: String)
  /// A dotted field path such as `choices.0.message.content` is malformed.
  case invalidFieldPath(String)
  /// A file could not be written.
  case unwritableFile(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "cannot read \(path): \(reason). Check that the file exists and is readable."
    case .notARegularFile(let path, let kind) where kind == "a directory":
      return "cannot read \(path): it is a directory, not a file: name the JSONL file itself"
    case .notARegularFile(let path, let kind):
      return
        "cannot read \(path): it is \(kind), not a regular file, and it is read by byte ranges and more than once: save it to a file first (e.g. `cat \(path) > corpus.jsonl`) and give that file"
    case .invalidConfiguration(let file, let line, let column, let reason):
      var location = file
      if let line { location += ":\(line)" }
      if let column { location += ":\(column)" }
      return "\(location): invalid configuration: \(reason)"
    case .invalidFieldPath(let path):
      return
        "invalid field path '\(path)': use dot-separated keys and array indexes, e.g. choices.0.message.content"
    case .unwritableFile(let path, let reason):
      return "cannot write \(path): \(reason)"
    }
  }
}
