import Foundation

/// One reason a training row is flagged.
public struct Finding: Sendable, Hashable, Codable {
  /// The detector's id, e.g. `scaffold-prefix`. Reports and quarantine reasons file a finding
  /// under the id of the ``Detector`` that returned it, whatever is written here.
  public var detector: String
  /// What was found (at most 160 characters).
  public var evidence: String
  /// For findings at the start of a reasoning block: the exact text `--repair` may strip.
  public var repairPrefix: String?

  /// Creates a finding.
  public init(detector: String, evidence: String, repairPrefix: String? = nil) {
    self.detector = detector
    self.evidence = String(evidence.prefix(160))
    self.repairPrefix = repairPrefix
  }

  enum CodingKeys: String, CodingKey {
    case detector, evidence
    case repairPrefix = "repair_prefix"
  }

  /// The finding with ``detector`` set to `id`, the id of the detector that returned it.
  func filed(under id: String) -> Finding {
    var filed = self
    filed.detector = id
    return filed
  }
}

/// What detectors see of a row besides the row itself: its parsed reasoning blocks and the
/// texts the built-in detectors read, computed once per row.
public struct RowContext: Sendable {
  /// The row.
  public let row: CorpusRow
  /// The reasoning structure of each model-written segment, in order.
  public let traces: [ReasoningTrace]
  /// The model-written text, segments joined by newlines (``CorpusRow/modelText``).
  public let modelText: String
  /// The model-written text with reasoning tags removed (reasoning, then answer, per segment).
  public let plainModelText: String
  /// Whether every segment of the row is pure ASCII (then mojibake and non-Latin scripts are impossible).
  public let isASCII: Bool
  /// Every reasoning block's content with leading whitespace removed.
  public let thinkOpenings: [Substring]
  /// The text of each model turn that has no reasoning block, leading whitespace removed
  /// (not for `{text}` rows, whose text opens with the template): ``RuleScope/thinkStart``
  /// rules look here too, so scaffolding that opens a turn without reasoning is found.
  public let bareStarts: [Substring]

  /// Parses the row's model text with `format`.
  public init(row: CorpusRow, format: ReasoningFormat) {
    self.row = row
    let model = row.segments.filter(\.isModelText)
    let traces = model.map { format.parse($0.text) }
    self.traces = traces
    modelText = model.count == 1 ? model[0].text : model.map(\.text).joined(separator: "\n")
    plainModelText = traces.map { $0.blocks.isEmpty ? $0.answer : $0.thinkText + "\n" + $0.answer }
      .joined(separator: "\n")
    isASCII = row.segments.allSatisfy { ByteSearch.isASCII($0.text) }
    thinkOpenings = traces.flatMap { trace in trace.blocks.map { Self.start(of: $0.content) } }
    bareStarts =
      row.shape == .text
      ? []
      : zip(model, traces).compactMap { segment, trace in
        guard trace.blocks.isEmpty else { return nil }
        let start = Self.start(of: segment.text[...])
        return start.isEmpty ? nil : start
      }
  }

  /// `text` after its leading whitespace: ASCII whitespace skipped on bytes, then any other
  /// whitespace and the invisible characters a pipeline may leave before a tag (a byte order
  /// mark, zero-width spaces), by Character.
  static func start(of text: Substring) -> Substring {
    let utf8 = text.utf8
    let start = utf8.firstIndex { !($0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D)) } ?? utf8.endIndex
    return text[start...].drop { $0.isWhitespace || Self.isInvisible($0) }
  }
}

extension RowContext {
  /// U+200B zero-width space, U+2060 word joiner and U+FEFF byte order mark, alone.
  static func isInvisible(_ c: Character) -> Bool {
    c.unicodeScalars.count == 1 && [0x200B, 0x2060, 0xFEFF].contains(c.unicodeScalars.first!.value)
  }
}

/// Finds one kind of leak in a single training row.
///
/// LeakScanner's built-in per-row detectors conform to this protocol, and so can yours:
///
/// ```swift
/// struct NoInternalURLs: Detector {
///   let id = "internal-url"
///   let summary = "links to the data vendor's internal wiki"
///   func findings(in context: RowContext) -> [Finding] {
///     context.row.modelText.contains("wiki.vendor.internal")
///       ? [Finding(detector: id, evidence: "wiki.vendor.internal")] : []
///   }
/// }
/// let scanner = CorpusScanner(configuration: .init(extraDetectors: [NoInternalURLs()]))
/// ```
///
/// Corpus-wide checks (duplicates, discovery of unknown scaffolding) are made by the scanner
/// itself, since they need every row.
public protocol Detector: Sendable {
  /// A stable identifier used in reports, quarantine reasons and rulesets, unique in a
  /// configuration: a scan refuses two detectors with one id, and ids of the scan's own checks
  /// (``DetectorID``), with ``LeakScannerError/duplicateDetectorID(_:)``, and an empty id with
  /// ``LeakScannerError/emptyDetectorID(summary:)``. Its findings are filed under it.
  ///
  /// A detector of your own reads a ``RowContext``, which the scan then makes for every row
  /// besides reading the row as bytes (the built-in detectors answer from bytes): expect a scan
  /// with one to take longer than the README's benchmark figures.
  var id: String { get }
  /// One line saying what the detector finds.
  var summary: String { get }
  /// The findings in one row; empty when the row is clean.
  func findings(in context: RowContext) -> [Finding]
}

/// A compiled regular expression usable from many threads.
public struct Pattern: @unchecked Sendable, Hashable {
  /// The source pattern.
  public let source: String
  /// Whether matching ignores case.
  public let caseInsensitive: Bool
  let regex: NSRegularExpression

  /// Compiles a pattern.
  /// - Throws: the compiler's error when `source` is not a valid ICU regular expression.
  public init(_ source: String, caseInsensitive: Bool = false) throws {
    self.source = source
    self.caseInsensitive = caseInsensitive
    regex = try NSRegularExpression(
      pattern: source,
      options: caseInsensitive ? [.caseInsensitive, .anchorsMatchLines] : [.anchorsMatchLines])
  }

  /// The first match in `text`, if any.
  public func firstMatch(in text: String) -> Substring? {
    let ns = text as NSString
    guard let m = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else {
      return nil
    }
    guard let range = Range(m.range, in: text) else { return nil }
    return text[range]
  }

  /// Whether the pattern has an empty match in any of a few short texts (`a*`, `^`, `\b`,
  /// `(x)?`): a rule made of it would flag rows where nothing is there to show.
  package var matchesEmptyText: Bool {
    ["", "x", " ", "ab cd\n", "A4: x"].contains { probe in
      regex.matches(in: probe, range: NSRange(location: 0, length: (probe as NSString).length)).contains {
        $0.range.length == 0
      }
    }
  }

  /// A match that starts at the beginning of `text`, if any.
  public func prefixMatch(in text: String) -> Substring? {
    let ns = text as NSString
    guard
      let m = regex.firstMatch(
        in: text, options: [.anchored], range: NSRange(location: 0, length: ns.length)),
      let range = Range(m.range, in: text)
    else { return nil }
    return text[range]
  }

  public static func == (a: Pattern, b: Pattern) -> Bool {
    a.source == b.source && a.caseInsensitive == b.caseInsensitive
  }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(source)
    hasher.combine(caseInsensitive)
  }
}

/// Where a rule looks.
public enum RuleScope: String, Sendable, Codable, Hashable {
  /// At the start of each reasoning block, and of each model turn that has none (a match there
  /// can be repaired by stripping it).
  case thinkStart = "think_start"
  /// Anywhere in the model-written text.
  case anywhere
}

/// A user or built-in rule: a literal or a regular expression, at the start of reasoning or anywhere.
public struct LeakRule: Sendable, Hashable {
  /// Rule id, used as the detector id in reports.
  public var id: String
  /// One-line description.
  public var summary: String
  /// Where the rule looks.
  public var scope: RuleScope
  /// The matcher.
  public var matcher: Matcher

  /// How a rule matches.
  public enum Matcher: Sendable, Hashable {
    /// A literal substring (case-insensitive when the flag is set). A case-insensitive literal
    /// with letters outside ASCII (`étape`, `NOTE RÉGÉN`) is matched as the regular expression
    /// of its text (a ``RuleDetector``'s `rules` hold that regex), so `Étape` and `ÉTAPE` match
    /// it as they match a case-insensitive regex.
    case literal(String, caseInsensitive: Bool)
    /// A regular expression.
    case regex(Pattern)
  }

  /// A cheap necessary condition on the first bytes of a reasoning block, checked before a
  /// ``RuleScope/thinkStart`` regex runs (built-in and discovered rules set it).
  package var headFilter: HeadFilter = .none
  /// For ``RuleScope/anywhere`` regexes that begin with a word boundary and one of these
  /// lower-case literals: the regex is tried only where a literal occurs, on a short window.
  package var anchors: [String] = []
  /// For anchored rules: lower-case words after which an anchor hit is not tried ("the", "his",
  /// …); the entry `'s` stands for a possessive (`employer's`, `firm’s`, `José's`,
  /// `employers'`). One or more spaces or tabs stand between the word and the anchor.
  package var notAfter: [String] = []
  /// For the rules of discovered openings, the hand matcher of their regex (ICU otherwise).
  package var shapeMatcher: ShapeMatcher? = nil

  /// Creates a rule.
  public init(id: String, summary: String, scope: RuleScope, matcher: Matcher) {
    self.id = id
    self.summary = summary
    self.scope = scope
    self.matcher = matcher
  }

  /// Creates a rule with a head filter or anchors.
  package init(
    id: String, summary: String, scope: RuleScope, matcher: Matcher, headFilter: HeadFilter = .none,
    anchors: [String] = [], notAfter: [String] = []
  ) {
    self.init(id: id, summary: summary, scope: scope, matcher: matcher)
    self.headFilter = headFilter
    self.anchors = anchors
    self.notAfter = notAfter
  }

  /// Whether the word before `offset` in `text` (spaces or tabs between, at least one) is one
  /// of ``notAfter``.
  func followsExcludedWord(_ text: UnsafeBufferPointer<UInt8>, _ offset: Int) -> Bool {
    guard !notAfter.isEmpty else { return false }
    var end = offset
    while end > 0 && (text[end - 1] == 0x20 || text[end - 1] == 0x09) { end -= 1 }
    guard end < offset else { return false }
    // A possessive: `'s` or `’s` (E2 80 99 73) ending a word, or `s'`/`s’` (a plural's). Any
    // byte of a multi-byte character counts as a letter before it (`José's`).
    if notAfter.contains("'s") {
      func isLetterByte(_ b: UInt8) -> Bool { b >= 0x80 || LiteralSet.isWordByte(b) }
      func apostrophe(endingAt e: Int) -> Int? {  // the apostrophe's first byte, if one ends at e
        if e >= 1 && text[e - 1] == UInt8(ascii: "'") { return e - 1 }
        if e >= 3 && text[e - 3] == 0xE2 && text[e - 2] == 0x80 && text[e - 1] == 0x99 { return e - 3 }
        return nil
      }
      let isS = { (i: Int) in i >= 0 && text[i] | 0x20 == UInt8(ascii: "s") }
      if isS(end - 1), let a = apostrophe(endingAt: end - 1), a >= 1, isLetterByte(text[a - 1]) {
        return true
      }
      if let a = apostrophe(endingAt: end), isS(a - 1), a >= 2, isLetterByte(text[a - 2]) { return true }
    }
    var start = end
    while start > 0 && NoteMatcher.isLetter(text[start - 1]) { start -= 1 }
    guard start < end, start == 0 || !LiteralSet.isWordByte(text[start - 1]) else { return false }
    let word = String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self).lowercased()
    return notAfter.contains(word)
  }

  /// The matching text at the start of `text` (for ``RuleScope/thinkStart``) or anywhere.
  func match(_ text: Substring) -> Substring? {
    switch (matcher, scope) {
    case (.literal(let lit, let ci), .thinkStart):
      let head = text.prefix(lit.count)
      return (ci ? head.lowercased() == lit.lowercased() : head == lit) ? head : nil
    case (.literal(let lit, let ci), .anywhere):
      return Self.find(LiteralSet([lit], ignoringASCIICase: ci), in: text)
    case (.regex(let p), .thinkStart):
      // Scaffolding sits in the first line; matching a bounded head keeps ICU's UTF-16
      // conversion cheap on long reasoning blocks.
      return p.prefixMatch(in: String(text.prefix(160)))
    case (.regex(let p), .anywhere):
      return p.firstMatch(in: String(text))
    }
  }
}

extension LeakRule {
  /// A regex rule's scope, case and pattern, as one string: a discovery candidate whose
  /// ``DiscoveryCandidate/rule()`` has the key of a configured rule is that rule
  /// (``ScanConfiguration/ruledCandidateKeys``). `nil` for literals.
  var discoveryKey: String? {
    guard case .regex(let p) = matcher else { return nil }
    return "\(scope.rawValue) \(p.caseInsensitive) \(p.source)"
  }

  /// The rule, with a case-insensitive literal holding a letter outside ASCII made the
  /// case-insensitive regex of its text: literals are searched as bytes, folding ASCII letters
  /// alone.
  var foldingUnicodeCase: LeakRule {
    guard case .literal(let lit, true) = matcher,
      lit.unicodeScalars.contains(where: { !$0.isASCII && $0.properties.changesWhenCaseMapped }),
      let pattern = try? Pattern(NSRegularExpression.escapedPattern(for: lit), caseInsensitive: true)
    else { return self }
    var rule = self
    rule.matcher = .regex(pattern)
    return rule
  }

  /// The first match of `set` in `text`, as a slice of `text`.
  static func find(_ set: LiteralSet, in text: Substring) -> Substring? {
    var text = text
    guard let hit = text.withUTF8({ set.firstMatch(in: $0) }) else { return nil }
    let utf8 = text.utf8
    let lower = utf8.index(utf8.startIndex, offsetBy: hit.offset)
    let upper = utf8.index(lower, offsetBy: set.needles[hit.needle].count)
    return text[lower..<upper]
  }
}

/// A cheap test on the first bytes of a reasoning block that a scaffolding regex needs to pass.
package enum HeadFilter: Sendable, Hashable {
  /// No test: always run the regex.
  case none
  /// An upper-case letter, then a digit within the next three bytes (`A4`, `QA12`), or a
  /// lower-case letter and a digit (`a4`).
  case designator
  /// The first byte is one of these.
  case firstByte([UInt8])
  /// A word of letters, digits, `_` or `-`, then `=`.
  case keyValue
  /// Starts with one of these lower-case words, ignoring case (after Markdown emphasis or
  /// heading marks, or an opening parenthesis).
  case firstWord([[UInt8]])

  /// Whether a match is possible at the start of `head`.
  package func admits(_ head: UnsafeBufferPointer<UInt8>) -> Bool {
    switch self {
    case .none: return true
    case .designator:
      guard let first = head.first else { return false }
      // A lower-case code has one letter (`a4 spice combinator:`).
      if first >= 0x61 && first <= 0x7A { return head.count > 1 && head[1] >= 0x30 && head[1] <= 0x39 }
      guard first >= 0x41 && first <= 0x5A else { return false }
      for i in 1..<min(head.count, 4) where head[i] >= 0x30 && head[i] <= 0x39 { return true }
      return false
    case .firstByte(let bytes):
      guard let first = head.first else { return false }
      return bytes.contains(first)
    case .keyValue:
      for (i, b) in head.enumerated() {
        if b == UInt8(ascii: "=") { return i > 0 }
        let word =
          (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x2D
          || b >= 0x80
        if !word { return false }
      }
      return false
    case .firstWord(let words):
      // After Markdown or an opening bracket (`**`, `###`, `(`, `#`), as the label rule allows.
      var start = 0
      markup: while start < min(head.count, 8) {
        switch head[start] {
        case UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: "("), 0x20, 0x09:
          start += 1
        default: break markup
        }
      }
      return words.contains { w in
        w.count <= head.count - start
          && w.indices.allSatisfy { k in LiteralSet.fold(head[start + k]) == w[k] }
      }
    }
  }
}

/// Runs a set of ``LeakRule``s that share a detector id.
public struct RuleDetector: Detector {
  public let id: String
  public let summary: String
  /// The rules.
  public var rules: [LeakRule] {
    didSet {
      // (Setting a property in its own `didSet` does not call it again.)
      rules = rules.map(\.foldingUnicodeCase)
      deriveTables()
    }
  }
  /// Lower-cased literals one of which must occur in the text before the anywhere-rules run,
  /// or empty to always run them (a cheap prefilter searched in one pass).
  public var prefilter: [String] {
    didSet { prefilterSet = LiteralSet(prefilter, ignoringASCIICase: true) }
  }
  var prefilterSet: LiteralSet
  // The tables below are derived from `rules` by ``deriveTables()``.
  var literals: [LiteralSet?] = []
  var anchorSet = LiteralSet([], ignoringASCIICase: true)
  var anchorOwners: [Int] = []
  /// Indices of the think-start and anywhere rules, and the head filters, so the per-row
  /// loops never copy a rule.
  var startRules: [Int] = []
  var anywhereRules: [Int] = []
  var headFilters: [HeadFilter] = []
  /// Which rules are the built-in designator regex, matched on bytes by ``DesignatorMatcher``.
  var fastDesignator: [Bool] = []
  /// The hand matcher of each rule that has one (``NoteMatcher``).
  var noteMatchers: [NoteMatcher.Kind?] = []
  /// The hand matcher of each discovered-opening rule (``ShapeMatcher``).
  var shapeMatchers: [ShapeMatcher?] = []
  /// ``anchorsSurviveCollapse(_:)`` of the rules.
  var anchorsSurviveCollapse = false
  /// Whether the anywhere-rules also match across a run of blanks or a line break between two
  /// words (`diversify  by`, `don't\nmention`, `dup of\n3886`): when the text holds such a run
  /// (``BlankRuns/joinsWords(before:after:)``: after a letter, before a lower-case letter, a
  /// digit or a `#`), the rules that did not match are tried again on the text with each such
  /// run read as one space, and their evidence is quoted from it. Default `false`; the built-in
  /// producer-note detector sets it, since a generator's notes wrap and double their spaces as
  /// any text does.
  public var matchesAcrossBlankRuns = false
  /// The labels ``BuiltinDetectors/scaffoldPrefix(extraLabels:)`` was made with beyond its own
  /// (a ruleset's `scaffold_prefix: {labels: …}` adds to them).
  package var extraLabels: [String] = []

  /// Creates a detector.
  public init(id: String, summary: String, rules: [LeakRule], prefilter: [String] = []) {
    self.id = id
    self.summary = summary
    self.rules = rules.map(\.foldingUnicodeCase)
    self.prefilter = prefilter
    prefilterSet = LiteralSet(prefilter, ignoringASCIICase: true)
    deriveTables()
  }

  /// Derives the per-row tables from ``rules`` (in `init`, and again whenever they change).
  private mutating func deriveTables() {
    literals = Self.literalSets(rules)
    (anchorSet, anchorOwners) = Self.anchors(rules)
    (startRules, anywhereRules, headFilters) = Self.index(rules)
    fastDesignator = rules.map(Self.isDesignator)
    noteMatchers = rules.map(Self.noteMatcher)
    shapeMatchers = rules.map(Self.shapeMatcher)
    anchorsSurviveCollapse = Self.anchorsSurviveCollapse(rules)
  }

  /// Whether every anywhere-rule is an anchored regex whose anchors hold no tab, line break or
  /// two blanks in a row. Such an anchor found in a text is found in it with its blank runs
  /// collapsed (``BlankRuns/collapse(_:into:)`` only shortens runs of two bytes or more, and
  /// keeps the bytes around them), so when the collapsed text holds no anchor, neither text
  /// matches: the scan then searches once instead of twice.
  static func anchorsSurviveCollapse(_ rules: [LeakRule]) -> Bool {
    rules.allSatisfy { rule in
      guard rule.scope == .anywhere else { return true }
      guard case .regex = rule.matcher, !rule.anchors.isEmpty else { return false }
      return rule.anchors.allSatisfy { anchor in
        !anchor.utf8.contains { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
          && !anchor.utf8.indices.dropLast().contains { i in
            BlankRuns.isBlankOrBreak(anchor.utf8[i])
              && BlankRuns.isBlankOrBreak(anchor.utf8[anchor.utf8.index(after: i)])
          }
      }
    }
  }

  /// The hand matcher of a think-start rule made from a discovered opening, if any.
  static func shapeMatcher(_ rule: LeakRule) -> ShapeMatcher? {
    guard rule.scope == .thinkStart, case .regex = rule.matcher else { return nil }
    return rule.shapeMatcher
  }

  /// The hand matcher of an anywhere-rule whose regex is one of ``NoteMatcher``'s.
  static func noteMatcher(_ rule: LeakRule) -> NoteMatcher.Kind? {
    guard rule.scope == .anywhere, case .regex(let p) = rule.matcher else { return nil }
    return NoteMatcher.Kind(p)
  }

  /// The designator regex's match at the start of `opening` when ``DesignatorMatcher`` finds
  /// one in its plain ASCII head (`nil` otherwise: no match, or not plain ASCII, which ICU
  /// decides).
  static func designatorMatch(_ opening: Substring) -> Substring? {
    let length = opening.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
      guard let n = RowBytes.asciiCharacterPrefix(bytes, 160) else { return nil }
      return DesignatorMatcher.matchLength(UnsafeBufferPointer(rebasing: bytes[..<n]))
    }
    guard let length, let length else { return nil }
    return opening[..<opening.utf8.index(opening.startIndex, offsetBy: length)]
  }

  /// The match of `shape` at the start of `opening`: `.some(nil)` for none, `nil` when the
  /// head is not plain ASCII (ICU decides).
  static func shapeMatch(_ shape: ShapeMatcher, _ opening: Substring) -> Substring?? {
    let length = opening.utf8.withContiguousStorageIfAvailable { shape.matchLength(atStartOf: $0) }
    guard let length, let length else { return nil }
    guard let length else { return .some(nil) }
    return .some(opening[..<opening.utf8.index(opening.startIndex, offsetBy: length)])
  }

  static func isDesignator(_ rule: LeakRule) -> Bool {
    guard rule.scope == .thinkStart, case .regex(let p) = rule.matcher else { return false }
    return p.source == DesignatorMatcher.pattern && !p.caseInsensitive
  }

  static func index(_ rules: [LeakRule]) -> ([Int], [Int], [HeadFilter]) {
    (
      rules.indices.filter { rules[$0].scope == .thinkStart },
      rules.indices.filter { rules[$0].scope == .anywhere },
      rules.map(\.headFilter)
    )
  }

  static func anchors(_ rules: [LeakRule]) -> (LiteralSet, [Int]) {
    var needles: [String] = []
    var owners: [Int] = []
    for (i, rule) in rules.enumerated() where rule.scope == .anywhere {
      guard case .regex = rule.matcher else { continue }
      for anchor in rule.anchors {
        needles.append(anchor)
        owners.append(i)
      }
    }
    return (LiteralSet(needles, ignoringASCIICase: true), owners)
  }

  /// Anchored rules: the regex is tried where an anchor occurs after a non-word byte.
  func anchoredMatches(in text: String) -> [Int: Substring] {
    var text = text
    let starts = text.withUTF8 { anchorStarts(in: $0) }
    var out: [Int: Substring] = [:]
    let utf8 = text.utf8
    for (rule, offsets) in starts {
      guard case .regex(let pattern) = rules[rule].matcher else { continue }
      for offset in offsets {
        let lower = utf8.index(utf8.startIndex, offsetBy: offset)
        // The rule's hand matcher decides plain ASCII windows (as on the scan's byte path).
        if let hand = noteMatchers[rule],
          let decided = text.utf8.withContiguousStorageIfAvailable({ all -> Int?? in
            let rest = UnsafeBufferPointer(rebasing: all[offset...])
            guard let length = RowBytes.asciiCharacterPrefix(rest, 240) else { return nil }
            return .some(hand.matchLength(UnsafeBufferPointer(rebasing: rest[..<length])))
          }), let decided
        {
          guard let length = decided else { continue }
          out[rule] = text[lower..<utf8.index(lower, offsetBy: length)]
          break
        }
        let window = text[lower...].prefix(240)
        if let m = pattern.prefixMatch(in: String(window)) {
          let upper = utf8.index(lower, offsetBy: m.utf8.count)
          out[rule] = text[lower..<upper]
          break
        }
      }
    }
    return out
  }

  /// Where each anchored rule's regex is tried: offsets of its anchors that follow a non-word
  /// byte, at most eight per rule, in text order.
  func anchorStarts(in bytes: UnsafeBufferPointer<UInt8>) -> [Int: [Int]] {
    var starts: [Int: [Int]] = [:]
    anchorSet.forEachMatch(in: bytes, wordStartsOnly: true) { needle, offset in
      let rule = anchorOwners[needle]
      if offset > 0 && LiteralSet.isWordByte(bytes[offset - 1]) { return true }
      if rules[rule].followsExcludedWord(bytes, offset) { return true }
      if starts[rule, default: []].count < 8 { starts[rule, default: []].append(offset) }
      return true
    }
    return starts
  }

  static func literalSets(_ rules: [LeakRule]) -> [LiteralSet?] {
    rules.map { rule in
      if case .literal(let lit, let ci) = rule.matcher, rule.scope == .anywhere {
        return LiteralSet([lit], ignoringASCIICase: ci)
      }
      return nil
    }
  }

  public func findings(in context: RowContext) -> [Finding] {
    var out: [Finding] = []
    if !startRules.isEmpty {
      for opening in [context.thinkOpenings, context.bareStarts].joined() {
        let admitted =
          opening.utf8.withContiguousStorageIfAvailable { bytes in
            let head = UnsafeBufferPointer(rebasing: bytes.prefix(64))
            return startRules.filter { headFilters[$0].admits(head) }
          } ?? startRules
        for i in admitted {
          let m: Substring?
          if let shape = shapeMatchers[i], let decided = Self.shapeMatch(shape, opening) {
            m = decided
          } else {
            m =
              fastDesignator[i]
              ? Self.designatorMatch(opening) ?? rules[i].match(opening) : rules[i].match(opening)
          }
          if let m {
            out.append(Finding(detector: id, evidence: "\(rules[i].id): \(m)", repairPrefix: String(m)))
            break
          }
        }
      }
    }
    if !anywhereRules.isEmpty {
      var text = context.modelText
      var found = anywhereFindings(in: text, rules: anywhereRules)
      if matchesAcrossBlankRuns, found.count < anywhereRules.count,
        text.withUTF8({ BlankRuns.mayJoinWords($0) })
      {
        let missed = anywhereRules.filter { i in !found.contains { $0.rule == i } }
        found += anywhereFindings(in: BlankRuns.collapsed(text), rules: missed)
        found.sort { $0.rule < $1.rule }
      }
      out += found.map { Finding(detector: id, evidence: "\(rules[$0.rule].id): \($0.match)") }
    }
    return out
  }

  /// The first match of each of the anywhere-rules `rules` (indices, in order) in `text`.
  private func anywhereFindings(in text: String, rules wanted: [Int]) -> [(rule: Int, match: Substring)] {
    if !prefilterSet.isEmpty {
      guard prefilterSet.containsAny(text) else { return [] }
    }
    let anchored = anchorSet.isEmpty ? [:] : anchoredMatches(in: text)
    var out: [(rule: Int, match: Substring)] = []
    for i in wanted {
      let m: Substring?
      if let literal = literals[i] {
        m = LeakRule.find(literal, in: text[...])
      } else if !rules[i].anchors.isEmpty {
        m = anchored[i]
      } else {
        m = rules[i].match(text[...])
      }
      if let m { out.append((i, m)) }
    }
    return out
  }
}
