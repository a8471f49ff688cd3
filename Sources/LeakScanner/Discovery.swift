import Foundation

/// A pattern found by statistics that may be unknown scaffolding.
public struct DiscoveryCandidate: Sendable, Hashable, Codable {
  /// What was counted: the start of reasoning blocks, or a line repeated across rows.
  public enum Kind: String, Sendable, Hashable, Codable {
    /// A shape-normalised opening of reasoning blocks (`X# spice combinator:`).
    case opening
    /// A shape-normalised line repeated across rows.
    case repeatedLine = "repeated_line"
  }

  /// Kind.
  public var kind: Kind
  /// The normalised shape: digits become `#`, letter-digit codes `X#`.
  public var shape: String
  /// Rows that have it.
  public var count: Int
  /// Share of all rows.
  public var share: Double
  /// How unlike natural prose it is, 0…1 (codes, tags and labels score high; "Okay, so" low).
  public var unnaturalness: Double
  /// Ranking score: share × unnaturalness.
  public var score: Double
  /// Whether it is confident enough to take part in `clean` without being accepted.
  public var highConfidence: Bool
  /// Example rows (line numbers).
  public var exampleLines: [Int]
  /// An example of the real text.
  public var example: String

  enum CodingKeys: String, CodingKey {
    case kind, shape, count, share, unnaturalness, score, example
    case highConfidence = "high_confidence"
    case exampleLines = "example_lines"
  }

  /// A rule matching this candidate (reasoning-start regex for openings, anywhere for lines).
  public func rule() -> LeakRule {
    let id = "discovered-" + String(shape.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(32))
    switch kind {
    case .opening:
      let pattern = Discovery.regex(forShape: shape) + #"(?:[^:\n]{0,60}:)?[ \t]*"#
      return LeakRule(
        id: id, summary: "discovered opening `\(shape)`", scope: .thinkStart,
        matcher: .regex(try! Pattern(pattern)))
    case .repeatedLine:
      return LeakRule(
        id: id, summary: "discovered repeated line `\(shape)`", scope: .anywhere,
        matcher: .regex(try! Pattern(Discovery.regex(forShape: shape), caseInsensitive: true)))
    }
  }
}

/// Counts of openings and repeated lines, mergeable across shards.
public struct DiscoveryStats: Sendable, Hashable, Codable {
  /// Opening shape → rows.
  public var openings: [String: Int] = [:]
  /// Opening shape → first example lines and text.
  public var openingExamples: [String: Example] = [:]
  /// Repeated-line shape → rows.
  public var lines: [String: Int] = [:]
  /// Repeated-line shape → examples.
  public var lineExamples: [String: Example] = [:]
  /// Whether rare line shapes were pruned to bound memory (counts may then be approximate).
  public var pruned = false

  /// Example lines and one example text.
  public struct Example: Sendable, Hashable, Codable {
    /// Up to 5 line numbers.
    public var lines: [Int]
    /// One real text.
    public var text: String
  }

  /// Creates empty stats.
  public init() {}

  static let maxLineShapes = 400_000

  mutating func add(row: RowContext) {
    var seenOpenings = Set<String>()
    var seenLines = Set<String>()
    for opening in row.thinkOpenings {
      let first = opening.prefix { $0 != "\n" }.prefix(60)
      guard !first.isEmpty else { continue }
      for shape in Discovery.openingShapes(String(first)) where seenOpenings.insert(shape).inserted {
        openings[shape, default: 0] += 1
        note(&openingExamples, shape, row.row.line, String(first))
      }
    }
    for trace in row.traces {
      for block in trace.blocks {
        // Short lines only (scaffolding notes are short); scan bytes, not Characters.
        for line in block.content.utf8.split(separator: 0x0A, maxSplits: 64) where line.count >= 8 && line.count <= 100 {
          guard let text = String(line) else { continue }
          let trimmed = text.trimmingCharacters(in: .whitespaces)
          guard trimmed.count >= 8, trimmed.count <= 80 else { continue }
          let shape = Discovery.lineShape(trimmed)
          if seenLines.insert(shape).inserted {
            lines[shape, default: 0] += 1
            note(&lineExamples, shape, row.row.line, trimmed)
          }
        }
      }
    }
    if lines.count > Self.maxLineShapes {
      pruned = true
      lines = lines.filter { $0.value > 1 }
      lineExamples = lineExamples.filter { lines[$0.key] != nil }
    }
  }

  func note(_ examples: inout [String: Example], _ shape: String, _ line: Int, _ text: String) {
    if var e = examples[shape] {
      if e.lines.count < 5 {
        e.lines.append(line)
        examples[shape] = e
      }
    } else {
      examples[shape] = Example(lines: [line], text: text)
    }
  }

  /// Adds another shard's counts (line numbers are global, so examples merge in order).
  public mutating func merge(_ other: DiscoveryStats) {
    for (k, v) in other.openings { openings[k, default: 0] += v }
    for (k, v) in other.lines { lines[k, default: 0] += v }
    for (k, e) in other.openingExamples { mergeExample(&openingExamples, k, e) }
    for (k, e) in other.lineExamples { mergeExample(&lineExamples, k, e) }
    pruned = pruned || other.pruned
  }

  func mergeExample(_ examples: inout [String: Example], _ k: String, _ e: Example) {
    if var mine = examples[k] {
      mine.lines = Array((mine.lines + e.lines).sorted().prefix(5))
      if let first = e.lines.first, let mineFirst = mine.lines.first, first < mineFirst { mine.text = e.text }
      examples[k] = mine
    } else {
      examples[k] = e
    }
  }
}

/// Ranks discovery statistics into candidates.
public enum Discovery {
  /// Opening words that natural reasoning starts with.
  static let naturalFirstWords: Set<String> = [
    "okay", "ok", "so", "let", "let's", "alright", "all", "first", "firstly", "hmm", "well", "now", "we", "i",
    "the", "to", "given", "this", "in", "since", "looking", "thinking", "right", "sure", "here", "there", "it",
    "a", "an", "my", "our", "for", "if", "when", "what", "how", "why", "start", "starting", "consider", "note",
    "based", "from", "user", "question", "wait", "yes", "no", "then", "because", "step", "thus", "therefore",
  ]

  /// Shapes of an opening: the first-token family when it is code-like (`X# …`), and the
  /// first three tokens.
  static func openingShapes(_ text: String) -> [String] {
    let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).prefix(3).map { tokenShape(String($0)) }
    guard let first = tokens.first else { return [] }
    var shapes = [tokens.joined(separator: " ")]
    if isCodeLike(first) && tokens.count > 1 {
      shapes.append((first.hasSuffix(":") ? String(first.dropLast()) : first) + " …")
    }
    return shapes
  }

  static func tokenShape(_ token: String) -> String {
    var out = ""
    var lastDigit = false
    for ch in token {
      if ch.isNumber {
        if !lastDigit { out.append("#") }
        lastDigit = true
      } else {
        out.append(ch)
        lastDigit = false
      }
    }
    // Letter-digit codes: A4, E12b, QA3 → X#
    let core = String(out.drop { !($0.isLetter || $0 == "#") }.reversed().drop { !($0.isLetter || $0 == "#") }.reversed())
    if core.count >= 2, core.count <= 5, core.hasSuffix("#") || core.dropLast().hasSuffix("#"),
      core.first?.isUppercase == true, core.allSatisfy({ $0 == "#" || ($0.isLetter && $0.isASCII) })
    {
      let trailing = out.hasSuffix(":") ? ":" : ""
      return "X#" + trailing
    }
    return out.lowercased()
  }

  static func lineShape(_ line: String) -> String {
    line.split(separator: " ").map { tokenShape(String($0)) }.joined(separator: " ")
  }

  static func isCodeLike(_ shape: String) -> Bool {
    shape.hasPrefix("X#") || shape.hasPrefix("[") || shape.contains("=") || shape.hasPrefix("<<")
      || shape.hasPrefix("{{")
  }

  /// 0…1: how unlike natural prose an opening or line shape is.
  static func unnaturalness(_ shape: String, kind: DiscoveryCandidate.Kind) -> Double {
    let tokens = shape.split(separator: " ").map(String.init)
    guard let first = tokens.first else { return 0 }
    if tokens.contains(where: isCodeLike) { return 1 }
    switch kind {
    case .opening:
      let word = String(first.filter { $0.isLetter || $0 == "'" }).lowercased()
      if naturalFirstWords.contains(word) { return 0.05 }
      if tokens.contains(where: { $0.contains("#") }) { return 0.8 }
      if tokens.prefix(3).contains(where: { $0.hasSuffix(":") }) { return 0.7 }
      return 0.3
    case .repeatedLine:
      // Lines recur naturally ("Let me verify."); only code-like ones are confident.
      return tokens.contains(where: { $0.contains("#") }) ? 0.5 : 0.3
    }
  }

  /// A regular expression matching text of a shape.
  static func regex(forShape shape: String) -> String {
    let tokens = shape.replacingOccurrences(of: " …", with: "").split(separator: " ")
    return tokens.map { token -> String in
      var out = ""
      var rest = Substring(token)
      if rest.hasPrefix("X#") {
        out += "[A-Z]{1,3}[0-9]+[a-z]?"
        rest = rest.dropFirst(2)
      }
      for ch in rest {
        if ch == "#" {
          out += "[0-9]+"
        } else if ch.isLetter {
          let lower = ch.lowercased()
          let upper = ch.uppercased()
          out += lower == upper ? NSRegularExpression.escapedPattern(for: String(ch)) : "[\(lower)\(upper)]"
        } else {
          out += NSRegularExpression.escapedPattern(for: String(ch))
        }
      }
      return out
    }.joined(separator: #"[ \t]+"#)
  }

  /// Ranks the statistics of a corpus of `rows` rows.
  ///
  /// - Parameters:
  ///   - minRows: fewest rows a candidate needs (default 3).
  ///   - minShare: smallest share of the corpus a candidate needs (default 1%).
  ///   - highConfidenceShare: share above which code-like candidates are high-confidence (default 2%).
  public static func candidates(
    from stats: DiscoveryStats, rows: Int, minRows: Int = 3, minShare: Double = 0.01,
    highConfidenceShare: Double = 0.02
  ) -> [DiscoveryCandidate] {
    guard rows > 0 else { return [] }
    var out: [DiscoveryCandidate] = []
    func consider(_ kind: DiscoveryCandidate.Kind, _ counts: [String: Int], _ examples: [String: DiscoveryStats.Example]) {
      for (shape, count) in counts where count >= minRows {
        let share = Double(count) / Double(rows)
        guard share >= minShare else { continue }
        let u = unnaturalness(shape, kind: kind)
        guard u >= 0.3 else { continue }
        let example = examples[shape]
        out.append(
          DiscoveryCandidate(
            kind: kind, shape: shape, count: count, share: share, unnaturalness: u, score: share * u,
            highConfidence: u >= 0.8 && share >= highConfidenceShare, exampleLines: example?.lines ?? [],
            example: example?.text ?? ""))
      }
    }
    consider(.opening, stats.openings, stats.openingExamples)
    consider(.repeatedLine, stats.lines, stats.lineExamples)
    return out.sorted { ($0.score, $0.count, $1.shape) > ($1.score, $1.count, $0.shape) }
  }
}
