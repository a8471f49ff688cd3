/// Errors that stop a scan or a clean: bad rules, unreadable or unwritable files, bad shard
/// specifications and shard reports that do not belong together.
///
/// Problems with single corpus lines are not errors: they are counted and quarantined.
public enum LeakScannerError: Error, CustomStringConvertible, Sendable, Equatable {
  /// An entry of a ruleset's `rules:` is invalid; `line`/`column` are 1-based when known.
  case invalidRule(file: String, line: Int?, column: Int?, reason: String)
  /// A ruleset is invalid outside its rules (an unknown key, a bad setting, not YAML);
  /// `line`/`column` are 1-based when known.
  case invalidRuleset(file: String, line: Int?, column: Int?, reason: String)
  /// `--shard` is not of the form `K/N` with `1 ≤ K ≤ N`.
  case invalidShard(String)
  /// Shard reports cannot be merged.
  case incompatibleShards(file: String, reason: String)
  /// A report file could not be read.
  case unreadableReport(file: String, reason: String)
  /// An output could not be written.
  case unwritableOutput(path: String, reason: String)
  /// Two detectors of a configuration have the same id, or one has an id the report keeps for
  /// its own checks: their rows could not be told apart in a report, and shard reports would
  /// merge them into one count.
  case duplicateDetectorID(String)
  /// A detector of a configuration has an empty id (its summary says which).
  case emptyDetectorID(summary: String)

  public var description: String {
    switch self {
    case .invalidRule(let file, let line, let column, let reason):
      return "\(Self.location(file, line, column)): invalid rule: \(reason)"
    case .invalidRuleset(let file, let line, let column, let reason):
      return "\(Self.location(file, line, column)): invalid ruleset: \(reason)"
    case .invalidShard(let text):
      return "invalid shard '\(text)': use K/N with 1 ≤ K ≤ N, e.g. --shard 2/8"
    case .incompatibleShards(let file, let reason):
      return "\(file): cannot merge: \(reason)"
    case .unreadableReport(let file, let reason):
      return "cannot read shard report \(file): \(reason)"
    case .unwritableOutput(let path, let reason):
      return "cannot write \(path): \(reason)"
    case .duplicateDetectorID(let id):
      return
        "detector id '\(id)' is used twice (or by a check of the report's own): give each detector of the configuration an id of its own"
    case .emptyDetectorID(let summary):
      return "a detector ('\(summary)') has an empty id: give it a stable id of its own, e.g. internal-url"
    }
  }

  /// `file:line:column`, with what is known.
  static func location(_ file: String, _ line: Int?, _ column: Int?) -> String {
    var location = file
    if let line { location += ":\(line)" }
    if let column { location += ":\(column)" }
    return location
  }
}
