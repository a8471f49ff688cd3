@_spi(FieldEvalInternal) import EvalCore
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
  /// The normalised shape: digits become `#`, letter-digit codes `X#`, the letter of a label
  /// and a letter `X` (`Variant-A` is `variant-X`).
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
  /// Whether `--accept-discovered` (``CorpusCleaner/acceptDiscovered``) applies it: it is
  /// confident, or shaped like a pipeline's stamp, with an ``unnaturalness`` of at least
  /// ``acceptUnnaturalness`` (a tag, a row key, a label's slot, a numbered heading of the
  /// generator's words, an instruction to the writer repeated word for word such as `Remember
  /// to sound natural.`). Other repeated prose and templated sentences of the domain (`Let me verify.`,
  /// `the molar mass of X# is #.# g/mol.`) rank lower and are applied only when written to a
  /// ruleset (`--write-rules`) and accepted there one by one.
  public var acceptable: Bool { highConfidence || unnaturalness >= Self.acceptUnnaturalness }
  /// The least ``unnaturalness`` of a candidate that ``acceptable`` takes: 0.6.
  public static let acceptUnnaturalness = 0.6

  /// Whether `clean` applies it: ``acceptable`` when discovered candidates are accepted
  /// (`--accept-discovered`), ``highConfidence`` otherwise.
  package func isApplied(acceptingDiscovered: Bool) -> Bool {
    acceptingDiscovered ? acceptable : highConfidence
  }
  /// Example rows (line numbers).
  public var exampleLines: [Int]
  /// An example of the real text.
  public var example: String
  /// For the code family (`X# …`), the codes its rule is limited to: each one that opens two
  /// rows or more and at least 1% of the family's rows (`A4`, `E1`), when together they open
  /// at least half of them.
  /// `nil` when the family's rule takes any code (too many distinct codes, or too few rows
  /// each), and for other shapes.
  ///
  /// A code opening a sentence is a family's only when the corpus shows it is (`T2 The lesion
  /// is …` in a radiology row is not the `E1 Okay, so …` family's).
  public var codes: [String]? = nil
  /// For an opening numbered by a section's word (`row #. …`, `example #: …`), about how many
  /// distinct numbers its rows carry (``DiscoveryStats/Example/numbers``): near ``count`` for a
  /// row index, a few for the reasoning's own steps; at most ``count``. For a repeated line, a
  /// row's word and its number in brackets (`<!-- row # -->`) or a row's key and its number
  /// (`[id:#]`, `{"seed": #}`), only when the numbers are new on nearly every row; for a
  /// bracketed seed (`(seed=#)`), a square-bracketed row's word (`[sample #]`) or a line that a
  /// bare seed stamps (`config: seed=#, batch #.`), whose numbers decide whether it is
  /// confident. `nil` for other shapes.
  public var distinctNumbers: Int? = nil
  /// For a family of repeated lines that are one of the generator's labels and a one-word
  /// value (`persona: *.` from `Persona: nurse.`, `Persona: chef.`, …), or of openings that are
  /// a label and such a value (`style: *. …` from `Style: formal. Okay, so …`), the values
  /// seen, most rows first; its rule takes these (any word past
  /// ``DiscoveryStats/Example/maxCodes`` of them). `nil` for other shapes.
  public var values: [String]? = nil

  enum CodingKeys: String, CodingKey {
    case kind, shape, count, share, unnaturalness, score, example, codes, values
    case highConfidence = "high_confidence"
    case exampleLines = "example_lines"
    case distinctNumbers = "distinct_numbers"
  }

  /// The keys written beside the stored ones: `acceptable` (``acceptable``, which a reader
  /// works out again from the others).
  enum DerivedKeys: String, CodingKey {
    case acceptable
  }

  /// Writes the candidate with ``acceptable``, for a pipeline reading the JSON report to apply
  /// what `--accept-discovered` would.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(kind, forKey: .kind)
    try c.encode(shape, forKey: .shape)
    try c.encode(count, forKey: .count)
    try c.encode(share, forKey: .share)
    try c.encode(unnaturalness, forKey: .unnaturalness)
    try c.encode(score, forKey: .score)
    try c.encode(highConfidence, forKey: .highConfidence)
    try c.encode(exampleLines, forKey: .exampleLines)
    try c.encode(example, forKey: .example)
    try c.encodeIfPresent(codes, forKey: .codes)
    try c.encodeIfPresent(distinctNumbers, forKey: .distinctNumbers)
    try c.encodeIfPresent(values, forKey: .values)
    var derived = encoder.container(keyedBy: DerivedKeys.self)
    try derived.encode(acceptable, forKey: .acceptable)
  }

  /// A rule matching this candidate (reasoning-start regex for openings, anywhere for lines).
  public func rule() -> LeakRule {
    let id =
      "discovered-" + String(shape.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(32))
    switch kind {
    case .opening:
      // A slot's family (`style: *. …`): the label and one of its values.
      if let values, let pattern = Discovery.openingSlotRegex(family: shape, values: values) {
        return LeakRule(
          id: id, summary: "discovered opening `\(shape)`", scope: .thinkStart,
          matcher: .regex(try! Pattern(pattern, caseInsensitive: true)))
      }
      // A template's letter (`prompt template X: …`): the label and one of its capitals.
      if let values, let pattern = Discovery.letterSlotRegex(family: shape, values: values) {
        return LeakRule(
          id: id, summary: "discovered opening `\(shape)`", scope: .thinkStart,
          matcher: .regex(try! Pattern(pattern)))
      }
      // A family (`X# …`, codes with any label) names only the code: the rule then needs the
      // code to be a whole word followed by a label and a colon (`A4 spice combinator:`), so
      // `H2O boils` or `Q3 revenue was up` are not taken for it. The families of a hash and a
      // number (`## …`: `#123 Okay, so`) and of a label and a letter (`variant-X …`:
      // `Variant-B the claim`) take the same after their head.
      let family = Discovery.headFamily(ofShape: shape)
      let isFamily = family != nil
      // A tag family (`km-# >> …`): the tag and the blanks after it (at least one: the tag is
      // a whole token, counted only when words follow it, so `/gen/#` takes no part of
      // `/gen/7beta`).
      if !isFamily && shape.hasSuffix(" …") {
        return LeakRule(
          id: id, summary: "discovered opening `\(shape)`", scope: .thinkStart,
          matcher: .regex(try! Pattern(Discovery.regex(forShape: shape) + #"[ \t]+"#)))
      }
      // A tag that ends in a separator or holds a number, then words (`KM-# >> the`, `X# the
      // question`: the shape's words are the first of each row's reasoning): the rule needs the
      // words but matches only the tag, so `--repair` cuts `KM-7 >> ` or `B1 ` and keeps the
      // text.
      if !isFamily, let (tag, words) = Discovery.tagAndWords(ofShape: shape) {
        let pattern = Discovery.regex(forShape: tag) + #"[ \t]+(?="# + Discovery.regex(forShape: words) + ")"
        var rule = LeakRule(
          id: id, summary: "discovered opening `\(shape)`", scope: .thinkStart,
          matcher: .regex(try! Pattern(pattern)))
        rule.shapeMatcher = ShapeMatcher(openingShape: shape)
        return rule
      }
      // The family rule leaves domain terms alone as the designator rule does (`CO2: carbon
      // dioxide` has a family's structure).
      let codes = family == .code ? self.codes.flatMap { $0.isEmpty ? nil : Discovery.orderedCodes($0) } : nil
      let pattern: String
      switch family {
      case .code?:
        pattern =
          "(?!" + DesignatorMatcher.domainTermsPattern + ")"
          + (codes.map(Discovery.regex(forCodes:)) ?? Discovery.regex(forShape: shape))
          + Discovery.familyRuleTail
      case .hashNumber?: pattern = Discovery.hashNumberPattern + Discovery.familyRuleTail
      case .versionedCode?:
        pattern =
          "(?!" + DesignatorMatcher.domainTermsPattern + ")" + Discovery.regex(forShape: shape)
          + Discovery.familyRuleTail
      case .labelLetter?: pattern = Discovery.regex(forShape: shape) + Discovery.familyRuleTail
      case nil: pattern = Discovery.regex(forShape: shape) + #"(?:[^:\n]{0,60}:)?[ \t]*"#
      }
      var rule = LeakRule(
        id: id, summary: "discovered opening `\(shape)`", scope: .thinkStart,
        matcher: .regex(try! Pattern(pattern)))
      rule.shapeMatcher = ShapeMatcher(openingShape: shape, codes: codes)
      return rule
    case .repeatedLine:
      // A label's family takes its label and one of its values (the union of its lines' rules).
      let pattern = values.flatMap { Discovery.labelSlotRegex(family: shape, values: $0) }
      return LeakRule(
        id: id, summary: "discovered repeated line `\(shape)`", scope: .anywhere,
        matcher: .regex(try! Pattern(pattern ?? Discovery.regex(forShape: shape), caseInsensitive: true)))
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
  /// Whether rare opening or line shapes were dropped to bound memory (``BoundedTally``): the
  /// counts of the shapes kept may then be low by the rows counted before a drop.
  public var pruned = false

  /// Example lines and one example text.
  public struct Example: Sendable, Hashable, Codable {
    /// Up to 5 line numbers.
    public var lines: [Int]
    /// One real text.
    public var text: String
    /// For openings, the two smallest distinct texts the shape was made from (the first three
    /// words as written; the code, for a family): a shape made from one text alone is one
    /// opening repeated (`CO2 emissions rose`), not a family of generated ones.
    public var variants: [String]? = nil
    /// For the code family (`X# …`), the rows each first token opens, as written (`A4`, `B7:`,
    /// `E1|`), for at most ``maxCodes`` distinct tokens; `nil` for other shapes, and once more
    /// tokens than that were seen (the family's rule then takes any code).
    public var codes: [String: Int]? = nil
    /// For an opening numbered by a word of a section (`Row 3551.`, `Example 12: …`), a
    /// HyperLogLog sketch (512 registers) of the distinct numbers it was seen with; `nil` for
    /// other shapes. Whether the number is a row index (new on nearly every row) or the
    /// reasoning's own numbering (`Step 1:`) is read from it.
    public var numbers: [UInt8]? = nil

    /// The most distinct first tokens ``codes`` holds.
    public static let maxCodes = 64

    /// Adds `count` rows of `code` to `codes`, which becomes `nil` past ``maxCodes`` tokens.
    static func add(_ code: String, _ count: Int, to codes: inout [String: Int]?) {
      guard codes != nil else { return }
      codes![code, default: 0] += count
      if codes!.count > maxCodes { codes = nil }
    }

    /// Adds `variant`, keeping the two smallest distinct ones.
    static func keep(_ variant: String, in variants: inout [String]) {
      guard !variants.contains(variant) else { return }
      variants.append(variant)
      variants.sort()
      if variants.count > 2 { variants.removeLast() }
    }
  }

  /// Creates empty stats.
  public init() {}

  /// Counts a row read as a ``RowContext``; `capacity` bounds each table of shapes.
  mutating func add(row: RowContext, capacity: Int = 100_000) {
    var firstLines: [String] = []
    for opening in row.thinkOpenings { firstLines.append(Self.firstLine(of: opening)) }
    addOpenings(
      firstLines, line: row.row.line, echoes: { k, digits in Self.echoes(digits, row: row, opening: k) },
      echoesCode: { k, code in Self.echoes(code, row: row, opening: k, word: true) })
    var seen: [String] = []
    let prompts = row.row.segments.filter { !$0.isModelText }.map { Array($0.text.utf8) }
    let heldByPrompt: (UnsafeBufferPointer<UInt8>) -> Bool = { text in
      prompts.contains { $0.withUnsafeBufferPointer { ByteSearch.contains($0, text) } }
    }
    for trace in row.traces {
      for block in trace.blocks {
        var content = block.content
        content.withUTF8 { addLines(of: $0, line: row.row.line, seen: &seen, heldByPrompt: heldByPrompt) }
      }
      // The answer's lines too: a pipeline stamps its answers as it stamps its reasoning.
      var answer = trace.answer
      answer.withUTF8 {
        addLines(of: $0, line: row.row.line, seen: &seen, answer: true, heldByPrompt: heldByPrompt)
      }
    }
    prune(capacity: capacity)
  }

  /// Counts a row read as bytes (the scan's hot path); the same counts as ``add(row:)``.
  /// Openings go to `tally` (flushed into these stats with ``OpeningTally/flush(into:)``)
  /// when their first lines are plain ASCII.
  mutating func add(line: Int, bytes: RowBytes, tally: inout OpeningTally, capacity: Int = 100_000) {
    bytes.withStorage { all in
      if !tally.addRow(of: bytes, in: all, line: line) {
        addOpenings(
          bytes.openings.map {
            Self.firstLine(of: String(decoding: UnsafeBufferPointer(rebasing: all[$0]), as: UTF8.self)[...])
          },
          line: line,
          echoes: { k, digits in
            digits.withUnsafeBufferPointer { bytes.echoes($0, before: bytes.openings[k], in: all) }
          },
          echoesCode: { k, code in
            code.withUnsafeBufferPointer { bytes.echoes($0, before: bytes.openings[k], in: all, word: true) }
          })
      }
      var seen: [String] = []
      // Plain ASCII lines are counted in the tally, on bytes (flushed with the openings).
      tally.startLines()
      bytes.withPromptTest(in: all) { heldByPrompt in
        withUnsafeMutablePointer(to: &tally) { tally in
          for trace in bytes.rowTraces {
            for block in trace.blocks {
              addLines(
                of: UnsafeBufferPointer(rebasing: all[block.range]), line: line, seen: &seen, tally: tally,
                heldByPrompt: heldByPrompt)
            }
            // The answer's pieces as one text, as `ReasoningTrace.answer` joins them (most rows
            // have one piece that is not empty: no copy).
            var first = -1
            var pieces = 0
            for k in trace.answer.indices where !trace.answer[k].isEmpty {
              if first < 0 { first = k }
              pieces += 1
            }
            if pieces == 1 {
              addLines(
                of: UnsafeBufferPointer(rebasing: all[trace.answer[first]]), line: line, seen: &seen,
                answer: true, tally: tally,
                heldByPrompt: heldByPrompt)
            } else if pieces > 1 {
              var joined: [UInt8] = []
              for piece in trace.answer { joined.append(contentsOf: all[piece]) }
              joined.withUnsafeBufferPointer { answer in
                addLines(
                  of: answer, line: line, seen: &seen, answer: true, tally: tally,
                  heldByPrompt: heldByPrompt)
              }
            }
          }
        }
      }
    }
    prune(capacity: capacity)
  }

  /// ``RowBytes/echoes(_:before:in:)`` of a row read as a ``RowContext``: whether the number
  /// written `digits` stands in a segment that is not the model's, or in the model segment of
  /// opening `k` before it.
  static func echoes(_ digits: [UInt8], row: RowContext, opening k: Int, word: Bool = false) -> Bool {
    guard !digits.isEmpty else { return false }
    func holds(_ text: Substring.UTF8View) -> Bool {
      digits.withUnsafeBufferPointer { d in
        let match = word ? NumberSketch.holdsWord : NumberSketch.holds
        // A native string's bytes are read in place; only a bridged one is copied.
        return text.withContiguousStorageIfAvailable { match($0, d) }
          ?? Array(text).withUnsafeBufferPointer { match($0, d) }
      }
    }
    for segment in row.row.segments where !segment.isModelText {
      if holds(segment.text[...].utf8) { return true }
    }
    let opening = row.thinkOpenings[k]
    return holds(opening.base[..<opening.startIndex].utf8)
  }

  /// The first line of an opening, at most 60 characters (the line is looked for in the first
  /// 240 bytes).
  static func firstLine(of opening: Substring) -> String {
    let utf8 = opening.utf8
    let lineEnd =
      utf8.prefix(240).firstIndex(of: 0x0A) ?? utf8.index(utf8.startIndex, offsetBy: min(240, utf8.count))
    return String(opening[..<lineEnd].prefix(60))
  }

  /// The byte length of ``firstLine(of:)`` when the characters it takes are plain ASCII
  /// (``RowBytes/asciiCharacterPrefix(_:_:)``); `nil` otherwise.
  static func asciiFirstLineEnd(of opening: UnsafeBufferPointer<UInt8>) -> Int? {
    let limit = min(240, opening.count)
    var end = limit
    if let base = opening.baseAddress, let hit = memchr(base, 0x0A, limit) {
      end = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }
    return RowBytes.asciiCharacterPrefix(UnsafeBufferPointer(rebasing: opening[..<end]), 60)
  }

  /// Counts the openings' first lines of one row. `echoes(k, digits)` says whether opening
  /// `k`'s number (its digits) stands in the row's text outside the model's reasoning
  /// (``RowBytes/echoes(_:before:in:)``): such a number is the prompt's, restated, and is left
  /// out of the numbering's sketch.
  mutating func addOpenings(
    _ firstLines: [String], line: Int, echoes: (Int, [UInt8]) -> Bool = { _, _ in false },
    echoesCode: (Int, [UInt8]) -> Bool = { _, _ in false }
  ) {
    // Few shapes per row: arrays beat sets here.
    var seen: [String] = []
    // A domain term (`CO2: …`, `Q1 revenue: …`) is no family, however often it opens, and
    // nor is an opening that restates a code of the prompt (``Discovery/restatesCode(_:echoes:)``).
    for (k, first) in firstLines.enumerated() where !first.isEmpty && !Discovery.startsWithDomainTerm(first) {
      var bytes = first
      if bytes.withUTF8({ Discovery.restatesCode($0) { echoesCode(k, Array($0)) } }) { continue }
      for shape in Discovery.openingShapes(first) where !seen.contains(shape) {
        // A head family (`X# …`, `## …`, `variant-X …`) counts only openings its rule matches.
        if let kind = Discovery.headFamily(ofShape: shape), !Discovery.hasHeadFamilyStructure(first, kind) {
          continue
        }
        seen.append(shape)
        openings[shape, default: 0] += 1
        Self.note(
          &openingExamples, shape, line, first,
          variant: Discovery.variant(
            of: first, words: shape.hasSuffix(" …") ? shape.split(separator: " ").count - 1 : 3))
        if Discovery.opensWithNumbering(shape.split(separator: " ").prefix(2).map(String.init)),
          let number = Discovery.words(first).prefix(2).first(where: {
            $0.utf8.contains(where: NoteMatcher.isDigit)
          })
        {
          let digits = number.utf8.filter(NoteMatcher.isDigit)
          if !echoes(k, digits) {
            // `note` above made the example.
            NumberSketch.add(digits: digits, to: &openingExamples[shape]!.numbers)
          }
        }
      }
    }
  }

  /// The lines of an answer that discovery counts (its first ones: a stamp opens or closes
  /// what a pipeline wrote, and an answer may be a long document).
  static let maxAnswerLines = 16

  /// Whether a line is written as a tag is: it opens with a bracket, `<<`, `#` or `|`
  /// (`[variant 3]`, `<<seed 12>>`, `#variant-4`, `|| aug ||`), with a heading or a rule that
  /// holds a number (`### Variant 3`, `--- sample 7 ---`) or with a comment marking the row as
  /// made (`// generated by pipeline v2`, ``opensMadeComment(_:)``), or holds a `=`
  /// (`SRC=synthetic`) or, in its first 24 bytes, a label's colon after a letter (`Persona:
  /// P7`) or after a number that ends the line (`Rewrite #12:`).
  /// An answer's lines are counted whole only then: its prose lines are new on nearly every
  /// row, and counting them would cost as much as the rest of discovery. Its fragments and a
  /// stamp after its last sentence are counted in any case.
  static func holdsTagMark(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    guard line.count >= 8 && line.count <= 100 else { return false }
    var i = 0
    while i < line.count && isLineBlank(line[i]) { i += 1 }
    guard i + 1 < line.count else { return false }
    switch line[i] {
    case 0x5B, 0x28, 0x7B: return true
    // A hashtag (`#variant-4`), not a Markdown heading of words (`## Summary`); `||` or `<<`,
    // not a table's row (`| a | b |`) or an operator.
    case 0x23:
      if line[i + 1] != 0x23 && line[i + 1] != 0x20 { return true }
      // A heading with a number (`### Variant 3`), as a pipeline heads each answer it writes;
      // headings of words (`## Summary`) are the answer's own.
      if holdsDigit(line, from: i) { return true }
    // A rule of dashes with a number (`--- sample 7 ---`); one of `=` holds a `=` anyway.
    case 0x2D, 0x3D:
      if line[i + 1] == line[i], i + 2 < line.count, line[i + 2] == line[i], holdsDigit(line, from: i) {
        return true
      }
    case 0x7C: if line[i + 1] == 0x7C { return true }
    case 0x3C: if line[i + 1] == 0x3C || line[i + 1] == 0x21 { return true }
    // A comment that marks the row as made (`// generated by pipeline v2`), not the text's own.
    case 0x2F:
      if line[i + 1] == 0x2F && opensMadeComment(UnsafeBufferPointer(rebasing: line[i...])) { return true }
    default: break
    }
    for k in i..<line.count {
      if line[k] == 0x3D { return true }
      if line[k] == 0x3A && k - i < 24 && k > i {
        // A label's colon after a letter, or after its number ending the line (`Rewrite
        // #12:`): a numbered sentence (`Answer 3: the sum is`) is new on every row.
        if NoteMatcher.isLetter(line[k - 1]) { return true }
        if NoteMatcher.isDigit(line[k - 1]) && line[(k + 1)...].allSatisfy(isLineBlank) { return true }
      }
    }
    return false
  }

  /// Whether `line` holds a digit in the 40 bytes from `start`.
  static func holdsDigit(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
    line[start..<min(line.count, start + 40)].contains(where: NoteMatcher.isDigit)
  }

  /// Counts the short lines of one reasoning block, or of an answer when `answer` (at most
  /// ``maxAnswerLines``, whole only with ``holdsTagMark(_:)``, without its first sentence):
  /// scaffolding notes are short. The text is split at newlines as
  /// `split(separator:maxSplits:)` does, with memchr.
  ///
  /// The block's first sentence counts as a line of its own when more text follows it on its
  /// line: an instruction the pipeline wrote before the reasoning (`Remember to sound natural
  /// and human. Okay, so …`) recurs word for word where the rest of the line does not.
  mutating func addLines(
    of content: UnsafeBufferPointer<UInt8>, line: Int, seen: inout [String], answer: Bool = false,
    tally: UnsafeMutablePointer<OpeningTally>? = nil,
    heldByPrompt: (UnsafeBufferPointer<UInt8>) -> Bool = { _ in false }
  ) {
    guard let base = content.baseAddress else { return }
    let maxPieces = answer ? Self.maxAnswerLines : 64
    if !answer, let sentence = Self.firstSentence(of: content) {
      addLine(
        UnsafeBufferPointer(rebasing: content[sentence]), line: line, seen: &seen, tally: tally,
        heldByPrompt: heldByPrompt)
    }
    var start = 0
    var pieces = 0
    // Lines of fenced code (```) are not counted: imports and assignments recur in any corpus
    // that teaches code, and a pipeline's notes are prose.
    var inCode = false
    func take(_ piece: UnsafeBufferPointer<UInt8>) {
      if Self.isFence(piece) {
        inCode.toggle()
      } else if !inCode {
        let whole = !answer || Self.holdsTagMark(piece)
        if whole { addLine(piece, line: line, seen: &seen, tally: tally, heldByPrompt: heldByPrompt) }
        Self.forEachFragment(in: piece) { fragment in
          addLine(
            UnsafeBufferPointer(rebasing: piece[fragment]), line: line, seen: &seen, tally: tally,
            heldByPrompt: heldByPrompt)
        }
        if let stamp = Self.trailingStamp(of: piece) {
          addLine(
            UnsafeBufferPointer(rebasing: piece[stamp]), line: line, seen: &seen, tally: tally,
            heldByPrompt: heldByPrompt)
        }
        // A setting opening the reasoning is its opening's (counted, and repaired, as one).
        Self.forEachInlineSetting(in: piece, fromStart: answer || pieces > 0) { setting in
          addLine(
            UnsafeBufferPointer(rebasing: piece[setting]), line: line, seen: &seen, tally: tally,
            heldByPrompt: heldByPrompt)
        }
        Self.forEachInlineHashtag(in: piece, fromStart: answer || pieces > 0) { tag in
          addLine(
            UnsafeBufferPointer(rebasing: piece[tag]), line: line, seen: &seen, tally: tally,
            heldByPrompt: heldByPrompt)
        }
        Self.forEachEdgedSetting(in: piece, fromStart: answer || pieces > 0) { tag in
          addLine(
            UnsafeBufferPointer(rebasing: piece[tag]), line: line, seen: &seen, tally: tally,
            heldByPrompt: heldByPrompt)
        }
        Self.forEachLabelNumberStamp(in: piece, wholeLine: whole) { stamp in
          addLine(
            UnsafeBufferPointer(rebasing: piece[stamp]), line: line, seen: &seen, tally: tally,
            heldByPrompt: heldByPrompt)
        }
      }
    }
    while start < content.count, let hit = memchr(base + start, 0x0A, content.count - start) {
      let nl = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      if nl > start {
        take(UnsafeBufferPointer(rebasing: content[start..<nl]))
        pieces += 1
      }
      start = nl + 1
      if pieces == maxPieces { break }
    }
    // An answer's lines past the limit are not read (the rest of a long document).
    if start < content.count && !(answer && pieces == maxPieces) {
      take(UnsafeBufferPointer(rebasing: content[start...]))
    }
  }

  /// The byte range of the first sentence of a block's first line when text follows it on
  /// that line: four words or more ended by `.`, `!` or `?` and a blank, within 100 bytes,
  /// opening with a word that natural reasoning does not start with
  /// (``Discovery/naturalFirstWords``).
  static func firstSentence(of content: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var i = 0
    while i < content.count
      && (content[i] == 0x20 || content[i] == 0x09 || content[i] == 0x0A || content[i] == 0x0D)
    {
      i += 1
    }
    let start = i
    // An instruction opens with a word (letters, then perhaps a comma): codes and tags are
    // counted as openings. Decided before the sentence is looked for (no sentence end is a
    // letter or an apostrophe, so the word ends before it).
    var end = start
    while end < content.count
      && (content[end] | 0x20 >= 0x61 && content[end] | 0x20 <= 0x7A || content[end] == 0x27)
    {
      end += 1
    }
    guard end > start, end < content.count,
      content[end] == 0x20 || content[end] == 0x09 || content[end] == UInt8(ascii: ",")
    else { return nil }
    let limit = min(content.count - 1, start + 100)
    var blanks = 0
    while i < limit {
      let b = content[i]
      if b == 0x0A { return nil }
      if b == 0x20 || b == 0x09 {
        if i > start && content[i - 1] != 0x20 && content[i - 1] != 0x09 { blanks += 1 }
      } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "!") || b == UInt8(ascii: "?") {
        let next = content[i + 1]
        guard next == 0x20 || next == 0x09 else {
          i += 1
          continue
        }
        // Reasoning's own first sentences ("Okay, so the user asks about primes.") vary with
        // the row and would only crowd the table.
        guard blanks >= 3 else { return nil }
        let first = String(decoding: content[start..<end].map { $0 | 0x20 }, as: UTF8.self)
        return Discovery.naturalFirstWords.contains(first) ? nil : start..<(i + 1)
      }
      i += 1
    }
    return nil
  }

  /// The byte range of a stamp a pipeline appended to a line after its last sentence (`… so
  /// the sum is odd. Persona: P123`, `… is read. seed=41`): about 40 bytes and at most five
  /// words after a `.`, `!` or `?` and a blank, holding a colon after a letter or a `=`
  /// between a letter and a value, one of the generator's labels and a number (`— remix 12`),
  /// or opening with a comment that marks the row as made (`… is odd. // generated by
  /// pipeline v2`, ``opensMadeComment(_:)``). The text before it varies with the row; the
  /// stamp recurs, so it is counted as a line of its own. `nil` when the line has no such end.
  static func trailingStamp(of piece: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var hi = piece.count
    while hi > 0 && isLineBlank(piece[hi - 1]) { hi -= 1 }
    guard hi >= 12 else { return nil }
    // Back to the last sentence end before the final byte (a stamp may end in a full stop).
    var p = hi - 2
    var blanks = 0
    var mark = false
    while p > 0 && hi - p <= 42 {
      let b = piece[p]
      if (b == 0x20 || b == 0x09) && !isLineBlank(piece[p - 1]) {
        let end = piece[p - 1]
        // A sentence's end, or a dash between blanks (`… the claim — remix 12`).
        let dash =
          (end == UInt8(ascii: "-") && p >= 2 && isLineBlank(piece[p - 2]))
          || (end == 0x94 && p >= 4 && piece[p - 2] == 0x80 && piece[p - 3] == 0xE2
            && isLineBlank(piece[p - 4]))
        if end == UInt8(ascii: ".") || end == UInt8(ascii: "!") || end == UInt8(ascii: "?") || dash {
          let segment = UnsafeBufferPointer(rebasing: piece[(p + 1)..<hi])
          guard blanks <= 4, p >= 4, mark || holdsLabelNumber(segment) || opensMadeComment(segment)
          else { return nil }
          return (p + 1)..<hi
        }
        blanks += 1
        // Five words or more after the sentence's end: no stamp, wherever that end lies.
        if blanks > 4 { return nil }
      } else if b == UInt8(ascii: ":") || b == UInt8(ascii: "=") {
        // A label's colon (`Persona: P123`) or a setting's `=` (`seed=41`), after a letter.
        if NoteMatcher.isLetter(piece[p - 1]) && (b == UInt8(ascii: ":") || !isLineBlank(piece[p + 1])) {
          mark = true
        }
      }
      p -= 1
    }
    return nil
  }

  /// Calls `body` with the range of each setting of one of the generator's labels written
  /// as a word of its own inside a line (`… the claim persona=nurse recites …`,
  /// `variant_id=B7,`): the label (``Discovery/labelWords``, perhaps joined to more of a name
  /// by `_` or `-`), `=` and a value of letters, digits, `_`, `-` or `.`, between blanks or
  /// the line's ends (closing punctuation cut). A key of where the row came from whose value
  /// marks it as made (`SRC=synthetic`, ``provenanceKeyBytes``, ``markSynthetic(_:)``) and a
  /// row id's key with a hex id (`uid=3fa1b2c4`, ``rowIDKeyBytes``; the key's first letters,
  /// so `row_id=` counts) count too. A pipeline's setting recurs where the sentence
  /// around it does not, so it is counted as a line. Bracketed settings are fragments
  /// (``forEachFragment(in:_:)``); code (`cfg(variant="a")`, `persona = p`) is not a word.
  /// With `fromStart` false, a setting that opens the piece is left out.
  static func forEachInlineSetting(
    in piece: UnsafeBufferPointer<UInt8>, fromStart: Bool = true, _ body: (Range<Int>) -> Void
  ) {
    forEachInlineWord(in: piece, marked: 0x3D, fromStart: fromStart, body) { eq in
      func isNameByte(_ b: UInt8) -> Bool { NoteMatcher.isLetter(b) || b == 0x5F || b == 0x2D }
      var lo = eq
      while lo > 0 && isNameByte(piece[lo - 1]) { lo -= 1 }
      guard lo < eq else { return nil }
      var word = lo
      while word < eq && NoteMatcher.isLetter(piece[word]) { word += 1 }
      guard word - lo >= 2, word - lo <= 12 else { return nil }
      let hi = trimmedWordEnd(piece, from: eq + 1)
      guard hi > eq + 1,
        piece[(eq + 1)..<hi].allSatisfy({
          NoteMatcher.isLetter($0) || NoteMatcher.isDigit($0) || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E
        }),
        NoteMatcher.isLetter(piece[eq + 1]) || NoteMatcher.isDigit(piece[eq + 1])
      else { return nil }
      let key = UnsafeBufferPointer(rebasing: piece[lo..<word])
      let value = UnsafeBufferPointer(rebasing: piece[(eq + 1)..<hi])
      guard
        (key.count >= 3 && isLabel(key, in: labelWordBytes))
          || (isLabel(key, in: provenanceKeyBytes) && markSynthetic(value))
          || (isLabel(key, in: rowIDKeyBytes) && Discovery.hexIdentifierCore(value) == value.indices)
      else { return nil }
      return lo..<hi
    }
  }

  /// Calls `body` with each word of `piece` holding a `mark` byte that `read` takes: `read` is
  /// given the mark's offset and answers the word's range, or `nil`. A word is taken when it
  /// starts after a blank or at the line's start (with `fromStart` false, not the piece's
  /// first), at most `limit` a line (default eight); the search goes on after each one taken.
  /// Returns how many were taken.
  @discardableResult
  static func forEachInlineWord(
    in piece: UnsafeBufferPointer<UInt8>, marked mark: UInt8, fromStart: Bool, limit: Int = 8,
    _ body: (Range<Int>) -> Void, read: (Int) -> Range<Int>?
  ) -> Int {
    guard let base = piece.baseAddress else { return 0 }
    let n = piece.count
    var from = 0
    var found = 0
    while from < n && found < limit, let hit = memchr(base + from, Int32(mark), n - from) {
      let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      from = at + 1
      guard let word = read(at), word.lowerBound == 0 || isLineBlank(piece[word.lowerBound - 1]),
        fromStart || piece[..<word.lowerBound].contains(where: { !isLineBlank($0) })
      else { continue }
      body(word)
      found += 1
      // Only closing punctuation lies between the range's end and the next blank: no mark.
      from = word.upperBound
    }
    return found
  }

  /// Where the word starting at `start` of `piece` ends, without the closing punctuation that
  /// ends it (`.,;:!?)`), down to `start`: the word runs to the next blank or the piece's end.
  static func trimmedWordEnd(_ piece: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var hi = start
    while hi < piece.count && !isLineBlank(piece[hi]) { hi += 1 }
    while hi > start && ".,;:!?)".utf8.contains(piece[hi - 1]) { hi -= 1 }
    return hi
  }

  /// Whether `segment` holds one of the generator's labels and a number after it (`remix 12`,
  /// `Seed 44, variant 3.`, or joined to it: `#variant-3`, `remix_12`), the mark of a stamp
  /// without a colon.
  static func holdsLabelNumber(_ segment: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < segment.count {
      while i < segment.count && !NoteMatcher.isLetter(segment[i]) { i += 1 }
      var j = i
      while j < segment.count && NoteMatcher.isLetter(segment[j]) { j += 1 }
      if j > i, j + 1 < segment.count, isLineBlank(segment[j]) || segment[j] == 0x2D || segment[j] == 0x5F,
        NoteMatcher.isDigit(segment[j + 1])
      {
        if isLabel(UnsafeBufferPointer(rebasing: segment[i..<j]), in: stampLabelBytes) { return true }
      }
      i = j
    }
    return false
  }

  /// ``Discovery/stampLabels`` as lower-case bytes, for ``holdsLabelNumber(_:)``.
  static let stampLabelBytes: [[UInt8]] = Discovery.stampLabels.sorted().map { Array($0.utf8) }

  /// Calls `body` with the range of each hashtag of one of the generator's labels written as
  /// a word of its own inside a line (`… the claim #variant-3 recites …`, `#persona_b.`): `#`,
  /// one of the generator's words (``Discovery/generatorWords``, the words
  /// ``Discovery/isGeneratorHashtag(_:)`` judges a hashtag by) and a `-` or `_` and one to three
  /// letters or digits,
  /// between blanks or the line's ends (closing punctuation cut). Prose's hashtags
  /// (`#teamwork`) and a heading's hashes (`## Plan`) are not read. With `fromStart` false, a
  /// hashtag that opens the piece is left out (an opening's).
  static func forEachInlineHashtag(
    in piece: UnsafeBufferPointer<UInt8>, fromStart: Bool = true, _ body: (Range<Int>) -> Void
  ) {
    let n = piece.count
    forEachInlineWord(in: piece, marked: 0x23, fromStart: fromStart, body) { lo in
      var word = lo + 1
      while word < n && NoteMatcher.isLetter(piece[word]) { word += 1 }
      guard word - lo - 1 >= 3, word + 1 < n, piece[word] == 0x2D || piece[word] == 0x5F,
        isLabel(UnsafeBufferPointer(rebasing: piece[(lo + 1)..<word]), in: generatorWordBytes)
      else { return nil }
      let hi = trimmedWordEnd(piece, from: word + 1)
      // A short value (`-3`, `_b`, `-12`): a campaign's or a year's (`#remix-contest`,
      // `#remix-2024`) is a social post's.
      guard hi > word + 1, hi - word - 1 <= 3,
        piece[(word + 1)..<hi].allSatisfy({ NoteMatcher.isLetter($0) || NoteMatcher.isDigit($0) })
      else { return nil }
      return lo..<hi
    }
  }

  /// Calls `body` with the range of each setting between edges of marks inside a line (`… the
  /// claim || aug:para || recites …`; ``Discovery/isEdgedSetting(_:)`` reads its shape): an
  /// edge, a blank, `key:value` with no blank in it, a blank and the same edge, between blanks
  /// or the line's ends, at most eight a line. With `fromStart` false, one that opens the piece
  /// is left out (an opening's).
  static func forEachEdgedSetting(
    in piece: UnsafeBufferPointer<UInt8>, fromStart: Bool = true, _ body: (Range<Int>) -> Void
  ) {
    guard let base = piece.baseAddress else { return }
    let n = piece.count
    forEachInlineWord(in: piece, marked: 0x3A, fromStart: fromStart, body) { at in
      // Most colons are a label's, a blank after them: ruled out first.
      guard at + 1 < n, at >= 4, !isLineBlank(piece[at + 1]), NoteMatcher.isLetter(piece[at - 1]) else {
        return nil
      }
      var lo = at - 1
      while lo > 0 && NoteMatcher.isLetter(piece[lo - 1]) { lo -= 1 }
      var hi = at + 1
      while hi < n && !isLineBlank(piece[hi]) { hi += 1 }
      // The edge before the key: marks between blanks (or the piece's start).
      guard lo >= 3, at - lo >= 2, hi + 2 < n, piece[lo - 1] == 0x20, piece[hi] == 0x20 else { return nil }
      let edgeEnd = lo - 1
      var edgeStart = edgeEnd
      while edgeStart > 0 && !isLineBlank(piece[edgeStart - 1]) { edgeStart -= 1 }
      let width = edgeEnd - edgeStart
      guard (1...4).contains(width), hi + 1 + width <= n,
        memcmp(base + edgeStart, base + hi + 1, width) == 0,
        hi + 1 + width == n || isLineBlank(piece[hi + 1 + width])
      else { return nil }
      let range = edgeStart..<(hi + 1 + width)
      // The edge's mark nowhere else on the line: a table's row (`| x || color:red || size:3`)
      // separates its cells with it.
      let mark = piece[edgeStart]
      guard !piece[..<edgeStart].contains(mark), !piece[range.upperBound...].contains(mark) else {
        return nil
      }
      let tokens = [piece[edgeStart..<edgeEnd], piece[lo..<hi], piece[(hi + 1)..<range.upperBound]].map {
        String(decoding: $0, as: UTF8.self)
      }
      return Discovery.isEdgedSetting(tokens.map { Discovery.tokenShape(Substring($0)) }) ? range : nil
    }
  }

  /// Whether `segment` opens with a line comment (`//` and a blank) whose first word marks the
  /// row as made (``syntheticMarkBytes``: `// generated by pipeline v2`, `// synthetic row`):
  /// a note to whoever reads the file, which a pipeline leaves after a line's last sentence or
  /// on a line of its own. A comment of the text's own (`// TODO: handle overflow`, `// the
  /// loop ends here`) is another.
  static func opensMadeComment(_ segment: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < segment.count && isLineBlank(segment[i]) { i += 1 }
    guard i + 4 < segment.count, segment[i] == 0x2F, segment[i + 1] == 0x2F, isLineBlank(segment[i + 2])
    else {
      return false
    }
    i += 3
    while i < segment.count && isLineBlank(segment[i]) { i += 1 }
    var j = i
    while j < segment.count && NoteMatcher.isLetter(segment[j]) { j += 1 }
    guard j > i && (j == segment.count || !NoteMatcher.isLetter(segment[j])),
      markSynthetic(UnsafeBufferPointer(rebasing: segment[i..<j]))
    else { return false }
    // A short note: a tool's header (`// Generated by the protocol buffer compiler.  DO NOT
    // EDIT!`) says more.
    var words = 0
    var inWord = false
    for b in segment[i...] {
      let blank = isLineBlank(b)
      if !blank && !inWord { words += 1 }
      inWord = !blank
    }
    return words <= madeCommentWords
  }

  /// The most words a comment marking the row as made holds after its `//`
  /// (``opensMadeComment(_:)``).
  static let madeCommentWords = 6

  /// Calls `body` with the range of each stamp of the generator's labels and their numbers
  /// inside a line (`… the claim — remix 12 recites …`, `… the sum Seed 4, variant 3. is
  /// odd …`): a label and its number after a dash between blanks (`—` or `–`), or two labels
  /// with their numbers joined by a comma wherever they stand (``labelNumberRunEnd(_:from:)``),
  /// at most eight a line. A label and a number in the flow of a sentence (`seed 3 teams`,
  /// `variant 2 of the listing`) is prose. A dash opening the piece is left out when
  /// `wholeLine` (the line is counted whole: `— remix 12` on a line of its own).
  static func forEachLabelNumberStamp(
    in piece: UnsafeBufferPointer<UInt8>, wholeLine: Bool, _ body: (Range<Int>) -> Void
  ) {
    let n = piece.count
    // After a dash: `—` or `–` (E2 80 94, E2 80 93) and a blank; one opening the piece only
    // when the line is not counted whole.
    let found = forEachInlineWord(in: piece, marked: 0xE2, fromStart: !wholeLine, body) { at in
      guard at + 4 < n, piece[at + 1] == 0x80, piece[at + 2] == 0x94 || piece[at + 2] == 0x93,
        isLineBlank(piece[at + 3]), let end = labelNumberRunEnd(piece, from: at + 4, pairs: 1)
      else { return nil }
      // With its dash: `— remix 4` is counted as on a line of its own, and a short stamp
      // is not too short to count (``addLine``'s eight bytes).
      return at..<end
    }
    // Two labels and their numbers: `Seed 4, variant 3`, found at the comma after the first.
    forEachInlineWord(in: piece, marked: 0x2C, fromStart: true, limit: 8 - found, body) { at in
      guard at >= 3, at + 4 < n, NoteMatcher.isDigit(piece[at - 1]), piece[at + 1] == 0x20,
        NoteMatcher.isLetter(piece[at + 2])
      else { return nil }
      var lo = at - 1
      while lo > 0 && NoteMatcher.isDigit(piece[lo - 1]) { lo -= 1 }
      guard lo >= 3, piece[lo - 1] == 0x20 else { return nil }
      var start = lo - 1
      while start > 0 && NoteMatcher.isLetter(piece[start - 1]) { start -= 1 }
      guard start < lo - 1, let end = labelNumberRunEnd(piece, from: start, pairs: 2) else { return nil }
      return start..<end
    }
  }

  /// Where a run of the generator's labels and their numbers starting at `start` ends: a label
  /// (``Discovery/stampLabels``), a blank and digits, then more such pairs after a comma and a
  /// blank, perhaps a full stop, ending at a blank or the line's end; `nil` when it holds fewer
  /// than `pairs` pairs.
  static func labelNumberRunEnd(_ piece: UnsafeBufferPointer<UInt8>, from start: Int, pairs: Int) -> Int? {
    let n = piece.count
    var i = start
    var count = 0
    var end = start
    var labels: [Range<Int>] = []
    while true {
      var j = i
      while j < n && NoteMatcher.isLetter(piece[j]) { j += 1 }
      guard j > i, j + 1 < n, piece[j] == 0x20, NoteMatcher.isDigit(piece[j + 1]),
        isLabel(UnsafeBufferPointer(rebasing: piece[i..<j]), in: stampLabelBytes)
      else { break }
      // Each label once: the same label numbered again is a list (`batch 1, batch 2 and …`).
      let label = piece[i..<j]
      guard
        !labels.contains(where: { other in
          other.count == label.count && zip(piece[other], label).allSatisfy { $0 | 0x20 == $1 | 0x20 }
        })
      else { break }
      labels.append(i..<j)
      var k = j + 1
      while k < n && NoteMatcher.isDigit(piece[k]) { k += 1 }
      count += 1
      end = k
      guard k + 2 < n, piece[k] == 0x2C, piece[k + 1] == 0x20 else { break }
      i = k + 2
    }
    guard count >= pairs else { return nil }
    if end < n && piece[end] == UInt8(ascii: ".") { end += 1 }
    return end == n || isLineBlank(piece[end]) || piece[end] == 0x2C || piece[end] == 0x3B ? end : nil
  }

  /// Whether a setting's value marks the row as made (`synthetic`, `generated`, `gen`,
  /// `paraphrase`: `SRC=synthetic`, `origin=generated`).
  static func markSynthetic(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
    isLabel(value, in: syntheticMarkBytes)
  }

  /// Keys of where a row came from, whose value may mark it as made (`SRC=synthetic`,
  /// `origin=generated`); a configuration's keys (`data=synthetic`) are others.
  static let provenanceKeyBytes: [[UInt8]] = ["src", "source", "origin", "provenance"].map { Array($0.utf8) }

  /// Values of a setting that mark a row as made (``markSynthetic(_:)``), lower-case bytes.
  static let syntheticMarkBytes: [[UInt8]] = Discovery.syntheticMarks.sorted().map { Array($0.utf8) }

  /// Keys of a row's id, whose value in a sentence is a pipeline's when it is a hex id
  /// (`uid=3fa1b2c4`, ``Discovery/hexIdentifierCore(_:)``), lower-case bytes.
  static let rowIDKeyBytes: [[UInt8]] = ["uid", "id", "guid", "uuid", "rowid", "row", "sample"].map {
    Array($0.utf8)
  }

  /// ``Discovery/labelWords`` as lower-case bytes, for ``forEachInlineSetting(in:fromStart:_:)``.
  static let labelWordBytes: [[UInt8]] = Discovery.labelWords.sorted().map { Array($0.utf8) }

  /// Whether the ASCII letters `word` are one of the lower-case `labels`, in any case.
  static func isLabel(_ word: UnsafeBufferPointer<UInt8>, in labels: [[UInt8]]) -> Bool {
    labels.contains { label in label.count == word.count && zip(label, word).allSatisfy { $0 == $1 | 0x20 } }
  }

  /// Calls `body` with the range of each bracketed fragment of a line that is not the whole
  /// line: `(…)`, `[…]`, `{…}`, `<!-- … -->` or a generator's tag (`<gen id=12>`,
  /// ``opensGeneratorTag(_:at:)``) on one line, at most 60 bytes, holding a word of
  /// two letters or more (`(seed=41)`, `[end of sample 3886]`, not `[1]` or `(n)`), at most
  /// eight a line. A bracket right after a letter, a digit, `_` or a close is code or a link's
  /// address (`rng(seed=42)`, `a[i]`, `](https://…)`) and a link's text (`[the docs](…)`) is
  /// prose: neither is a fragment. A pipeline's inline notes recur so where the text around them does not;
  /// they are counted as lines are.
  static func forEachFragment(in piece: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
    guard let base = piece.baseAddress else { return }
    let raw = UnsafeRawPointer(base)
    let n = piece.count
    var i = 0
    var found = 0
    while i < n && found < 8 {
      // Eight bytes at a time to the next `(`, `[`, `{` or `<`.
      if i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let opens =
          SWAR.equalMask(v, 0x28) | SWAR.equalMask(v, 0x5B) | SWAR.equalMask(v, 0x7B)
          | SWAR.equalMask(v, 0x3C)
        if opens == 0 {
          i += 8
          continue
        }
        i += opens.trailingZeroBitCount >> 3
      }
      let open = piece[i]
      let comment =
        open == 0x3C && i + 4 <= n && piece[i + 1] == 0x21 && piece[i + 2] == 0x2D && piece[i + 3] == 0x2D
      // A template's double angle brackets (`<<seed 12>>`), opening on a letter: `a << b` and
      // `<<EOF` have no close.
      let angles = open == 0x3C && i + 3 <= n && piece[i + 1] == 0x3C && NoteMatcher.isLetter(piece[i + 2])
      // A tag of one of the generator's words in angle brackets (`<gen id=12>`, `<synthetic>`);
      // markup's tags (`<b>`, `<div class=…>`) are other words.
      let generatorTag = open == 0x3C && !comment && !angles && Self.opensGeneratorTag(piece, at: i + 1)
      let close: UInt8? =
        switch open {
        case 0x28: 0x29
        case 0x5B: 0x5D
        case 0x7B: 0x7D
        default: comment || angles || generatorTag ? 0x3E : nil
        }
      // A bracket right after a word or a close is code or a link's address (`rng(seed=42)`,
      // `User(id=5)`, `a[i]`, `[docs](https://…)`), not a note in the text.
      guard let close, comment || i == 0 || !Self.isAttached(piece[i - 1]) else {
        i += 1
        continue
      }
      var j = i + (comment ? 4 : angles ? 2 : 1)
      var run = 0
      var word = false
      while j < n && j - i < 60 && piece[j] != 0x0A && piece[j] != open {
        if piece[j] == close {
          if angles {
            if j + 1 < n && piece[j + 1] == 0x3E {
              j += 1
              break
            }
          } else if !comment || piece[j - 1] == 0x2D && piece[j - 2] == 0x2D {
            break
          }
        }
        run = NoteMatcher.isLetter(piece[j]) ? run + 1 : 0
        if run >= 2 { word = true }
        j += 1
      }
      guard j < n && j - i < 60 && piece[j] == close else {
        i += 1
        continue
      }
      let fragment = i..<(j + 1)
      let wholeLine = piece[..<i].allSatisfy(isLineBlank) && piece[(j + 1)...].allSatisfy(isLineBlank)
      // A link's text (`[the docs](https://…)`) is prose.
      let linkText = open == 0x5B && j + 1 < n && piece[j + 1] == 0x28
      if word && !wholeLine && !linkText {
        body(fragment)
        found += 1
      }
      i = j + 1
    }
  }

  /// Whether the letters at `start` of `piece` are one of the generator's words
  /// (``Discovery/generatorWords``) ended by a blank, `=`, `:` or `>`: the name of a tag
  /// ``forEachFragment(in:_:)`` counts in angle brackets.
  static func opensGeneratorTag(_ piece: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
    var end = start
    while end < piece.count && NoteMatcher.isLetter(piece[end]) { end += 1 }
    guard end - start >= 3, end < piece.count,
      isLineBlank(piece[end]) || piece[end] == 0x3E || piece[end] == 0x3D || piece[end] == 0x3A
    else { return false }
    return isLabel(UnsafeBufferPointer(rebasing: piece[start..<end]), in: generatorWordBytes)
  }

  /// ``Discovery/generatorWords`` as lower-case bytes.
  static let generatorWordBytes: [[UInt8]] = Discovery.generatorWords.sorted().map { Array($0.utf8) }

  /// Whether a byte before a bracket attaches the bracket to it: a letter, a digit, `_`, or a
  /// close (`f(x)`, `a_b[i]`, `](url)`).
  /// A blank a line's ends are trimmed of: a space, a tab or a carriage return.
  @inline(__always) static func isLineBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

  @inline(__always) static func isAttached(_ b: UInt8) -> Bool {
    NoteMatcher.isLetter(b) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x29 || b == 0x5D
  }

  /// Whether a line opens or closes a fenced code block: ``` or ~~~ after blanks.
  static func isFence(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
    guard i + 3 <= line.count else { return false }
    let b = line[i]
    return (b == UInt8(ascii: "`") || b == UInt8(ascii: "~")) && line[i + 1] == b && line[i + 2] == b
  }

  /// Counts one line or fragment; a plain ASCII one goes to `tally` when there is one (the
  /// byte path: no `String` until the tally is flushed).
  private mutating func addLine(
    _ piece: UnsafeBufferPointer<UInt8>, line: Int, seen: inout [String],
    tally: UnsafeMutablePointer<OpeningTally>?, heldByPrompt: (UnsafeBufferPointer<UInt8>) -> Bool
  ) {
    guard piece.count >= 8 && piece.count <= 100 else { return }
    guard let lo = piece.firstIndex(where: { !Self.isLineBlank($0) }),
      let hi = piece.lastIndex(where: { !Self.isLineBlank($0) })
    else { return }
    let bytes = UnsafeBufferPointer(rebasing: piece[lo...hi])
    guard bytes.count >= 8 else { return }
    // A line or fragment quoted word for word from the row's prompt (a log's `[shard 3/8]
    // loaded …` that the reasoning reads out) is the prompt's text, not the pipeline's stamp,
    // unless it holds one of the generator's own words: a stamp the pipeline wrote into the
    // prompt and the reasoning alike (`[variant 3] You are …`) is still its stamp.
    if heldByPrompt(bytes) && !Discovery.holdsGeneratorWord(bytes) && !Discovery.opensInstruction(bytes) {
      return
    }
    let shape: String
    if ByteSearch.isASCII(bytes) && !bytes.contains(0x0D) {
      // Plain ASCII (the common case): the shape is made on bytes, as `Discovery.lineShape`
      // makes it (tokens split at spaces, each shaped, joined by one space), with one
      // buffer and one `String`; the line's text only for a new shape's example.
      guard bytes.count <= 80 else { return }
      if let tally {
        tally.pointee.addLine(ascii: bytes, line: line)
        return
      }
      var out: [UInt8] = []
      out.reserveCapacity(bytes.count + 8)
      Discovery.appendASCIILineShape(bytes, to: &out)
      shape = String(decoding: out, as: UTF8.self)
    } else {
      let trimmed = String(decoding: bytes, as: UTF8.self)
      guard (8...80).contains(trimmed.count) else { return }
      shape = Discovery.lineShape(trimmed)
    }
    guard !seen.contains(shape) else { return }
    seen.append(shape)
    let count = Self.incremented(&lines[shape, default: 0])
    // `note` for a line (no variant): the first five lines and the first text. The example
    // holds a line for each of the first five rows counted, so a shape past five is not read
    // (but for the numbers of a numbered bracket).
    if count <= 5 {
      if var e = lineExamples[shape] {
        if e.lines.count < 5 {
          e.lines.append(line)
          lineExamples[shape] = e
        }
      } else {
        lineExamples[shape] = Example(lines: [line], text: String(decoding: bytes, as: UTF8.self))
      }
    }
    if shape.utf8.first.map({ "([{<".utf8.contains($0) }) == true || shape.contains("=#"),
      Discovery.sketchesNumbers(shape),
      lineExamples[shape] != nil
    {
      NumberSketch.add(digits: Discovery.settingDigits(of: bytes), to: &lineExamples[shape]!.numbers)
    }
  }

  /// Adds one to `value` and returns it (one lookup of a dictionary's entry, through its
  /// `default:` subscript).
  @inline(__always) static func incremented(_ value: inout Int) -> Int {
    value += 1
    return value
  }

  /// Drops the rarest opening and line shapes when a table holds more than `capacity`.
  mutating func prune(capacity: Int) {
    func prune(_ counts: inout [String: Int], _ examples: inout [String: Example]) {
      guard counts.count > capacity else { return }
      pruned = true
      BoundedTally.prune(&counts, capacity: capacity)
      examples = examples.filter { counts[$0.key] != nil }
    }
    prune(&openings, &openingExamples)
    prune(&lines, &lineExamples)
  }

  static func note(
    _ examples: inout [String: Example], _ shape: String, _ line: Int, _ text: String, variant: String? = nil
  ) {
    let isCodeFamily = shape == "X# …"
    if var e = examples[shape] {
      var changed = false
      if e.lines.count < 5 {
        e.lines.append(line)
        changed = true
      }
      if let variant, var variants = e.variants, variants.count < 2 || variant < variants[1] {
        let before = variants
        Example.keep(variant, in: &variants)
        if variants != before {
          e.variants = variants
          changed = true
        }
      }
      if let variant, isCodeFamily, e.codes != nil {
        Example.add(variant, 1, to: &e.codes)
        changed = true
      }
      if changed { examples[shape] = e }
    } else {
      examples[shape] = Example(
        lines: [line], text: text, variants: variant.map { [$0] },
        codes: isCodeFamily ? variant.map { [$0: 1] } : nil)
    }
  }

  /// Adds another shard's counts (line numbers are global, so examples merge in order).
  public mutating func merge(_ other: DiscoveryStats) {
    for (k, v) in other.openings { openings[k, default: 0] += v }
    for (k, v) in other.lines { lines[k, default: 0] += v }
    for (k, e) in other.openingExamples { Self.mergeExample(&openingExamples, k, e) }
    for (k, e) in other.lineExamples { Self.mergeExample(&lineExamples, k, e) }
    pruned = pruned || other.pruned
  }

  /// Adds a byte-keyed tally's shape (its name's bytes, its rows and its example) to a table
  /// of counts and examples, as ``merge(_:)`` adds another shard's.
  static func fold(
    _ name: ArraySlice<UInt8>, _ count: Int, into counts: inout [String: Int],
    _ examples: inout [String: Example],
    _ example: Example
  ) {
    let key = String(decoding: name, as: UTF8.self)
    counts[key, default: 0] += count
    mergeExample(&examples, key, example)
  }

  static func mergeExample(_ examples: inout [String: Example], _ k: String, _ e: Example) {
    if var mine = examples[k] {
      // The text comes from the earlier first line (compared before the lines merge).
      var changed = false
      if let first = e.lines.first, let mineFirst = mine.lines.first, first < mineFirst {
        mine.text = e.text
        changed = true
      }
      // Shards come in line order: usually the first five lines are already the merged ones.
      if let first = e.lines.first, mine.lines.count < 5 || first < mine.lines[mine.lines.count - 1] {
        mine.lines = Array((mine.lines + e.lines).sorted().prefix(5))
        changed = true
      }
      if let theirs = e.variants {
        var variants = mine.variants ?? []
        let before = variants
        for v in theirs where variants.count < 2 || v < variants[1] { Example.keep(v, in: &variants) }
        if variants != before || mine.variants == nil {
          mine.variants = variants
          changed = true
        }
      }
      if let theirs = e.numbers {
        var numbers = mine.numbers ?? []
        NumberSketch.merge(&numbers, theirs)
        if numbers != mine.numbers {
          mine.numbers = numbers
          changed = true
        }
      }
      if mine.codes != nil {
        if let theirs = e.codes {
          for (code, n) in theirs { Example.add(code, n, to: &mine.codes) }
        } else {
          mine.codes = nil
        }
        changed = true
      }
      if changed { examples[k] = mine }
    } else {
      examples[k] = e
    }
  }
}

/// Ranks discovery statistics into candidates.
public enum Discovery {
  /// Words that number the parts of natural reasoning or of the domain text it works on.
  static let numberedSectionWords: Set<String> = Set<String>([
    "step", "part", "case", "section", "problem", "question", "claim", "claims", "example", "item", "point",
    "option", "stage", "phase", "rule", "lemma", "theorem", "equation", "figure", "table", "chapter",
    "round", "attempt", "method", "approach", "solution", "answer", "page", "line", "row", "day", "week",
    "article", "exercise", "task", "exhibit", "paragraph", "clause", "annex", "appendix", "footnote", "verse",
    "lesson", "unit", "level", "puzzle", "test", "game", "move", "turn", "slide", "scene", "episode",
    // The abbreviations patent, legal, mathematical and scientific text cites them by.
    "fig", "figs", "figures", "eq", "eqs", "equations", "thm", "prop", "proposition", "corollary",
    "definition",
    "remark", "sec", "sections", "ch", "para", "paragraphs", "col", "cols", "ex", "tab", "tables", "art",
  ]).union(foreignSectionWords)

  /// The words other languages number a text's parts and reasoning's steps with (`Schritt 1:`,
  /// `Étape 2 :`, `Paso 3:`, `Шаг 1:`), as ``numberedSectionWords`` holds English's: without
  /// them, multilingual reasoning laid out in numbered steps opened a confident family and
  /// `--repair` cut `Schritt 1: ` from every row. Words that are also an English generator's
  /// label or an everyday English word (`tag`, `fall`) are left out.
  static let foreignSectionWords: Set<String> = [
    // German
    "schritt", "teil", "abschnitt", "aufgabe", "frage", "beispiel", "punkt", "lösung", "antwort", "kapitel",
    "seite", "zeile", "tabelle", "abbildung", "gleichung", "satz", "übung", "stufe", "runde", "fallbeispiel",
    // French
    "étape", "partie", "cas", "exemple", "réponse", "chapitre", "ligne", "tableau", "équation", "théorème",
    "lemme", "exercice", "problème", "tâche", "jour",
    // Spanish, Portuguese, Italian
    "paso", "parte", "caso", "sección", "pregunta", "ejemplo", "punto", "opción", "fase", "solución",
    "respuesta", "capítulo", "página", "línea", "tabla", "ecuación", "teorema", "lema", "ejercicio",
    "problema", "tarea", "día", "artículo", "passo", "etapa", "seção", "secção", "questão", "exemplo",
    "ponto",
    "opção", "solução", "resposta", "linha", "tabela", "equação", "exercício", "tarefa", "dia", "artigo",
    "sezione", "domanda", "esempio", "opzione", "soluzione", "risposta", "capitolo", "pagina", "riga",
    "tabella", "equazione", "esercizio", "compito", "giorno", "articolo",
    // Dutch
    "stap", "deel", "geval", "sectie", "vraag", "voorbeeld", "optie", "oplossing", "antwoord", "hoofdstuk",
    "tabel", "figuur", "vergelijking", "stelling", "oefening", "probleem", "taak", "dag", "artikel",
    // Russian
    "шаг", "часть", "случай", "раздел", "вопрос", "пример", "пункт", "вариант", "этап", "решение", "ответ",
    "глава", "страница", "строка", "таблица", "рисунок", "уравнение", "теорема", "лемма", "упражнение",
    "задача", "задание", "день", "статья",
  ]

  /// Opening words that natural reasoning starts with.
  static let naturalFirstWords: Set<String> = [
    "okay", "ok", "so", "let", "let's", "alright", "all", "first", "firstly", "hmm", "well", "now", "we", "i",
    "the", "to", "given", "this", "in", "since", "looking", "thinking", "right", "sure", "here", "there",
    "it",
    "a", "an", "my", "our", "for", "if", "when", "what", "how", "why", "start", "starting", "consider",
    "note",
    "based", "from", "user", "question", "wait", "yes", "no", "then", "because", "step", "thus", "therefore",
  ]

  /// First words of an instruction to whoever writes the text (a generator's prompt leaking
  /// into it), not of reasoning.
  static let instructionFirstWords: Set<String> = [
    "remember", "ensure", "avoid", "don't", "never", "always", "sound", "respond", "pretend", "stay", "vary",
    "diversify", "output", "generate", "rephrase", "paraphrase", "mimic", "emulate", "imitate", "act",
  ]

  /// Two-word openings of such instructions.
  static let instructionFirstPairs: Set<String> = ["make sure", "be sure", "do not", "try to", "write in"]

  /// Shapes of an opening: the first-token family when it is code-like (`X# …`), a hash and a
  /// number (`## …`) or a label and a letter (`variant-X …`), a tag's or an identifier's, and
  /// the first three tokens.
  static func openingShapes(_ text: String) -> [String] {
    let all = words(text)
    let tokens = all.prefix(3).map(tokenShape)
    guard let first = tokens.first else { return [] }
    var shapes = [tokens.joined(separator: " ")]
    if isCodeLike(first) && tokens.count > 1 {
      shapes.append((first.hasSuffix(":") ? String(first.dropLast()) : first) + " …")
    } else if tokens.count > 1, let head = headFamilyToken(first) {
      shapes.append(head + " …")
    } else if let k = tagFamilyTokens(tokens), k < all.count {
      // A tag of every token shaped (`~~ swirl ~~`, `tone check ok.`) is a family only when
      // the row's words follow it on the line, as its rule needs.
      shapes.append(tokens[..<k].joined(separator: " ") + " …")
    } else if isIdentifierFamily(tokens) {
      shapes.append(tokens[0] + " …")
    }
    return shapes
  }

  /// Whether a character of a token shape marks a tag's edge (`>>`, `~~`, `·`, `:`, the `)` of
  /// `(draft v#)`), not prose punctuation or a word's own character.
  static func isTagMark(_ c: Character) -> Bool {
    !(c.isLetter || c.isNumber || c == "#" || c == "'" || c == "\"" || ",.;!?(".contains(c))
  }

  /// For token shapes that open with a tag ending in a mark and then words only, as prose
  /// writes them (`km-# >> the`, `~~kitchen mode~~ the`, `remix #: okay, so`), the tag's token
  /// count: the family of openings with that tag,
  /// whatever words follow (`km-# >> …`). The tag holds a number or a token edged by a mark;
  /// code-like first tokens have their own family (`X# …`). A tag that opens with a mark may
  /// also end at a token holding a `#` of the shape, a number or a `#` of the text
  /// (`@persona# the`, `/gen/# the`, `🔧 v# the`; also `- # eggs` and `$# million`, which
  /// rank as numbered text: listed at most). `nil` otherwise.
  static func tagFamilyTokens(_ tokens: [String]) -> Int? {
    guard tokens.count >= 2, !isCodeLike(tokens[0]) else { return nil }
    // A word of a section and its number, then words (`row #. okay,`, `example #: the`): the
    // family of the numbering, whose numbers decide whether it numbers the rows
    // (``NumberSketch``).
    if tokens.count >= 3 && isNumberedSection(tokens) && tokens[1].count == 2
      && tokens[2...].allSatisfy(isProseWordShape)
    {
      return 2
    }
    // A hashtag of one of the generator's words (`#variant-# okay,`), whatever follows it.
    if isGeneratorHashtag(tokens[0]), tokens[1...].allSatisfy(isProseWordShape) { return 1 }
    // A word between two like edges of marks, blanks inside (`~~ swirl ~~`, `** swirl **`):
    // the whole window is the tag (counted only when the row's words follow it).
    if isSpacedEdgedTag(tokens) { return 3 }
    let opensWithMark = tokens[0].first.map(isTagMark) ?? false
    guard
      let s = tokens.indices.dropLast().last(where: {
        (tokens[$0].last.map(isTagMark) ?? false) || (opensWithMark && tokens[$0].contains("#"))
      }),
      tokens[(s + 1)...].allSatisfy(isProseWordShape),
      tokens[...s].contains(where: {
        $0.contains("#") || ($0.first.map(isTagMark) ?? false) || isClosedGeneratorWord($0)
          || isClosedWord($0)
      })
    else { return constantSentenceTokens(tokens) }
    return s + 1
  }

  /// Whether a token shape is one word closed in parentheses or braces, a colon or a comma
  /// perhaps after it (`(draft)`, `(scratch):`, `{draft}`): three letters or more, not a list's
  /// marker (`(a)`, `(iv)`, whose letters are a roman numeral's). A generator stamps its
  /// pass so (``constantStamp(ofShape:)``); `(gen)` is one of its own words
  /// (``isClosedGeneratorWord(_:)``).
  static func isClosedWord(_ token: String) -> Bool {
    let bare = withoutClauseMarks(token)
    guard let open = bare.first, let close = bare.last, bare.count >= 5,
      (open, close) == ("(", ")") || (open, close) == ("{", "}")
    else { return false }
    let word = bare.dropFirst().dropLast()
    return word.allSatisfy { $0.isLetter } && !word.allSatisfy { "ivxlcdm".contains($0) }
  }

  /// Whether a token shape is one mark repeated two to four times (`~~`, `**`, `||`, `::`): an
  /// edge of a tag, not a bracket, an operator of math (`$$`, `==`) or a heading's `#`.
  static func isRepeatedMark(_ token: some StringProtocol) -> Bool {
    guard let c = token.first, (2...4).contains(token.count), token.allSatisfy({ $0 == c }), c.isASCII,
      isTagMark(c)
    else { return false }
    return !"$=<>[]{})".contains(c)
  }

  /// Whether three token shapes are a word between two like edges of marks with blanks inside
  /// (`~~ swirl ~~`, `** swirl **`, `|| v# ||`): Markdown's emphasis and strikethrough are
  /// written without them (`**Note:**`, `~~wrong~~`, which ``isClosedWord(_:)`` and
  /// ``isStruckWord(_:)`` read), so these are a pipeline's tag.
  static func isSpacedEdgedTag(_ tokens: [String]) -> Bool {
    guard tokens.count == 3, tokens[0] == tokens[2], isRepeatedMark(tokens[0]) else { return false }
    let word = tokens[1]
    guard let head = word.first, let tail = word.last, !isTagMark(head), !isTagMark(tail) else {
      return false
    }
    return word.contains { $0.isLetter }
      && word.allSatisfy { $0.isLetter || $0 == "#" || $0 == "-" || $0 == "_" }
  }

  /// Whether a token shape is one word closed by the same one to four marks (`~~swirl~~`,
  /// `||draft||`, `::gen::`), marks that do not emphasise it: Markdown's bold and italics, code
  /// and highlight (`**Note:**`, `_this_`, `` `x` ``, `==key==`) open natural reasoning, and
  /// brackets are ``isClosedWord(_:)``'s.
  static func isStruckWord(_ token: String) -> Bool {
    guard let c = token.first, c.isASCII, isTagMark(c), !"*_`=$<>[]{}()".contains(c) else { return false }
    let edge = token.prefix { $0 == c }
    guard edge.count <= 4, token.count > 2 * edge.count, token.hasSuffix(edge) else { return false }
    let word = token.dropFirst(edge.count).dropLast(edge.count)
    guard let head = word.first, let tail = word.last, !isTagMark(head), !isTagMark(tail) else {
      return false
    }
    return word.contains { $0.isLetter }
      && word.allSatisfy { $0.isLetter || $0 == "#" || $0 == "-" || $0 == "_" }
  }

  /// Words a natural short first sentence opens with, besides ``naturalFirstWords``: an
  /// acknowledgement of the question (`Good question.`, `Got it.`, `Makes sense.`).
  static let acknowledgementWords: Set<String> = [
    "good", "great", "nice", "interesting", "got", "understood", "makes", "that", "that's", "sounds", "fair",
    "fine", "cool", "oh", "ah", "oops", "yeah", "yep", "yup", "uh", "um", "huh", "hm", "hmmm", "whoa", "wow",
    "perfect", "excellent", "indeed", "true", "correct", "exactly", "noted", "tricky", "easy", "simple",
    "thanks", "thank", "ugh", "aha", "ahh", "ooh", "hello", "hi", "hey", "sorry",
  ]

  /// For token shapes that open with a sentence of two or three words (`tone check ok.`,
  /// `tone ok. given`), the sentence's token count: a pipeline's note before the row's own
  /// reasoning, constant on the rows it opens (``constantStamp(ofShape:)``). Not one opening
  /// as reasoning or an acknowledgement does (`Let me think.`, `Good question.`,
  /// ``naturalFirstWords``, ``acknowledgementWords``), nor an instruction to the writer
  /// (``instructionFirstWords``: a repeated line for the user to accept). `nil` otherwise.
  static func constantSentenceTokens(_ tokens: [String]) -> Int? {
    guard tokens.count >= 2, let k = tokens.prefix(3).firstIndex(where: { ".!?".contains($0.last ?? " ") }),
      k >= 1, tokens[...k].allSatisfy(isProseWordShape)
    else { return nil }
    let first = String(withoutEndPunctuation(tokens[0]))
    guard !naturalFirstWords.contains(first), !acknowledgementWords.contains(first),
      !instructionFirstWords.contains(first),
      !instructionFirstPairs.contains(first + " " + withoutEndPunctuation(tokens[1]))
    else { return nil }
    return k + 1
  }

  /// Whether a constant stamp's family (``constantStamp(ofShape:)``) is listed below the share
  /// that makes it confident.
  enum ConstantStamp: Sendable, Hashable {
    /// A family only such a stamp opens: not reported below that share.
    case newFamily
    /// A tag family edged by marks (`~~swirl~~ …`), listed as before below it.
    case listedFamily
    /// A short first sentence (`tone check ok. …`): not reported below that share, and listed
    /// high above it but never confident, as a label's slot is: a domain's own short openers
    /// (`Base case.`, `Quick check.`, `Big picture.`) have its shape, so `clean` takes it only
    /// once it is accepted.
    case sentence
  }

  /// What a tag family's tag is when it is a constant stamp that no word list names, read by
  /// its shape: one word in parentheses or braces (`(draft) …`, ``isClosedWord(_:)``), a word
  /// between spaced like edges (`~~ swirl ~~ …`, ``isSpacedEdgedTag(_:)``), a word closed by
  /// marks that do not emphasise it (`~~swirl~~ …`, ``isStruckWord(_:)``) or a short sentence
  /// (`tone check ok. …`, ``constantSentenceTokens(_:)``). Such a tag is confident when it
  /// opens a tenth of the rows or more (a short sentence is listed high then, never confident:
  /// ``ConstantStamp/sentence``); below that, a family only these shapes open is not
  /// reported (`(sigh) …` in a few rows of a transcript, `Tricky case. …`), and one edged by
  /// marks is listed as any such tag is. `nil` for other shapes.
  static func constantStamp(ofShape shape: String) -> ConstantStamp? {
    guard shape.hasSuffix(" …") else { return nil }
    let tokens = shape.dropLast(2).split(separator: " ").map(String.init)
    switch tokens.count {
    case 1 where isClosedWord(tokens[0]) && !isClosedGeneratorWord(tokens[0]):
      // `{draft} …`, opening with a mark, was a tag family already.
      return tokens[0].first == "(" ? .newFamily : .listedFamily
    case 1 where isStruckWord(tokens[0]): return .listedFamily
    case 3 where isSpacedEdgedTag(tokens): return .newFamily
    default:
      if tokens.count >= 2, constantSentenceTokens(tokens + ["…"]) == tokens.count { return .sentence }
      return nil
    }
  }

  /// Whether a token shape is a hashtag of one of the generator's words alone or joined by `-`
  /// or `_` to a short value (`#variant-#`, `#persona_x`, `#remix`; closing punctuation aside),
  /// not a heading's hashes (`##`), prose's (`#teamwork`) nor a campaign's (`#remix-contest`).
  static func isGeneratorHashtag(_ token: some StringProtocol) -> Bool {
    guard token.hasPrefix("#"), token.dropFirst().first?.isLetter == true else { return false }
    let word = token.dropFirst().prefix { $0.isLetter }
    var rest = token.dropFirst(1 + word.count)
    while let last = rest.last, ".,;:!?)".contains(last) { rest = rest.dropLast() }
    guard rest.isEmpty || ((rest.first == "-" || rest.first == "_") && (2...4).contains(rest.count)) else {
      return false
    }
    return generatorWords.contains(word.lowercased())
  }

  /// Whether token shapes open with a word of ``numberedSectionWords`` and a number after it,
  /// perhaps with a full stop, a colon or a closing parenthesis (`row #.`, `example #:`, `step
  /// #`, `item #)`): a numbering whose numbers ``NumberSketch`` counts.
  static func isNumberedSection(_ tokens: [String]) -> Bool {
    guard tokens.count >= 2, let last = tokens[1].last, tokens[1].first == "#" else { return false }
    let word = tokens[0]
    return numberedSectionWords.contains(word) && word.allSatisfy { $0.isLetter }
      && (tokens[1].count == 1 || (tokens[1].count == 2 && ".:)".contains(last)))
  }

  /// Whether a token shape is a number alone in brackets, perhaps with a colon or a full stop
  /// after it (`[#]`, `(#).`, `[#]:`): how patents number their paragraphs (`[0148] The
  /// controller`), a list its items and a pipeline its rows (`[3886] Okay, so`). Its
  /// numbers decide which (``NumberSketch``), as a section's word's do.
  static func isBracketedNumber(_ token: some StringProtocol) -> Bool {
    let bare = withoutClauseMarks(String(token))
    return bare == "[#]" || bare == "(#)"
  }

  /// Whether a token shape is a time of the clock or a media timestamp, perhaps in brackets
  /// (`[#:#]`, `(#:#:#)`, `[#:#.#]`): how transcripts and subtitles mark their lines.
  static func isClockTime(_ token: some StringProtocol) -> Bool {
    var bare = withoutClauseMarks(String(token))
    if let open = bare.first, let close = bare.last, bracketPairs.contains(where: { $0 == (open, close) }) {
      bare = bare.dropFirst().dropLast()
    }
    if bare.hasSuffix(".#") || bare.hasSuffix(",#") { bare = bare.dropLast(2) }
    return bare == "#:#" || bare == "#:#:#"
  }

  /// Whether token shapes open with a square-bracketed tag of the text's own, as the
  /// `bracket-tag` rule reads one: plain words (`[chorus]`, `[info]`, `[applause]`), a part
  /// and its number (`[verse #]`, `[part #]`) or a quoted value (`[event "club`, PGN's tag
  /// pairs), with no number, `=`, `:` or `#` and none of the generator's words in it.
  static func isTextsOwnSquareTag(_ tokens: [String]) -> Bool {
    guard let first = tokens.first, first.hasPrefix("["), !first.hasPrefix("[[") else { return false }
    var inner: [Substring] = []
    for token in tokens {
      if let close = token.firstIndex(of: "]") {
        inner.append(token[..<close])
        break
      }
      inner.append(Substring(token))
    }
    inner[0] = inner[0].dropFirst()
    if inner.contains(where: { $0.contains("\"") }) { return true }
    let words = inner.map { String($0.filter(\.isLetter)).lowercased() }
    // A part and its number, perhaps with a letter, a repeat or names (`[Verse 2A]`, `[Chorus
    // x2]`, `[Verse 1: Kendrick Lamar]`).
    if inner.count >= 2, songSections.contains(words[0]),
      inner[1] == "#" || inner[1] == "x#" || inner[1] == "#:"
        || (inner[1].count == 2 && inner[1].first == "#" && inner[1].last!.isLetter && inner.count == 2)
    {
      return true
    }
    return !inner.contains(where: { $0.contains(where: { "#=:".contains($0) }) })
      && !words.contains(where: { generatorSettings.contains($0) || everydayGeneratorWords.contains($0) })
  }

  /// Whether token `k` of a shape is the id of a thing the word before it names (`ticket ##:`,
  /// `patient #:`, `participant X#`, `flight X#:`, `issue ## reports`): a support ticket's, a
  /// patient's or a flight's number is what the row is about, however many rows open so, not a
  /// stamp of the pipeline's. Or a code in a formula (`balanced: X# +`, `X# →`): a compound's.
  static func namesAThing(_ tokens: [String], at k: Int) -> Bool {
    guard k > 0 else { return false }
    let before = firstWord(of: tokens[k - 1])
    if entityWords.contains(before) && !tokens[k - 1].hasSuffix(":") { return true }
    // A formula: a compound (letters and digits) before an operator, or after its coefficient
    // (`# X#`); a number after a generator's word is its stamp (`variant # - okay`).
    if generatorWords.contains(before) || everydayGeneratorWords.contains(before) { return false }
    // A noun after an article names what the code is (`the alternative X#`, `a point X#`).
    if k >= 2, determiners.contains(tokens[k - 2]), tokens[k - 1].allSatisfy(\.isLetter) { return true }
    if k + 1 < tokens.count && formulaOperators.contains(tokens[k + 1])
      && tokens[k].contains(where: { $0.isLetter }) && tokens[k].contains("#")
    {
      return true
    }
    return tokens[k].hasPrefix("X#") && tokens[k - 1] == "#"
  }

  /// Whether the second word of an opening's first line starts a domain term
  /// (``DesignatorMatcher/domainTerms``: `KO Q1 FY2025:`, `AAPL Q3 revenue`).
  static func termFollowsFirstWord(_ first: String) -> Bool {
    let words = Discovery.words(String(first.prefix(160)))
    guard words.count >= 2 else { return false }
    // A fiscal period on its own (`Q1`, `H2`, `FY2025:`).
    let period = words[1].uppercased().filter { $0 != ":" && $0 != "," }
    if ["Q1", "Q2", "Q3", "Q4", "H1", "H2"].contains(period)
      || (period.hasPrefix("FY") && (4...6).contains(period.count)
        && period.dropFirst(2).allSatisfy(\.isNumber))
    {
      return true
    }
    return startsWithDomainTerm(words.dropFirst().joined(separator: " "))
  }

  /// The operators a chemical or mathematical formula joins its terms with.
  static let formulaOperators: Set<String> = ["+", "→", "⇌", "=", "->", "<->", "⟶", "-", "×", "⇒", "↔"]

  /// Whether the token shape after a code makes the code a sentence's subject (`is`, `has`,
  /// `was`) or a formula's term (`=`, `+`, `→`), which a generator's label never does.
  static func isSubjectOrTermOfCode(_ token: String) -> Bool {
    codeSubjectVerbs.contains(token) || formulaOperators.contains(token) || isMeasurement(token)
  }

  /// Whether a token shape is a measured value: a decimal number (`#.#`, `#.#,`), or a number
  /// with its unit (`#°c`, `#%`, `#kt`, `#mg`): an analyte's or an instrument's reading
  /// (`X# #.# ng/ml:`, `high #°c, low`), not a stamp's number.
  static func isMeasurement(_ token: String) -> Bool {
    let bare = withoutClauseMarks(token)
    if bare == "#.#" || bare == "-#.#" { return true }
    guard let hash = bare.lastIndex(of: "#"), bare.first == "#" || bare.hasPrefix("-#") else { return false }
    let unit = bare[bare.index(after: hash)...].lowercased()
    return unit.hasPrefix("°") || unit.hasPrefix("%") || measureUnits.contains(unit)
  }

  /// Units written straight after their number (`22kt`, `5mg`, `3.5ghz`).
  static let measureUnits: Set<String> = [
    "kt", "km", "kg", "mg", "ml", "mm", "cm", "g", "s", "ms", "h", "hz", "khz", "mhz", "ghz", "kb", "mb",
    "gb", "tb", "w", "kw", "kwh", "v", "mv", "mph", "kph", "km/h", "px", "pt", "mmhg", "bpm", "nm", "µm",
  ]

  /// Verbs a sentence about a code goes on with (`Q16 is a good move`).
  static let codeSubjectVerbs: Set<String> = [
    "is", "was", "are", "were", "has", "had", "looks", "seems", "remains", "becomes", "stays", "means",
  ]

  /// Articles and determiners before a noun that names a code (`the alternative X#`).
  static let determiners: Set<String> = [
    "the", "a", "an", "this", "that", "its", "their", "his", "her", "our",
  ]

  /// Whether the first line of an opening restates a code of the row's prompt: one of its first
  /// four tokens is a code (ASCII letters and digits, both, and inner hyphens, at most eight:
  /// `Q16`, `**G6**`, `A10,`, `CA-125`) that `echoes` finds as a whole word in the row's text outside the reasoning. A
  /// game's coordinates (`The alternative Q4 would be slower.` for a prompt's `Q4`), a lab's
  /// analyte, a road the prompt named: the domain's, however many rows open so. A generator's
  /// stamp (`A4 spice combinator:`) is not in the prompt it answers.
  static func restatesCode(
    _ first: UnsafeBufferPointer<UInt8>, echoes: (UnsafeBufferPointer<UInt8>) -> Bool
  ) -> Bool {
    var i = 0
    var tokens = 0
    while i < first.count && tokens < 4 {
      while i < first.count && (first[i] == 0x20 || first[i] == 0x09) { i += 1 }
      guard i < first.count else { break }
      var end = i
      while end < first.count && first[end] != 0x20 && first[end] != 0x09 { end += 1 }
      tokens += 1
      var lo = i
      var hi = end
      while lo < hi && !NoteMatcher.isLetterOrDigit(first[lo]) { lo += 1 }
      while hi > lo && !NoteMatcher.isLetterOrDigit(first[hi - 1]) { hi -= 1 }
      let core = UnsafeBufferPointer(rebasing: first[lo..<hi])
      if (2...8).contains(core.count), core.allSatisfy({ NoteMatcher.isLetterOrDigit($0) || $0 == 0x2D }),
        core.contains(where: NoteMatcher.isDigit),
        core.contains(where: NoteMatcher.isLetter), echoes(core)
      {
        return true
      }
      i = end
    }
    return false
  }

  /// Whether an opening's token shape is a word that a quantity follows in a sentence's flow: a
  /// preposition (`from`, `by`, `to`) or a verb's `-ing` form of five letters or more
  /// (`subtracting`, `multiplying`, `using`), never a stamp's label (`remix`, `sample`), which
  /// a generator numbers.
  static func takesAQuantity(_ token: String) -> Bool {
    guard token.allSatisfy({ $0.isLetter }) else { return false }
    let word = token.lowercased()
    if quantityPrepositions.contains(word) { return true }
    return word.count >= 5 && word.hasSuffix("ing") && !generatorWords.contains(word)
      && !everydayGeneratorWords.contains(word)
  }

  /// Prepositions a quantity follows (`by #`, `from #`, `to #`).
  static let quantityPrepositions: Set<String> = [
    "by", "from", "to", "of", "at", "with", "than", "into", "over", "under", "about", "around", "between",
    "after", "before", "for", "per", "times", "plus", "minus",
  ]

  /// The things a domain numbers or codes, whose id follows their word (``namesAThing(_:at:)``).
  static let entityWords: Set<String> = [
    "ticket", "tickets", "issue", "issues", "bug", "pr", "order", "invoice", "account", "customer", "client",
    "user", "patient", "participant", "subject", "respondent", "specimen", "flight", "gate", "room", "seat",
    "bed", "ward", "apartment", "suite", "lot", "parcel", "package", "shipment", "commit", "build", "release",
    "version", "job", "incident", "request", "policy", "member", "employee", "student", "player", "route",
    "bus", "train", "platform", "track", "highway", "interstate", "exit", "serial", "sku", "store", "branch",
    "site", "building", "floor", "lane", "aisle", "shelf", "container", "vessel", "tank", "pump", "sensor",
    "machine", "device", "node", "server", "host", "cluster", "region", "zone", "district", "precinct",
  ]

  /// Whether a token shape is a place in a file (`src/lib.rs:#:`, `main.py:#`, `app.ts:#:#`),
  /// as compilers and linters report one.
  static func isFileLocation(_ token: String) -> Bool {
    var t = Substring(token)
    if t.hasSuffix(":") { t = t.dropLast() }
    guard let colon = t.firstIndex(of: ":") else { return false }
    let rest = t[t.index(after: colon)...]
    guard rest == "#" || rest == "#:#" else { return false }
    let file = t[..<colon]
    guard let dot = file.lastIndex(of: "."), file.index(after: dot) < file.endIndex else { return false }
    return file[file.index(after: dot)...].allSatisfy { $0.isLetter } && file[..<dot].contains { $0.isLetter }
  }

  /// Whether a token shape is a release's version (`v#.#.#`, `v#.#:`, `#.#.#`): numbers joined by
  /// dots, perhaps after a `v`. A `v` and one number (`v#`, `(draft v#)`) stays a stamp's.
  static func isVersion(_ token: String) -> Bool {
    var t = withoutClauseMarks(token)
    while let first = t.first, "([".contains(first) { t = t.dropFirst() }
    while let last = t.last, ")]".contains(last) { t = t.dropLast() }
    if t.first == "v" || t.first == "V" { t = t.dropFirst() }
    return t.hasPrefix("#.#") && t.allSatisfy { $0 == "#" || $0 == "." }
  }

  /// Whether a token shape is a chess move in algebraic notation (`bxf#`, `nd#`, `h#`,
  /// `qxe#+`, `o-o`), digits as `#`.
  static func isChessMove(_ token: String) -> Bool {
    var t = Substring(token)
    while let last = t.last, "+!?,.;".contains(last) { t = t.dropLast() }
    if t == "o-o" || t == "o-o-o" { return true }
    if t.hasSuffix("=q") || t.hasSuffix("=n") || t.hasSuffix("=r") || t.hasSuffix("=b") { t = t.dropLast(2) }
    guard t.hasSuffix("#"), t.count >= 2 else { return false }
    var body = t.dropLast()
    guard let file = body.last, ("a"..."h").contains(file) else { return false }
    body = body.dropLast()
    if body.last == "x" { body = body.dropLast() }
    if let from = body.last, ("a"..."h").contains(from) || from == "#" { body = body.dropLast() }
    return body.isEmpty || (body.count == 1 && "kqrbn".contains(body.first!))
  }

  /// The generator's labels that a number follows in its stamps (`Persona: 4821`, `variant
  /// #3`, `gen 12`): ``generatorWords`` without its verbs.
  static let labelWords: Set<String> = Set(BuiltinDetectors.scaffoldLabels).union(["gen", "dup", "synthetic"])

  /// The labels a stamp writes with its number and no colon (`remix 12`, `Seed 44, variant
  /// 3.`): ``labelWords`` and ``BuiltinDetectors/numberedScaffoldLabels``.
  static let stampLabels: Set<String> = labelWords.union(BuiltinDetectors.numberedScaffoldLabels)

  /// The parts of a song that lyrics open in square brackets (`[Chorus]`, `[Verse 2]`).
  /// With the parts of a text a tag numbers as its own (`[Part 2]`, `[Scene 4]`); a row's,
  /// an example's or a question's number in brackets (`[Row 3886]`) is a pipeline's.
  static let songSections: Set<String> = [
    "verse", "chorus", "bridge", "intro", "outro", "hook", "refrain", "part", "act", "scene", "chapter",
    "episode",
  ]

  /// Whether an opening's token shapes open with a numbering whose numbers ``NumberSketch``
  /// counts: a section's word and its number (``isNumberedSection(_:)``) or a bracketed
  /// number (``isBracketedNumber(_:)``).
  static func opensWithNumbering(_ tokens: [String]) -> Bool {
    isNumberedSection(tokens) || (tokens.count >= 2 && isBracketedNumber(tokens[0]))
  }

  /// Whether the number of a numbered opening shape (``isNumberedSection(_:)``) is marked off
  /// as a label's: a full stop, a colon or a closing parenthesis after it (`row #.`), or a
  /// token of marks only next (`item # -`, `case # >>`).
  static func numberIsMarkedOff(_ shape: String) -> Bool {
    let tokens = shape.split(separator: " ")
    guard tokens.count >= 2 else { return false }
    if isBracketedNumber(tokens[0]) || tokens[1].count == 2 { return true }
    return tokens.count > 2 && tokens[2] != "…" && tokens[2].allSatisfy(isTagMark)
  }

  /// The family shape of a numbered opening shape's numbering: its first two tokens (`row #.
  /// we` → `row #. …`).
  static func numberingFamily(of shape: String) -> String {
    let tokens = shape.split(separator: " ")
    // A bracketed number's family is named without its colon (`[#]: okay,` → `[#] …`), as
    // the code family's.
    if let first = tokens.first, isBracketedNumber(first) {
      return (first.hasSuffix(":") ? String(first.dropLast()) : String(first)) + " …"
    }
    return tokens.prefix(2).joined(separator: " ") + " …"
  }

  /// Whether a token shape is a word: letters and apostrophes only.
  static func isWordShape(_ token: some StringProtocol) -> Bool {
    !token.isEmpty && token.allSatisfy { $0.isLetter || $0 == "'" }
  }

  /// An opening shape split after its last token that ends in a separator (`>>`, `km-#:`,
  /// `[tag]`, `mode~~`, ``isTagMark(_:)``), holds a number or code (`X#`, `##`) or is a label
  /// and a letter (`variant-X`, ``isLabelLetterShape(_:)``) when only
  /// prose words follow it (`KM-# >> the`, `X# okay, so`): the words are the row's text, not
  /// part of the tag. `nil` when no such split exists.
  static func tagAndWords(ofShape shape: String) -> (tag: String, words: String)? {
    let tokens = shape.split(separator: " ")
    func endsTag(_ t: Substring) -> Bool {
      t.contains("#") || (t.last.map(isTagMark) ?? false) || isLabelLetterShape(t)
    }
    guard let s = tokens.lastIndex(where: endsTag), s < tokens.count - 1,
      tokens[(s + 1)...].allSatisfy(isProseWordShape)
    else { return nil }
    return (tokens[...s].joined(separator: " "), tokens[(s + 1)...].joined(separator: " "))
  }

  /// Whether a token shape is a word as prose writes it: letters and apostrophes, then at most
  /// one `,`, `.`, `;`, `!` or `?` (`okay,`).
  static func isProseWordShape(_ token: some StringProtocol) -> Bool {
    isWordShape(withoutEndPunctuation(token))
  }

  /// A token shape without the one `,`, `.`, `;`, `!` or `?` that may end it.
  static func withoutEndPunctuation(_ token: some StringProtocol) -> Substring {
    let word = Substring(token)
    guard let last = word.last, ",.;!?".contains(last) else { return word }
    return word.dropLast()
  }

  /// For token shapes that open with an identifier holding a number (`remix_#`, `gen-#`,
  /// `v#`: a letter first, then letters, `_`, `-` and a `#`; codes have their own family) and
  /// go on with a word, whether the identifier's family (`remix_# …`) is counted.
  static func isIdentifierFamily(_ tokens: [String]) -> Bool {
    guard tokens.count >= 2, let head = tokens[0].first, head.isLetter, !isCodeLike(tokens[0]),
      tokens[0].contains("#"),
      tokens[0].allSatisfy({ $0.isLetter || $0 == "#" || $0 == "_" || $0 == "-" })
    else { return false }
    // Reasoning goes on after it (`REMIX_3 okay, so`), not a sentence about it (`BRCA1
    // mutations`, `IL-6 levels`, `GPT-4 is`).
    return opensSentence(tokens[1])
  }

  /// Whether a token shape is one of ``sentenceOpeners`` (a `,`, `.`, `;`, `!` or `?` after it
  /// allowed).
  static func opensSentence(_ token: some StringProtocol) -> Bool {
    sentenceOpenerSet.contains(String(withoutEndPunctuation(token)))
  }

  private static let sentenceOpenerSet = Set(sentenceOpeners)

  /// Words a sentence of reasoning starts with that no generator label does:
  /// ``naturalFirstWords`` without the label-like `note`, `user`, `question` and `step`.
  static let sentenceOpeners: [String] = naturalFirstWords.subtracting(["note", "user", "question", "step"])
    .sorted { ($0.count, $0) > ($1.count, $1) }

  /// ``sentenceOpeners`` as a regex, any case, ending at a word boundary.
  static let sentenceOpenersPattern =
    "(?i:" + sentenceOpeners.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
    + #")\b"#

  /// What the family rule takes after a code (`X# …`): the tail the built-in designator rule
  /// needs (``DesignatorMatcher/pattern``: up to five words, then `:`, `|`, a dash or ` - `,
  /// a no-break space counting as a blank and a fullwidth colon `：` as a colon, as there, so
  /// the family counts no opening its rule misses) whose first word is not a
  /// ``sentenceOpeners`` word (`E5 we compute the ratio: 3` is a code on a sentence, not a
  /// label), or else the blanks before the start of a sentence (a capital letter and a
  /// lower-case one or an apostrophe, or an opener: `E1 Okay, so …`, `E7 we compute …`), so a
  /// bare code is a family's too and `--repair` cuts the code alone.
  static let familyRuleTail =
    #"(?:(?:[ \t\u00A0]+(?!"# + sentenceOpenersPattern
    + #")[\w'-]+(?:[ \t\u00A0]+[\w'-]+){0,4})?[ \t\u00A0]*(?::|\uFF1A|\||–|—| - )[ \t\u00A0]*"#
    + #"|[ \t]+(?="# + sentenceStartPattern + "))"

  /// The start of a sentence after a bare code: ``startsSentence(_:at:)`` as a regex.
  static let sentenceStartPattern = "[A-Z][a-z']|" + sentenceOpenersPattern

  /// Whether the ASCII `w` at `i` starts a sentence (``sentenceStartPattern``).
  static func startsSentence(_ w: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
    guard i < w.count else { return false }
    if w[i] >= 0x41 && w[i] <= 0x5A && i + 1 < w.count
      && (w[i + 1] >= 0x61 && w[i + 1] <= 0x7A || w[i + 1] == 0x27)
    {
      return true
    }
    return startsWithOpener(w, at: i)
  }

  /// Whether the ASCII `w` at `i` starts with one of ``sentenceOpeners`` (any case) that ends
  /// at a word boundary (``sentenceOpenersPattern``).
  static func startsWithOpener(_ w: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
    NoteMatcher.startsWithWord(w, at: i, oneOf: sentenceOpenerBytes)
  }

  private static let sentenceOpenerBytes = sentenceOpeners.map { Array($0.utf8) }

  /// Whether the ASCII first line `w` opens with a bare code on a sentence: a code
  /// (`[A-Z]{1,3}[0-9]{1,4}[a-z]?`), blanks, and ``startsSentence(_:at:)`` (`E1 Okay, so`).
  static func opensWithBareCode(_ w: UnsafeBufferPointer<UInt8>) -> Bool {
    codeAndBlanksEnd(w, maxDigits: 4).map { startsSentence(w, at: $0) } ?? false
  }

  /// Where the blanks after a code at the start of the ASCII `w` end: `[A-Z]{1,3}`, one to
  /// `maxDigits` digits (as many as there are), `[a-z]?`, then at least one blank; `nil`
  /// otherwise.
  /// A no-break space (U+00A0) counts as a blank when `noBreakSpace` (as the designator rule
  /// reads one).
  static func codeAndBlanksEnd(
    _ w: UnsafeBufferPointer<UInt8>, maxDigits: Int = .max, noBreakSpace: Bool = false
  ) -> Int? {
    var i = 0
    while i < w.count && i < 3 && w[i] >= 0x41 && w[i] <= 0x5A { i += 1 }
    guard i > 0 else { return nil }
    let digitsFrom = i
    while i < w.count && i - digitsFrom < maxDigits && NoteMatcher.isDigit(w[i]) { i += 1 }
    guard i > digitsFrom else { return nil }
    if i < w.count && w[i] >= 0x61 && w[i] <= 0x7A { i += 1 }
    let blanksFrom = i
    while i < w.count {
      if NoteMatcher.isBlank(w[i]) {
        i += 1
      } else if noBreakSpace && i + 1 < w.count && w[i] == 0xC2 && w[i + 1] == 0xA0 {
        i += 2
      } else {
        break
      }
    }
    return i > blanksFrom ? i : nil
  }

  private static let bareCode = try! Pattern(
    #"[A-Z]{1,3}[0-9]{1,4}[a-z]?[ \t]+(?="# + sentenceStartPattern + ")")

  /// The first `words` words of `first` as written (``DiscoveryStats/Example/variants``).
  static func variant(of first: String, words n: Int) -> String {
    let utf8 = first.utf8
    var i = utf8.startIndex
    var end = i
    for _ in 0..<n {
      while i < utf8.endIndex, utf8[i] == 0x20 || utf8[i] == 0x09 { i = utf8.index(after: i) }
      guard i < utf8.endIndex else { break }
      while i < utf8.endIndex, utf8[i] != 0x20 && utf8[i] != 0x09 { i = utf8.index(after: i) }
      end = i
    }
    let start = utf8.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? utf8.endIndex
    return start < end ? String(first[start..<end]) : ""
  }

  /// Words separated by spaces or tabs (split on bytes).
  static func words(_ text: String) -> [Substring] {
    text.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map { Substring($0) }
  }

  static func tokenShape(_ token: Substring) -> String {
    var token = token
    if let ascii = token.withUTF8({ asciiTokenShape($0) }) { return ascii }
    return unicodeTokenShape(String(token))
  }

  /// ``tokenShape(_:)`` for ASCII tokens, on bytes; `nil` for other tokens.
  static func asciiTokenShape(_ token: UnsafeBufferPointer<UInt8>) -> String? {
    guard ByteSearch.isASCII(token) else { return nil }
    var out: [UInt8] = []
    appendASCIITokenShape(token, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Where the hex identifier of a token lies (`7f3a9c21`, `550e8400-e29b-41d4`, `a3f9c21:`):
  /// its core, outer punctuation cut, is hex digits and hyphens, with at least seven hex
  /// digits, a digit and a letter. Its shape is one `#`, whatever its digits and letters, so a
  /// pipeline's row ids group as its row numbers do. A family code (`AB12345`, `CAB1234:`,
  /// ``isCodeCore(_:)``) stays a code, and so does a code joined to a number (`E1-38861`,
  /// ``versionedCodeJoiner(_:)``). `nil` for other tokens.
  static func hexIdentifierCore<C: Collection<UInt8>>(_ token: C) -> Range<C.Index>? {
    func isAlnum(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 || b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }
    guard token.count >= 7, let lo = token.firstIndex(where: isAlnum) else { return nil }
    var hi = lo
    var i = lo
    while i < token.endIndex {
      if isAlnum(token[i]) { hi = token.index(after: i) }
      i = token.index(after: i)
    }
    var hex = 0
    var digit = false
    var letter = false
    i = lo
    while i < hi {
      let b = token[i]
      if b >= 0x30 && b <= 0x39 {
        digit = true
        hex += 1
      } else if b | 0x20 >= 0x61 && b | 0x20 <= 0x66 {
        letter = true
        hex += 1
      } else if b != UInt8(ascii: "-") {
        return nil
      }
      i = token.index(after: i)
    }
    guard hex >= 7, digit, letter else { return nil }
    // A code is read from the core with its digit runs as one `#` each (only hex digits and
    // hyphens are left in it, so no `#` of its own).
    var shaped: [UInt8] = []
    for b in token[lo..<hi] {
      let isDigit = b >= 0x30 && b <= 0x39
      if !(isDigit && shaped.last == UInt8(ascii: "#")) { shaped.append(isDigit ? UInt8(ascii: "#") : b) }
    }
    // A code joined to a number (`E1-38861`, ``versionedCodeJoiner(_:)``) stays one too.
    return isCodeCore(shaped) || versionedCodeJoiner(shaped) != nil ? nil : lo..<hi
  }

  /// Where the id of a word joined to a hex id lies (`gen-5f37ab98:`, `[[gen:7f3a9c21]]`,
  /// `build_3fa9`): two letters or more, a `-`, `_` or `:`, then a hex id to the end of the
  /// token's letters and digits: hex digits and hyphens, four hex digits or more, a digit and a
  /// letter among them. Its shape is the word and the joiner, then one `#`, so a pipeline's ids
  /// after a word group as its numbers after one do (`gen-#:`); an id of digits alone is a
  /// number already. `nil` for other tokens.
  static func wordJoinedHexID<C: Collection<UInt8>>(_ token: C) -> Range<C.Index>? {
    func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }
    func isAlnum(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 || isLetter(b) }
    guard token.count >= 7, var i = token.firstIndex(where: isAlnum) else { return nil }
    var letters = 0
    while i < token.endIndex && isLetter(token[i]) {
      letters += 1
      i = token.index(after: i)
    }
    guard letters >= 2, i < token.endIndex, [0x2D, 0x5F, 0x3A].contains(token[i]) else { return nil }
    let lo = token.index(after: i)
    var hi = lo
    var hex = 0
    var digit = false
    var letter = false
    i = lo
    while i < token.endIndex {
      let b = token[i]
      if b >= 0x30 && b <= 0x39 {
        digit = true
      } else if b | 0x20 >= 0x61 && b | 0x20 <= 0x66 {
        letter = true
      } else if isAlnum(b) {
        return nil
      } else if b != 0x2D {
        break
      }
      i = token.index(after: i)
      if b != 0x2D {
        hex += 1
        hi = i
      }
    }
    // Only punctuation after the id.
    while i < token.endIndex {
      if isAlnum(token[i]) { return nil }
      i = token.index(after: i)
    }
    return hex >= 4 && digit && letter ? lo..<hi : nil
  }

  /// Appends the shape of the ASCII `token` to `out` (``tokenShape(_:)`` on bytes).
  static func appendASCIITokenShape(_ token: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    let hash = UInt8(ascii: "#")
    func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }
    // Most tokens are words: with no digit, `#`, `=` or hyphen, nothing below applies (an id,
    // a code, a version and a label-letter need one of them) and the shape is the token folded.
    var plain = true
    for b in token where b &- 0x30 < 10 || b == 0x3D || b == 0x2D || b == 0x23 {
      plain = false
      break
    }
    if plain {
      for b in token { out.append(LiteralSet.fold(b)) }
      return
    }
    // A setting whose value is a hex id (`uid=3fa1b2c4`, `run_id=7f3a9c21`): the key as any
    // token's, the id one `#`, so a pipeline's ids group as its numbers do.
    if let eq = token.firstIndex(of: 0x3D), eq > 0, eq + 1 < token.count,
      hexIdentifierCore(UnsafeBufferPointer(rebasing: token[(eq + 1)...])) != nil
    {
      appendASCIITokenShape(UnsafeBufferPointer(rebasing: token[...eq]), to: &out)
      appendASCIITokenShape(UnsafeBufferPointer(rebasing: token[(eq + 1)...]), to: &out)
      return
    }
    if let core = hexIdentifierCore(token) {
      out.append(contentsOf: token[..<core.lowerBound])
      out.append(hash)
      out.append(contentsOf: token[core.upperBound...])
      return
    }
    if let id = wordJoinedHexID(token) {
      for b in token[..<id.lowerBound] { out.append(LiteralSet.fold(b)) }
      out.append(hash)
      out.append(contentsOf: token[id.upperBound...])
      return
    }
    let base = out.count
    var lastDigit = false
    for b in token {
      if b >= 0x30 && b <= 0x39 {
        if !lastDigit { out.append(hash) }
        lastDigit = true
      } else {
        out.append(b)
        lastDigit = false
      }
    }
    var lo = base
    var hi = out.count
    while lo < hi && !(isLetter(out[lo]) || out[lo] == hash) { lo += 1 }
    while hi > lo && !(isLetter(out[hi - 1]) || out[hi - 1] == hash) { hi -= 1 }
    if isCodeCore(out[lo..<hi].lazy.map { $0 }) {
      let colon = out.last == UInt8(ascii: ":")
      out.removeSubrange(base...)
      out.append(contentsOf: colon ? [0x58, hash, 0x3A] : [0x58, hash])
      return
    }
    // A code joined to a version (`E1-v2:` → `X#-v#:`): the punctuation before the code is
    // the code's, as above; the joiner, the version and what follows stay.
    if let joiner = versionedCodeJoiner(out[lo..<hi]) {
      let tail = out[(lo + joiner)...].map(LiteralSet.fold)
      out.removeSubrange(base...)
      out.append(contentsOf: [0x58, hash])
      out.append(contentsOf: tail)
      return
    }
    // A label and a letter (`Variant-A`): the letter is `X`, whichever it is.
    let letterCode = isLabelLetterCore(out[lo..<hi])
    for i in base..<out.count { out[i] = LiteralSet.fold(out[i]) }
    if letterCode { out[hi - 1] = UInt8(ascii: "X") }
  }

  static func unicodeTokenShape(_ token: String) -> String {
    let utf8 = token.utf8
    // A setting whose value is a hex id, as ``appendASCIITokenShape(_:to:)`` reads one.
    if let eq = utf8.firstIndex(of: 0x3D), eq > utf8.startIndex, utf8.index(after: eq) < utf8.endIndex,
      hexIdentifierCore(utf8[utf8.index(after: eq)...]) != nil
    {
      return unicodeTokenShape(String(token[...eq]))
        + unicodeTokenShape(String(token[token.index(after: eq)...]))
    }
    if let core = hexIdentifierCore(utf8) {
      // The core is ASCII; the punctuation around it is kept as written.
      return String(decoding: utf8[..<core.lowerBound], as: UTF8.self).lowercased() + "#"
        + String(decoding: utf8[core.upperBound...], as: UTF8.self).lowercased()
    }
    if let id = wordJoinedHexID(utf8) {
      // The word and the id are ASCII; the punctuation around them is kept as written.
      return String(decoding: utf8[..<id.lowerBound], as: UTF8.self).lowercased() + "#"
        + String(decoding: utf8[id.upperBound...], as: UTF8.self).lowercased()
    }
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
    let core = String(
      out.drop { !($0.isLetter || $0 == "#") }.reversed().drop { !($0.isLetter || $0 == "#") }.reversed())
    if core.unicodeScalars.allSatisfy(\.isASCII), isCodeCore(core.utf8) {
      let trailing = out.hasSuffix(":") ? ":" : ""
      return "X#" + trailing
    }
    if core.unicodeScalars.allSatisfy(\.isASCII), let joiner = versionedCodeJoiner(core.utf8) {
      let lead = out.prefix { !($0.isLetter || $0 == "#") }.count
      return "X#" + String(out.dropFirst(lead + joiner)).lowercased()
    }
    // A label and a letter (`Variant-A`): the letter is `X`, whichever it is.
    if core.unicodeScalars.allSatisfy(\.isASCII), isLabelLetterCore(Array(core.utf8)),
      let end = out.lastIndex(where: { $0.isLetter || $0 == "#" })
    {
      return out[..<end].lowercased() + "X" + out[out.index(after: end)...].lowercased()
    }
    return out.lowercased()
  }

  /// Whether an opening shape is the family of a code (`X# …`), whose rule takes a label or
  /// the start of a sentence after the code (``familyRuleTail``).
  static func isCodeFamily(_ shape: String) -> Bool { shape == "X# …" }

  /// The families whose rule takes, after their head, what the code family's takes after the
  /// code (``familyRuleTail``: a short label and a separator, or the start of a sentence).
  enum HeadFamily: Sendable, Hashable {
    /// `X# …`: a code (``isCodeFamily(_:)``).
    case code
    /// `## …`: a hash and a number (`#123 Okay, so`, `#7: the claim`).
    case hashNumber
    /// `variant-X …`: a label, a hyphen and a capital letter (`Variant-A Okay, so`,
    /// `Persona-C: the claim`; ``isLabelLetterShape(_:)``).
    case labelLetter
    /// `X#-v# …`: a code joined to a version or a number (`E1-v2 Okay, so`, `A4/3886: the
    /// claim`; ``versionedCodeJoiner(_:)``).
    case versionedCode
  }

  /// The head family an opening shape names, if any. A label and a letter inside a tag's
  /// brackets (`[variant-X] …`, `<<persona-X>> …`, ``isCodeLike(_:)``) is a tag family's head,
  /// not this family's: both paths count it as a tag (``openingShapes(_:)`` and
  /// ``OpeningTally`` try code-like tokens first), whatever follows it.
  static func headFamily(ofShape shape: String) -> HeadFamily? {
    if isCodeFamily(shape) { return .code }
    guard shape.hasSuffix(" …") else { return nil }
    let head = String(shape.dropLast(2))
    if head == "##" { return .hashNumber }
    if !head.contains(" ") && isVersionedCodeShape(head) { return .versionedCode }
    return !head.contains(" ") && !isCodeLike(head) && isLabelLetterShape(head) ? .labelLetter : nil
  }

  /// The head of the family a first token shape opens when words follow it: `##` for a hash
  /// and a number (`##` or `##:`), the token without a colon after it for a label and a
  /// letter (`variant-X:` → `variant-X`); `nil` otherwise. Only openings the family's rule
  /// matches are counted for it (``hasHeadFamilyStructure(_:_:)``): a Markdown heading
  /// (`## Plan`) is no hash and number.
  static func headFamilyToken(_ token: String) -> String? {
    if token == "##" || token == "##:" || token == "##." { return "##" }
    guard isLabelLetterShape(token) else { return nil }
    return token.hasSuffix(":") ? String(token.dropLast()) : token
  }

  /// Whether a token shape is a label, a hyphen and a capital letter (`variant-X`, from
  /// `Variant-A`; ``isLabelLetterCore(_:)``), with the punctuation around it (`variant-X:`,
  /// `**variant-X**`).
  static func isLabelLetterShape(_ token: some StringProtocol) -> Bool {
    let bytes = Array(token.utf8)
    // As the shape was made: the core is cut at letters (any byte outside ASCII counts as one)
    // and `#`s.
    let keeps = { (b: UInt8) in b >= 0x80 || NoteMatcher.isLetter(b) || b == UInt8(ascii: "#") }
    guard let lo = bytes.firstIndex(where: keeps), let hi = bytes.lastIndex(where: keeps) else {
      return false
    }
    let core = bytes[lo...hi]
    return core.last == UInt8(ascii: "X") && core.dropLast().last == UInt8(ascii: "-")
      && core.count >= 4 && core.dropLast(2).allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
  }

  /// Whether a token's core (outer punctuation cut) is a label and a letter as written: two
  /// ASCII letters or more, a hyphen and a capital letter (`Variant-A`, `PERSONA-C`), whose
  /// shape is the label in lower case and `-X`.
  static func isLabelLetterCore(_ core: some BidirectionalCollection<UInt8>) -> Bool {
    guard core.count >= 4, let last = core.last, last >= 0x41 && last <= 0x5A else { return false }
    return core.dropLast().last == UInt8(ascii: "-") && core.dropLast(2).allSatisfy(NoteMatcher.isLetter)
  }

  /// The head of the hash-and-number family's rule: `#`, digits and perhaps a full stop
  /// (`#3551. Let me`, as a numbered list writes it).
  static let hashNumberPattern = #"#[0-9]+\.?"#

  /// Where the head of a `kind` family (not ``HeadFamily/code``) ends in the first line
  /// `first`: at the end of its first token, before a colon there; for a hash and a number,
  /// only when the token is `#`, digits and perhaps a colon or a full stop (`#123`, `#7:`,
  /// `#3551.`, which the head keeps; not `##` or `#a3f9c21`). `nil` when the line does not open with such a head.
  static func headFamilyEnd(_ first: UnsafeBufferPointer<UInt8>, _ kind: HeadFamily) -> Int? {
    var end = 0
    while end < first.count && !NoteMatcher.isBlank(first[end]) { end += 1 }
    guard end > 0 else { return nil }
    let head = first[end - 1] == UInt8(ascii: ":") ? end - 1 : end
    switch kind {
    case .code: return nil
    case .hashNumber:
      // The full stop of `#3551.` is the head's (the tail takes a colon, not a full stop).
      let digits = first[head - 1] == UInt8(ascii: ".") ? head - 1 : head
      guard digits >= 2, first[0] == UInt8(ascii: "#"), first[1..<digits].allSatisfy(NoteMatcher.isDigit)
      else {
        return nil
      }
    case .labelLetter, .versionedCode: break
    }
    return head
  }

  /// Whether the first line `first`, whose first token has the head of a `kind` family, has
  /// that family's structure, so the rule made from the family flags the rows it was counted
  /// from (by hand on plain ASCII, by the regex otherwise): for a code, the designator rule's
  /// (a code, a short label, a separator) or a bare code on a sentence
  /// (``opensWithBareCode(_:)``, `E1 Okay, so …`); for the other heads, ``familyRuleTail``
  /// after the head.
  static func hasHeadFamilyStructure(_ first: UnsafeBufferPointer<UInt8>, _ kind: HeadFamily) -> Bool {
    if kind == .code {
      // A designator, a bare code on a sentence, or what the family's own rule takes: a code
      // in punctuation (`**A4** Okay, so`, `(E1) The question`), which the others leave out.
      if let ascii = DesignatorMatcher.matchesStart(first) {
        if ascii || opensWithBareCode(first) { return true }
        if let rule = codeFamilyMatcher.matchLength(atStartOf: first) { return rule != nil }
      }
      let text = String(decoding: first, as: UTF8.self)
      return designator.prefixMatch(in: text) != nil || bareCode.prefixMatch(in: text) != nil
        || codeFamilyRule.prefixMatch(in: String(text.prefix(160))) != nil
    }
    guard let head = headFamilyEnd(first, kind) else { return false }
    let rest = UnsafeBufferPointer(rebasing: first[head...])
    if let n = RowBytes.asciiCharacterPrefix(rest, 160) {
      return ShapeMatcher.familyTailMatches(UnsafeBufferPointer(rebasing: rest[..<n]))
    }
    return familyTail.prefixMatch(in: String(String(decoding: rest, as: UTF8.self).prefix(160))) != nil
  }

  /// ``hasHeadFamilyStructure(_:_:)`` of a `String`.
  static func hasHeadFamilyStructure(_ first: String, _ kind: HeadFamily) -> Bool {
    var copy = first
    return copy.withUTF8 { hasHeadFamilyStructure($0, kind) }
  }

  private static let familyTail = try! Pattern(familyRuleTail)

  /// The rule of the code family taking any code (``DiscoveryCandidate/rule()`` of `X# …`), as
  /// a regex and as its hand matcher.
  private static let codeFamilyRule = try! Pattern(
    "(?!" + DesignatorMatcher.domainTermsPattern + ")" + regex(forShape: "X# …") + familyRuleTail)
  private static let codeFamilyMatcher = ShapeMatcher(openingShape: "X# …")!

  /// Whether a token's core (digit runs as one `#`, outer punctuation cut) is a family code as
  /// the family rule's regex reads one, `[A-Z]{1,3}[0-9]+[a-z]?`: `A4`, `QA12b`, `CO2`, not
  /// `H2O`.
  static func isCodeCore(_ core: some Collection<UInt8>) -> Bool {
    var i = core.startIndex
    var upper = 0
    while i < core.endIndex, core[i] >= 0x41 && core[i] <= 0x5A {
      upper += 1
      i = core.index(after: i)
    }
    guard (1...3).contains(upper), i < core.endIndex, core[i] == UInt8(ascii: "#") else { return false }
    i = core.index(after: i)
    if i < core.endIndex, core[i] >= 0x61 && core[i] <= 0x7A { i = core.index(after: i) }
    return i == core.endIndex
  }

  /// Where the joiner lies in a token's core (as ``isCodeCore(_:)`` reads one) that is a family
  /// code joined to a version or a number: `E1-v2`, `A4/#`, `B7_r#` (`[A-Z]{1,3}#[a-z]?`, then
  /// `-`, `/` or `_`, then `#` with perhaps a `v` or an `r` before it), as an offset from its
  /// start; `nil` for other cores (`T2-weighted`, `CO2-rich`, `IL-6`). Its shape is `X#` and
  /// the joiner and version as written (`X#-v#`, `X#/#`), so the family's codes group as a
  /// bare code's do.
  static func versionedCodeJoiner(_ core: some Collection<UInt8>) -> Int? {
    // Most tokens are words: ruled out before the copy.
    guard let head = core.first, head >= 0x41 && head <= 0x5A else { return nil }
    let c = Array(core)
    var i = 0
    while i < c.count && i < 4 && c[i] >= 0x41 && c[i] <= 0x5A { i += 1 }
    guard (1...3).contains(i), i < c.count, c[i] == UInt8(ascii: "#") else { return nil }
    i += 1
    if i < c.count, c[i] >= 0x61 && c[i] <= 0x7A { i += 1 }
    guard i < c.count, "-/_".utf8.contains(c[i]) else { return nil }
    let joiner = i
    i += 1
    if i < c.count, "vVrR".utf8.contains(c[i]) { i += 1 }
    return i + 1 == c.count && c[i] == UInt8(ascii: "#") ? joiner : nil
  }

  /// Whether a token shape is a versioned code's (`X#-v#`, `X#/#:`; ``versionedCodeJoiner(_:)``).
  static func isVersionedCodeShape(_ token: some StringProtocol) -> Bool {
    guard token.hasPrefix("X#") else { return false }
    var rest = Substring(token).dropFirst(2)
    if rest.hasSuffix(":") { rest = rest.dropLast() }
    guard let joiner = rest.first, "-/_".contains(joiner) else { return false }
    rest = rest.dropFirst()
    if let v = rest.first, v == "v" || v == "r" { rest = rest.dropFirst() }
    return rest == "#"
  }

  private static let designator = try! Pattern(DesignatorMatcher.pattern)

  /// Whether an opening's first line starts with one of ``DesignatorMatcher/domainTerms``: on
  /// bytes when its head is plain ASCII, by the regex otherwise.
  static func startsWithDomainTerm(_ first: String) -> Bool {
    var copy = first
    let ascii = copy.withUTF8 { bytes in
      RowBytes.asciiCharacterPrefix(bytes, 160).map {
        DesignatorMatcher.startsWithDomainTerm(UnsafeBufferPointer(rebasing: bytes[..<$0]))
      }
    }
    return ascii ?? (domainTerm.prefixMatch(in: String(first.prefix(160))) != nil)
  }

  private static let domainTerm = try! Pattern(DesignatorMatcher.domainTermsPattern)

  /// Appends ``lineShape(_:)`` of the plain ASCII `line` to `out`, on bytes: its tokens split
  /// at spaces, each shaped, joined by one space.
  static func appendASCIILineShape(_ line: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    let start = out.count
    var i = 0
    while i < line.count {
      while i < line.count && line[i] == 0x20 { i += 1 }
      guard i < line.count else { break }
      var j = i
      while j < line.count && line[j] != 0x20 { j += 1 }
      if out.count > start { out.append(0x20) }
      appendASCIITokenShape(UnsafeBufferPointer(rebasing: line[i..<j]), to: &out)
      i = j
    }
  }

  static func lineShape(_ line: String) -> String {
    line.utf8.split(separator: 0x20).map { tokenShape(Substring($0)) }.joined(separator: " ")
  }

  static func isCodeLike(_ shape: String) -> Bool {
    shape.hasPrefix("X#") || shape.hasPrefix("[") || isKeyValue(shape) || shape.hasPrefix("<<")
      || shape.hasPrefix("{{")
  }

  /// Whether a token is a `key=value` tag: an `=` with a letter before it. An operator on its
  /// own (`df = pd.read_csv(path)`, `x += 1`, `==`) is how code is written, and code lines
  /// recur in any corpus that teaches it.
  static func isKeyValue(_ token: some StringProtocol) -> Bool {
    guard let eq = token.firstIndex(of: "=") else { return false }
    // In a shape digits are `#`.
    return token[..<eq].last.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "#" } ?? false
  }

  /// 0…1: how unlike natural prose an opening or line shape is.
  static func unnaturalness(_ shape: String, kind: DiscoveryCandidate.Kind) -> Double {
    let shaped = shape.split(separator: " ").map(String.init)
    // Inline code or math is the text's own (`` `top_p=#.#` ``, `` `variant #` ``, `$x=#$`):
    // reasoning that opens with it is listed at most, and on a line every check reads it as
    // a plain word.
    let code = inCodeSpan(shaped)
    if kind == .opening, code.first == true { return 0.3 }
    let tokens = zip(shaped, code).map { $1 ? "code" : $0 }
    guard let first = tokens.first else { return 0 }
    // A setting between edges of marks (`|| aug:para ||`), on a line or opening the reasoning.
    // Listed high, not confident: a wiki's or a tracker's own cells have the shape
    // (`|| status:done ||`), so `clean` takes it once it is accepted.
    if isEdgedSetting(tokens) { return slotLabelUnnaturalness }
    if kind == .repeatedLine, let u = bracketedUnnaturalness(shape, tokens) { return u }
    // An opening's first token is the tag a generator stamps (`[variant #]`, `persona=lawyer`);
    // after a word, only a generator's own tag or setting is (`Okay, [variant #]`, `So
    // (seed=#)`), not a citation or a statistic (`Per [#],`, `Note (alpha=#.#):`, `Alright,
    // [emphasis added]`).
    if kind == .opening {
      // A square tag of plain words (`[analysis] okay, so`, `[chorus] we`) is listed as a tag
      // edged by marks is, never confident on its own: lyrics, logs and transcripts open so.
      if isTextsOwnSquareTag(tokens) {
        return tokens.contains(where: { $0.contains("#") || $0.contains("\"") }) ? 0.3 : 0.7
      }
      // A code joined to a number, then prose about it (`Q#/# revenue rose`): a term of the
      // domain, as `BRCA# mutations raise` is below. Its family (`X#/# …`) counts only the
      // openings with a label or a sentence after the code.
      if isVersionedCodeShape(first), tokens.count > 1, tokens.last != "…",
        tokens.dropFirst().allSatisfy(isProseWordShape), !opensSentence(tokens[1])
      {
        return 0.5
      }
      // A code that the sentence is about (`X# is a good move`, `X# has two liberties`) or a
      // formula's term (`X# = # hz is the reference pitch`, `X# = # ω`): listed, not
      // confident. A label's words are never a verb or an operator.
      if first.hasPrefix("X#"), tokens.count > 1, isSubjectOrTermOfCode(tokens[1]) { return 0.5 }
      if (isCodeLike(first) && !isBracketedNumber(first) && !isClockTime(first)
        && !isTextsOwnSquareTag(tokens))
        || tokens.indices.dropFirst().contains(where: { k in
          isGeneratorTokenAfterAWord(tokens[k]) && !namesAThing(tokens, at: k)
        })
      {
        return 1
      }
    } else if case let stamps = tokens.indices.filter({ stampsTheLine(tokens, at: $0) }), !stamps.isEmpty {
      // A setting or a row's key and its number cited in the flow of a sentence (`the
      // baseline run (seed=#) reached #.#`, `record [id:#] changed.`, `the plot for [sample #]
      // shows`, `using seed=#, the run`) leaves the sentence prose, listed: a database's
      // answers cite their records so, and an experiment's notes its settings. A bracket is
      // judged where it is counted as a fragment of its own (`(seed=#)` and `[sample #]` by
      // their numbers, `[id:#]` listed), so accepting it takes a pipeline's rows.
      if tokens.count >= 3, stamps.allSatisfy({ citesInTheFlow(tokens, at: $0) }) { return 0.5 }
      return 1
    } else if first == "//", tokens.count > 1, tokens.count <= DiscoveryStats.madeCommentWords + 1,
      syntheticMarks.contains(tokens[1])
    {
      // A line comment that marks the row as made (`// generated by pipeline v#`,
      // ``DiscoveryStats/opensMadeComment(_:)``), not one of the text's own (`// todo: …`):
      // listed high, not confident, since code writes such comments too (`// generated code
      // below`, `// synthetic load test`).
      return slotLabelUnnaturalness
    }
    switch kind {
    case .opening:
      // A first token of marks only (`|`, `---`, `>`, an emoji) is an edge: the word after it
      // says what opens the block (`| lens # |` is a tag, `> Note …` and `- First,` are prose).
      let edged = first.allSatisfy(isTagMark) && tokens.count > 1
      let lead = edged ? tokens[1] : first
      // A hash and a number with a label or a sentence after it (`#123 Okay, so`, counted only
      // so) numbers the rows, as a code does.
      if headFamily(ofShape: shape) == .hashNumber { return 0.8 }
      // A label and a letter (`variant-X`) is read by its label.
      let labelLetter = isLabelLetterShape(lead)
      let label = labelLetter ? lead.range(of: "-X", options: .backwards).map { lead[..<$0.lowerBound] } : nil
      let word = String((label ?? Substring(lead)).filter { $0.isLetter || $0 == "'" }).lowercased()
      // A generator's label closed in a tag's marks or ending in a colon after the first word
      // (`Step # (remix):`, `Okay, [variant] so`, `Hmm, persona: the`) stamps the reasoning,
      // however natural the word before it.
      if tokens.dropFirst().contains(where: isMarkedScaffoldLabel) { return 0.8 }
      // One of the generator's words closed in brackets, the same on every row it opens
      // (`(gen) Okay, so`, `<synthetic> The question`), or as a hashtag (`#variant-3 Okay,`),
      // is its stamp.
      if isClosedGeneratorWord(first) || isGeneratorHashtag(first) { return 0.8 }
      // A word with digits is a code, lower-case or not (`a4 spice combinator:` is no article).
      // After an edge, natural words are still listed (`🤖 okay, so` on every row is a stamp).
      if !lead.contains("#") && naturalFirstWords.contains(word) { return edged ? 0.3 : 0.05 }
      // Numbered steps and sections ("Step 2:", "Part 1 of", "3. Identify") are how reasoning
      // is laid out, not scaffolding: never confident.
      // A name joined to its number (`row_#:`, `step_#`) is an identifier, which prose never
      // writes: the number decides below.
      if numberedSectionWords.contains(word) && !lead.contains("_") || word.isEmpty { return 0.3 }
      // A label and a letter before the reasoning (`Variant-B Okay, so`; its family counts
      // only such openings, and a label's: `Persona-C: the claim`) is a generator's, written
      // more ways than one (``candidates(from:rows:minRows:minShare:highConfidenceShare:ignoring:)``
      // holds shapes without a colon to that); before prose about it (`Type-A personalities
      // tend`) it is a term, and with a colon a label as any other.
      if labelLetter && !edged
        && (headFamily(ofShape: shape) == .labelLetter
          || (!first.hasSuffix(":") && tokens.count > 1 && opensSentence(tokens[1])))
      {
        return 0.8
      }
      // A word with a number, then prose about it (`BRCA# mutations raise`, `IL-# levels
      // rise`): a term of the domain written two ways, listed but not confident.
      if !isCodeLike(first), !(first.first.map(isTagMark) ?? false), first.contains("#"), tokens.count > 1,
        tokens.dropFirst().allSatisfy(isProseWordShape), !tokens.contains(where: { $0.hasSuffix(":") }),
        !opensSentence(tokens[1])
      {
        return 0.5
      }
      // A number numbers the rows when it is marked off as a label's (`remix #: …`, `sample #
      // okay,`, `take # — so`); in the flow of a sentence it is the domain's (`Fig. #A shows`,
      // `At #°C the`, `Using # mg of`, `US #,#,# discloses`, `x = #, so`): listed, not
      // confident.
      if tokens.indices.contains(where: { numbersTheRows(tokens, at: $0) }) { return 0.8 }
      // A tag edged by marks (`~~kitchen mode~~ …`): listed, never confident on its own, since
      // Markdown (`**Analysis** …`, `> Note …`) opens natural reasoning the same way.
      if shape.hasSuffix(" …"),
        tokens.dropLast().contains(where: {
          ($0.first.map(isTagMark) ?? false) || ($0.last.map(isTagMark) ?? false)
        })
      {
        return 0.7
      }
      // A label of a word or two (`Persona:`, `Mango blend:`); words alone, or a colon after
      // three of them (`Breaking this down:`), are prose however frequent.
      if tokens.prefix(2).contains(where: { $0.hasSuffix(":") }) { return 0.7 }
      guard let k = tokens.firstIndex(where: { $0.contains("#") && !isCitationOrStatistic($0) }) else {
        return 0.2
      }
      // A thing's id (`issue ## reports`, `participant X# is`), a release's version (`django
      // v#.#.# changelog:`) and a number that ends its sentence (`serves #. prep`, a quantity)
      // are the domain's: listed, never confident.
      if namesAThing(tokens, at: k) || tokens[k].hasSuffix(".") || isVersion(tokens[k]) { return 0.3 }
      // A quantity that a verb works on or a preposition places (`Subtracting # from both
      // sides`, `Dividing by # gives`, `Heat to #°C`): arithmetic and measures in the flow of a
      // sentence, listed, never confident, however many rows open so.
      if (k > 0 && takesAQuantity(tokens[k - 1])) || isMeasurement(tokens[k])
        || (k + 1 < tokens.count && isMeasurement(tokens[k + 1]))
      {
        return 0.3
      }
      // A number after a section's word in the flow of a sentence (`At move # the key area`,
      // `On page # the author`) refers to a part of the domain's text or game: listed, never
      // confident (a row index marked off as a label's, `Row #.`, is told by its numbers).
      if k > 0, numberedSectionWords.contains(firstWord(of: tokens[k - 1])) { return 0.3 }
      // Scripts written without spaces (Chinese, Japanese, Thai) fill a token with a clause
      // (`好的，我需要计算 # 加`): a number after three of their letters stands where a
      // spaced script's opening (`okay, so we`) has long ended, in the sentence's flow.
      return tokens[..<k].reduce(0) { $0 + unspacedLetters($1) } >= 3 ? 0.2 : numberInTheFlow
    case .repeatedLine:
      // One of the generator's labels, a colon and a one-word value on a line, or after its
      // last sentence (`Persona: nurse.`), ranks high, listed for the user to accept: a
      // template's slot, or a domain's own label (`Persona: Developer.` in UX research,
      // `Archetype: Aggro.` in a deck builder's).
      if let slot = labelSlot(ofLineShape: shape), slot.family.contains(": ") {
        return slotLabelUnnaturalness
      }
      // Lines recur naturally ("Let me verify."); only code-like ones are confident. An
      // instruction to the writer repeated word for word (`Remember to sound natural.`, `Make
      // sure to vary the wording.`) ranks above other prose, still for the user to accept.
      // A generator's label and a number, alone on a line or after its last sentence
      // (`Persona: 4821`, `variant #3`), numbers the rows as a code after it does.
      // The label opens the line or ends in a colon; the generator's verbs (`We generated #
      // samples.`, `rewrite #x`) are prose. Between like rules (`--- variant # ---`) it is a
      // heading, as `### variant #` is: a catalog's and a genome's are written so.
      if tokens.count <= 4,
        tokens.indices.dropFirst().contains(where: { k in
          tokens[k].contains("#") && !isCitationOrStatistic(tokens[k])
            && labelWords.contains(firstWord(of: tokens[k - 1]))
            && (k == 1 || tokens[k - 1].hasSuffix(":")
              || (k == 2 && tokens[0].allSatisfy(isTagMark) && tokens.last != tokens[0]))
        })
      {
        return 0.8
      }
      // A hashtag of one of the generator's labels (`#variant-#`, `#persona_x`).
      if tokens.contains(where: { isGeneratorHashtag($0) }) {
        return 0.8
      }
      // Two of its labels with their numbers (`seed #, variant #.`).
      let pairs = tokens.indices.dropFirst().filter { k in
        withoutClauseMarks(tokens[k]) == "#" && stampLabels.contains(tokens[k - 1])
      }
      if tokens.count <= 6 && pairs.count >= 2 { return 0.8 }
      // A numbered heading of the generator's words (`### variant #`, `--- sample # ---`,
      // `rewrite ##:`), or a line that rates the row (`quality score: #/#`): a pipeline's
      // stamp on each answer or reasoning it writes. Accepted with `--accept-discovered`, never
      // confident: a catalog's, a genome's or a review's own headings are written so.
      if isGeneratorHeading(tokens) || isQualityRating(tokens) {
        return DiscoveryCandidate.acceptUnnaturalness
      }
      if tokens.contains(where: { $0.contains("#") }) { return 0.5 }
      let words = tokens.prefix(2).map { String($0.filter { $0.isLetter || $0 == "'" }).lowercased() }
      if tokens.count >= 4,
        instructionFirstWords.contains(words[0])
          || (words.count == 2 && instructionFirstPairs.contains(words[0] + " " + words[1]))
      {
        return DiscoveryCandidate.acceptUnnaturalness
      }
      return 0.3
    }
  }

  /// Whether a text opens with an instruction to the writer (``instructionFirstWords``,
  /// ``instructionFirstPairs``: `Remember to sound natural.`, `Make sure to vary …`): the
  /// generation prompt's words wherever they stand, the row's prompt included.
  static func opensInstruction(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    // The first word and the one after it, when only blanks stand between them.
    var words: [String] = []
    var end = 0
    _ = NoteMatcher.firstRun(in: text, of: NoteMatcher.isLetter) { run in
      if !words.isEmpty && text[end..<run.lowerBound].contains(where: { $0 != 0x20 }) { return true }
      words.append(NoteMatcher.lowercased(text, run))
      end = run.upperBound
      return words.count == 2
    }
    guard let first = words.first else { return false }
    return instructionFirstWords.contains(first)
      || (words.count == 2 && instructionFirstPairs.contains(first + " " + words[1]))
  }

  /// Whether a text holds one of the generator's own words (``labelWords``,
  /// ``generatorWords``) as a word of its own, in any case (`[Variant 3]`, `persona=chef`).
  static func holdsGeneratorWord(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    NoteMatcher.firstRun(in: text, of: NoteMatcher.isLetter) { run in
      guard (3...12).contains(run.count) else { return false }
      let word = NoteMatcher.lowercased(text, run)
      return labelWords.contains(word) || generatorWords.contains(word)
    }
  }

  /// For each token of a shape, whether it stands in inline code or math: from a backtick or a
  /// dollar sign to its close (`` `top_p=#.#` ``, `` `open(path, mode="w")` ``, `$x=#$`). The
  /// text's own code and formulas are never a stamp, however often a line that quotes them
  /// recurs. A mark left open covers nothing, and a dollar sign alone or beside a number is a
  /// price (`$#`, `#$`, `$ #`), not math.
  static func inCodeSpan(_ tokens: [String]) -> [Bool] {
    var covered = [Bool](repeating: false, count: tokens.count)
    var open: (mark: Character, token: Int)? = nil
    for (t, token) in tokens.enumerated() {
      let characters = Array(token)
      for (k, c) in characters.enumerated() where c == "`" || c == "$" {
        if let o = open, o.mark == c {
          for u in o.token...t { covered[u] = true }
          open = nil
        } else if open == nil {
          let price =
            c == "$"
            && (characters.count == 1 || (k + 1 < characters.count && characters[k + 1] == "#")
              || (k > 0 && characters[k - 1] == "#"))
          if !price { open = (c, t) }
        }
      }
    }
    return covered
  }

  /// Whether the code-like token `k` of a repeated line's shape is a generator's stamp, as
  /// every code-like first token of an opening is: a code that opens a label (`X# spice
  /// combinator:`) or a short line (`X# spice`), a code after one of the generator's labels
  /// (`persona: X#`, `variant X#`), a tag of its marks holding one of its words (`[variant #]`,
  /// `<<persona-X>>`, `{{slot_a}}`) or one of its settings (`persona=lawyer.`, `(seed=#)`).
  /// A code in the flow of a line is the domain's, however often the line recurs: a quarter
  /// (`compare with X# #: revenue`), an analyte (`step #: X# # (normal #–#).`, `X#
  /// amplification → …`), a formula (`plugging $x=#$:`, `\sum_{t=#}^{n}`) or a flag
  /// (`` `-fsanitize=address `` ).
  static func stampsTheLine(_ tokens: [String], at k: Int) -> Bool {
    let token = tokens[k]
    guard isCodeLike(token), !isCitationOrStatistic(token) else { return false }
    if isKeyValue(token) {
      // A setting of the generator's anywhere (`persona=lawyer.`), or a tag alone on its line
      // (`pipeline_stage=draft`): an identifier, `=` and a word or number.
      let key = token.drop { !$0.isLetter }
      if generatorSettings.contains(settingKey(of: String(key))) { return true }
      return tokens.count == 1
        && token.allSatisfy { $0.isLetter || $0 == "#" || "_=-.".contains($0) }
        && (token.first?.isLetter ?? false)
    }
    if token.hasPrefix("X#") {
      // A sentence about the code or a formula (``isSubjectOrTermOfCode(_:)``).
      if k + 1 < tokens.count, isSubjectOrTermOfCode(tokens[k + 1]) { return false }
      if k > 0 {
        let word = firstWord(of: tokens[k - 1])
        // `generatorWords` holds the scaffold labels.
        return generatorWords.contains(word) || BuiltinDetectors.numberedScaffoldLabels.contains(word)
      }
      // A code and a word or two (`X# spice`), or a label of up to five words after it.
      return tokens.count <= 3 || token.hasSuffix(":")
        || tokens.dropFirst().prefix(5).contains { $0.hasSuffix(":") && !$0.contains("$") }
    }
    let word = firstWord(of: token)
    if generatorSettings.contains(word) || everydayGeneratorWords.contains(word) { return true }
    // A template's slot (`{{customer_name}}`, `{{`) or a number in double angle brackets
    // (`<<run-#>>`); `<<` alone is an operator (`std::cout << x`), and «quotes» written so
    // hold prose (`<<Bonjour>>`).
    if token.hasPrefix("{{") {
      let name = token.dropFirst(2).prefix { $0 != "}" }
      return isSlotName(name)
        || (name.isEmpty && k + 1 < tokens.count && isSlotName(Substring(tokens[k + 1])))
    }
    return token.hasPrefix("<<") && token.contains("#")
  }

  /// How unlike prose a bracketed line or fragment is (``DiscoveryStats/forEachFragment(in:_:)``:
  /// a shape that opens with `(`, `[`, `{` or `<!--` and ends with its close, or a Markdown
  /// link), or `nil` for other shapes. Settings (`(seed=#)`), a generator's own words with a
  /// number (`<!-- gen # -->`, `(dup of #)`), everyday ones in square brackets (`[end of sample
  /// #]`) and a tag of its labels (`[persona: lawyer]`) are confident; other brackets are how
  /// legal, patent, scientific and technical text writes (`[emphasis added]`, `(see fig. #)`,
  /// `(id. at #)`, `(batch #)`, `(variant a)`, `<!-- row # -->`, `{"id": #}`): listed at most.
  static func bracketedUnnaturalness(_ shape: String, _ tokens: [String]) -> Double? {
    // A Markdown link on its own line (`[Back to the index](https://…)`) is prose.
    if shape.hasPrefix("["), let close = shape.firstIndex(of: "]"),
      shape[shape.index(after: close)...].hasPrefix("(")
    {
      return 0.3
    }
    let pairs = [("(", ")"), ("[", "]"), ("{", "}"), ("<!--", "-->"), ("<<", ">>")]
    // A code's shape takes the bracket that closes it (`(ECO D35)` → `(eco X#`).
    guard
      pairs.contains(where: { shape.hasPrefix($0.0) && (shape.hasSuffix($0.1) || shape.hasSuffix(" X#")) })
    else { return nil }
    // A comment's marks are tokens of their own (`<!-- persona: lawyer -->`).
    var tokens = tokens
    if shape.hasPrefix("<!--") {
      if tokens.first == "<!--" { tokens.removeFirst() }
      if tokens.last == "-->" { tokens.removeLast() }
      guard !tokens.isEmpty else { return 0.4 }
    }
    // A template's slot left unfilled (`{slot_a}`, `{{customer_name}}`, `{{ item_# }}`): one
    // snake_case name alone in one or two braces. A JSON object, a set (`{i, j}`) or a word in
    // braces (`{title}`, as templating in code writes) is not one.
    if shape.count > 2, shape.hasPrefix("{"), shape.hasSuffix("}") {
      let braces = shape.count > 4 && shape.hasPrefix("{{") && shape.hasSuffix("}}") ? 2 : 1
      var name = shape.dropFirst(braces).dropLast(braces)
      while name.first == " " { name = name.dropFirst() }
      while name.last == " " { name = name.dropLast() }
      if isSlotName(name) { return 0.8 }
    }
    let words = tokens.map { String($0.filter { $0.isLetter }).lowercased() }
    // A setting of the generator's (`seed=#`, `persona=lawyer`), not a statistic (`p=#.#`,
    // `alpha=#.#`).
    if tokens.filter(isKeyValue).contains(where: { generatorSettings.contains(settingKey(of: $0)) }) {
      return 0.9
    }
    // A sampling setting written with a colon (`(seed: #)`, `[temperature: #.#]`), not a
    // key of JSON (`{"temperature": #.#}`, quoted, in braces).
    if !shape.hasPrefix("{"),
      zip(tokens, words).dropLast().contains(where: { token, word in
        token.hasSuffix(":") && !token.contains("\"") && colonSettings.contains(word)
      })
    {
      return 0.9
    }
    // The model that wrote the row, named as a setting (`(model: gpt-#o, t=#.#)`, `[model:
    // claude-#]`): a language model's name with its version. A product's model (`(model:
    // Camry, year: #)`) is another.
    if zip(zip(tokens, words), tokens.dropFirst()).contains(where: { key, value in
      key.0.hasSuffix(":") && key.1 == "model" && namesLanguageModel(value)
    }) {
      return 0.9
    }
    let square = shape.hasPrefix("[")
    // A label's tag is its label and a value (`[persona: lawyer]`, `(persona: lawyer)`), not
    // a phrase about one (`(variant of the last one)`) nor a name in parentheses (`(Variant
    // A)`, an allele).
    if tokens.count <= 3, let label = words.first, BuiltinDetectors.scaffoldLabels.contains(label),
      !shape.hasPrefix("(") || tokens[0].hasSuffix(":")
    {
      return 0.8
    }
    // A row marked as made (`(synthetic example)`, `[generated sample]`), not a material or a
    // method (`(synthetic rubber)`, `(synthetic data)` in a paper).
    if words.contains(where: { $0 == "synthetic" || $0 == "generated" || $0 == "gen" }),
      words.contains(where: { ["example", "row", "sample", "item", "answer", "response"].contains($0) })
    {
      return 0.8
    }
    // A template's double angle brackets hold a generator's stamp when a number or one of its
    // settings is in them (`<<seed #>>`, `<<persona-X>>`); «quotes» written so hold prose.
    if shape.hasPrefix("<<"),
      shape.contains("#") || tokens.map(firstWord).contains(where: generatorSettings.contains)
    {
      return 0.8
    }
    if shape.contains("#") {
      // A product's, a gene's or a generator set's number in parentheses (`(variant #)`,
      // `(persona #)`, `(generator #)`) is how shops, labs and plants write: listed. A code
      // there (`(variant X#)`) and the generator's own words (`(remix #)`, `(gen #)`) stamp.
      if shape.hasPrefix("("), tokens.count == 2, tokens[1] == "#)",
        ["variant", "persona", "generator"].contains(words[0])
      {
        return 0.4
      }
      // Its word may be joined to an id (`[[gen:#f#a]]`, whose letters are the id's too).
      if words.contains(where: generatorWords.contains)
        || tokens.contains(where: { generatorWordBeforeID($0) })
      {
        return 0.8
      }
      // An everyday word with a number is a note in square brackets, written bare (`[end of
      // sample #]`); in parentheses, braces or a comment it is prose, a table's or a recipe's
      // (`(batch #)`, `(seed #)`, `(id. at #)`, `<!-- row # -->`).
      if square,
        tokens.contains(where: {
          everydayGeneratorWords.contains($0.lowercased().filter { $0 != "[" && $0 != "]" })
        })
      {
        return 0.8
      }
      // A generator's count of its outputs (`(sample # of #)`, `[draft # of #]`), or a sampling
      // setting and its number beside another setting (`(batch #, temp #.#)`): shaped as its
      // stamps, accepted with `--accept-discovered`, never confident, since a study counts its
      // samples and a training log its settings the same way.
      if countsOutputs(words, tokens) || holdsSamplingSettings(words, tokens) {
        return DiscoveryCandidate.acceptUnnaturalness
      }
    }
    return 0.4
  }

  /// The keys of a generator's sampling settings, as letters only (`top_p` is `topp`).
  static let samplingKeys: Set<String> = ["temperature", "temp", "topp", "topk"]

  /// Whether a bracket's token shapes (`words`: their letters, lower case) are one of
  /// ``headingWords`` counting outputs: the word, a number, `of` and a number, and nothing else
  /// (`(sample # of #)`).
  static func countsOutputs(_ words: [String], _ tokens: [String]) -> Bool {
    tokens.count == 4 && headingWords.contains(words[0]) && tokens[1] == "#" && words[2] == "of"
      && tokens[3].hasPrefix("#") && tokens[3].dropFirst().allSatisfy { ")]}".contains($0) }
  }

  /// Whether a bracket's token shapes hold a sampling key and its number (`temp #.#`) and
  /// another setting's word and number (`batch #`, `seed #`, `top_p #.#`), and nothing else.
  static func holdsSamplingSettings(_ words: [String], _ tokens: [String]) -> Bool {
    guard (4...6).contains(tokens.count), tokens.count % 2 == 0 else { return false }
    var sampling = 0
    for k in stride(from: 0, to: tokens.count, by: 2) {
      let number = tokens[k + 1].filter { !",;)]}".contains($0) }
      guard number == "#" || number == "#.#",
        stampLabels.contains(words[k]) || samplingKeys.contains(words[k])
      else { return false }
      if samplingKeys.contains(words[k]) { sampling += 1 }
    }
    return sampling >= 1
  }

  /// Whether token shapes are a setting written `key:value` (no blank after the colon) between
  /// two like edges of marks, as a pipeline tags a row (`|| aug:para ||`, `~~ src:bt ~~`): the
  /// key two ASCII letters or more, the value letters, digits (`#`), `_`, `-` or `.`, and each
  /// edge the same one to four marks, none a bracket, a quote, a table's single `|`, math's `$`
  /// or Markdown's `*`, `_`, `-`, `>` or `#`. Prose writes a label with a blank after its colon
  /// (`Note: this`), and a clock, a link or a citation has no letters before it or a `/` in its
  /// value (`#:#`, `http://`, `doi:#.#/nature.#`).
  static func isEdgedSetting(_ tokens: some Collection<some StringProtocol>) -> Bool {
    guard tokens.count == 3 else { return false }
    let t = Array(tokens)
    let edge = t[0]
    guard edge == t[2], (1...4).contains(edge.count), let mark = edge.first,
      mark.isASCII, isTagMark(mark), !"()[]{}<>\"'`*_->#$".contains(mark), edge.allSatisfy({ $0 == mark }),
      mark != "|" || edge.count >= 2,
      let colon = t[1].firstIndex(of: ":")
    else { return false }
    let key = t[1][..<colon]
    let value = t[1][t[1].index(after: colon)...]
    return key.count >= 2 && key.allSatisfy { $0.isASCII && $0.isLetter } && !value.isEmpty
      && value.first.map { $0.isLetter || $0 == "#" } == true
      && value.allSatisfy { ($0.isASCII && $0.isLetter) || "#_-.".contains($0) }
  }

  /// Whether a repeated line's shape is a word a generator numbers its rows with and its
  /// number, alone in brackets or a comment (`<!-- row # -->`, `(sample #)`, `[sample #]`,
  /// ``rowIndexWords``): a pipeline's row index when its number is new on nearly every row it
  /// is on (``NumberSketch``), how a table or a recipe numbers its parts when the numbers repeat
  /// (`<!-- row 1 -->`, `(batch 3)`). A place a text cites (`(page #)`, `(line #)`, `(level
  /// #)`), whose numbers may come from a range wider than the rows, and a thing's id (`(pr ##)`,
  /// `(id #)`) are the domain's.
  static func isNumberedBracket(_ shape: String) -> Bool {
    guard let open = shape.first, "([{<".contains(open) else { return false }
    var inner = Substring(shape)
    if let pair = [("<!--", "-->"), ("<<", ">>"), ("(", ")"), ("[", "]"), ("{", "}")].first(where: {
      shape.hasPrefix($0.0) && shape.hasSuffix($0.1)
    }) {
      inner = inner.dropFirst(pair.0.count).dropLast(pair.1.count)
    } else {
      return false
    }
    let tokens = inner.split(separator: " ")
    guard tokens.count == 2, tokens[1] == "#", isWordShape(tokens[0]) else { return false }
    return rowIndexWords.contains(String(tokens[0]))
  }

  /// Whether a repeated line's shape is a row's key and its number written as a tag or as JSON
  /// (`[id:#]`, `[[id:#]]`, `{seed:#}`, `{"seed": #}`; keys of ``rowIndexWords`` and `id`). With
  /// numbers new on nearly every row it is listed high for the user to accept, never confident:
  /// a database's records (`[id:48213]`), a wiki's links (`[[id:123]]`) and an experiment's
  /// configs (`{"seed": 918273}`) are written so too, with ids as new.
  static func isKeyedNumberTag(_ shape: String) -> Bool {
    guard
      let pair = [("[[", "]]"), ("{{", "}}"), ("[", "]"), ("{", "}")].first(where: {
        shape.hasPrefix($0.0) && shape.hasSuffix($0.1)
      })
    else { return false }
    let inner = shape.dropFirst(pair.0.count).dropLast(pair.1.count)
    let key: Substring
    if inner.hasSuffix(":#"), !inner.contains(" ") {
      // `[id:#]`, or compact JSON (`{"seed":#}`).
      let bare = inner.dropLast(2)
      key =
        pair.0 == "{" && bare.count > 2 && bare.hasPrefix("\"") && bare.hasSuffix("\"")
        ? bare.dropFirst().dropLast() : bare
    } else if pair.0 == "{", inner.hasPrefix("\""), inner.hasSuffix("\": #"), inner.count > 5 {
      key = inner.dropFirst().dropLast(4)
    } else {
      return false
    }
    return isWordShape(key) && (rowIndexWords.contains(String(key)) || key == "id")
  }

  /// Whether discovery sketches the numbers of a repeated line's shape: a row index's
  /// (``isNumberedBracket(_:)``), a row key's (``isKeyedNumberTag(_:)``), a bracketed seed's
  /// (``isNumberedSetting(_:)``) or a line's that a bare seed stamps
  /// (``isStampedByNumericSettingsOnly(_:)``).
  static func sketchesNumbers(_ shape: String) -> Bool {
    isNumberedBracket(shape) || isKeyedNumberTag(shape) || isNumberedSetting(shape)
      || isStampedByNumericSettingsOnly(shape)
  }

  /// Whether the bytes of a line's shape hold `=#`, as a numeric setting's do
  /// (``isStampedByNumericSettingsOnly(_:)``), decided before the `String` it reads is made.
  static func mayHoldNumericSetting(_ shape: [UInt8]) -> Bool {
    guard shape.count >= 3 else { return false }
    for k in 1..<shape.count where shape[k] == UInt8(ascii: "#") && shape[k - 1] == UInt8(ascii: "=") {
      return true
    }
    return false
  }

  /// The keys of the generator's settings whose number is the row's own, new on nearly every
  /// row a pipeline stamps (`seed`, `sample`): their numbers tell a pipeline's stamp from an
  /// experiment's few seeds cited in its text. Other settings (`temperature`, `top_k`,
  /// `batch`) repeat in a pipeline's stamps too, so their numbers decide nothing.
  static let perRowSettingKeys: Set<String> = ["seed", "sample"]

  /// Whether a token shape (its clause marks cut) is a numeric setting of the generator's
  /// written bare, `key=#` or `key=#.#` (`seed=#`, `temperature=#.#`), not one of its labels
  /// (`persona=lawyer`) nor a bracket.
  static func isBareNumericSetting(_ bare: String) -> Bool {
    guard let eq = bare.firstIndex(of: "="), bare.first.map({ $0.isLetter }) == true else { return false }
    let key = settingKey(of: bare)
    let value = bare[bare.index(after: eq)...]
    return generatorSettings.contains(key) && !labelWords.contains(key) && (value == "#" || value == "#.#")
  }

  /// Whether a repeated line's shape is stamped only (``stampsTheLine(_:at:)``) by bare numeric
  /// settings of a row's own number (``perRowSettingKeys``): `config: seed=#, batch size #.`,
  /// `seed=# alone does not make runs deterministic.`, `generated with seed=# for this row.`.
  /// The numbers after their `=` decide (``settingDigits(of:)``): a pipeline's seed is new on
  /// nearly every row, an experiment's notes repeat the few seeds its runs used.
  static func isStampedByNumericSettingsOnly(_ shape: String) -> Bool {
    let tokens = shape.split(separator: " ").map(String.init)
    guard tokens.count >= 2 else { return false }
    let code = inCodeSpan(tokens)
    let read = zip(tokens, code).map { $1 ? "code" : $0 }
    let stamps = read.indices.filter { stampsTheLine(read, at: $0) }
    return !stamps.isEmpty
      && stamps.allSatisfy { k in
        let bare = String(withoutClauseMarks(read[k]))
        return isBareNumericSetting(bare) && perRowSettingKeys.contains(settingKey(of: bare))
      }
  }

  /// The digits a line's numbers are sketched by (``DiscoveryStats/Example/numbers``): for a
  /// line holding a setting (`=` and a digit), the digits of the numbers right after each `=`
  /// (`seed=42, batch 64` → `42`), so the line's other numbers do not make an experiment's
  /// repeated seed look new on every row; otherwise every digit of the line.
  static func settingDigits(of bytes: some Collection<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    var afterEquals = false
    var sawSetting = false
    for b in bytes {
      if NoteMatcher.isDigit(b) {
        if afterEquals { out.append(b) }
      } else {
        afterEquals = b == UInt8(ascii: "=") || (afterEquals && b == UInt8(ascii: "."))
        if b == UInt8(ascii: "=") { sawSetting = true }
      }
    }
    return sawSetting && !out.isEmpty ? out : bytes.filter(NoteMatcher.isDigit)
  }

  /// Whether the stamping token `k` of a repeated line's token shapes (``stampsTheLine(_:at:)``)
  /// cites a number in the flow of the line's sentence: a bracketed setting or row key and its
  /// number (`(seed=#)`, `[id:#]`, `[sample #]`, each a fragment discovery judges on its own),
  /// or a numeric setting of the generator's written bare after a word and before more of the
  /// sentence (`using seed=#, the run`, `at temperature=#.# the outputs`). A bare setting that
  /// opens the line, follows its sentence or ends it (`the claim is read. seed=#`), and one of
  /// the generator's labels (`persona=lawyer`), stay stamps; a bracket is a fragment wherever
  /// it stands. A seed in the flow is confident again when its numbers are new on nearly every
  /// row (``isStampedByNumericSettingsOnly(_:)``).
  static func citesInTheFlow(_ tokens: [String], at k: Int) -> Bool {
    let bare = String(withoutClauseMarks(tokens[k]))
    if isNumberedSetting(bare) || isKeyedNumberTag(bare) { return true }
    if k + 1 < tokens.count, isNumberedBracket(String(withoutClauseMarks(tokens[k] + " " + tokens[k + 1]))) {
      return true
    }
    guard isBareNumericSetting(bare), k > 0, k + 1 < tokens.count else { return false }
    return tokens[k - 1].last.map { $0.isLetter } == true
  }

  /// Whether a shape is one of the generator's settings of a row's own number
  /// (``perRowSettingKeys``) and the number, `key=#`, alone in brackets (`(seed=#)`,
  /// `[seed=#]`): a pipeline's stamp when the number is
  /// new on nearly every row, an experiment cited in its text when a few numbers repeat (`the
  /// baseline (seed=42)`).
  static func isNumberedSetting(_ shape: String) -> Bool {
    guard
      [("(", ")"), ("[", "]"), ("{", "}")].contains(where: { shape.hasPrefix($0.0) && shape.hasSuffix($0.1) })
    else { return false }
    let inner = shape.dropFirst().dropLast()
    guard inner.hasSuffix("=#") else { return false }
    let key = inner.dropLast(2)
    return !key.isEmpty && key.allSatisfy { $0.isLetter || $0 == "_" }
      && perRowSettingKeys.contains(settingKey(of: String(key)))
  }

  /// The words a generator numbers its rows with in brackets (``isNumberedBracket(_:)``):
  /// ``everydayGeneratorWords`` but `id` and `item`. Not a shop's `item` nor a text's
  /// `example`, whose numbers may be new on every row (`the lamp (item 48213)`, `… holds
  /// (example 48213).`).
  static let rowIndexWords: Set<String> = everydayGeneratorWords.subtracting(["id", "item", "example"])

  /// Whether the bytes of a line's shape may be ``isNumberedBracket(_:)``'s (a bracket at each
  /// end and one `#`), decided before the `String` it reads is made.
  static func mayBeNumberedBracket(_ shape: [UInt8]) -> Bool {
    guard shape.count >= 5, let first = shape.first, let last = shape.last,
      first == 0x28 || first == 0x5B || first == 0x7B || first == 0x3C,
      last == 0x29 || last == 0x5D || last == 0x7D || last == 0x3E
    else { return false }
    var hashes = 0
    for b in shape where b == UInt8(ascii: "#") { hashes += 1 }
    return hashes == 1
  }

  /// Whether an opening's shape is, after marks without letters (`—`, `*`), one of the
  /// generator's words and a number before the reasoning's own opening (`— remix #`, `Okay, so`
  /// after it): its stamp, even written the same on every row. A sentence going on after the
  /// number (`variant # spreads`) is prose.
  static func opensWithGeneratorNumber(_ shape: String) -> Bool {
    let tokens = shape.split(separator: " ").drop { token in !token.contains { $0.isLetter || $0 == "#" } }
    guard tokens.count == 2, let word = tokens.first, let number = tokens.last, number.first == "#",
      word.allSatisfy(\.isLetter)
    else { return false }
    return generatorWords.contains(word.lowercased())
  }

  /// Words that mark a row as made (``DiscoveryStats/markSynthetic(_:)``: `SRC=synthetic`,
  /// `// generated by pipeline v2`), lower-case.
  static let syntheticMarks: Set<String> = [
    "synthetic", "generated", "gen", "paraphrase", "paraphrased", "augmented",
  ]

  /// Families of language models that write synthetic rows, lower-case.
  static let languageModelFamilies: Set<String> = [
    "gpt", "claude", "llama", "mistral", "mixtral", "gemini", "qwen", "deepseek", "gemma",
  ]

  /// Whether a token shape names a language model with its version (`gpt-#o,`, `claude-#`,
  /// `llama#`): one of ``languageModelFamilies`` and a number (`#` in a shape).
  static func namesLanguageModel(_ token: String) -> Bool {
    let name = token.drop { !$0.isLetter }.prefix { $0.isLetter }.lowercased()
    return languageModelFamilies.contains(name) && token.contains("#")
  }

  /// Whether a token shape opens, after its brackets, with one of the generator's words and a
  /// `:` or `=` (`[[gen:#f#a]]`, `(remix=#b)`): its word joined to an id, whose letters would
  /// run into the word's. A word joined to another by a hyphen is prose (`(variant-level FDR`).
  static func generatorWordBeforeID(_ token: String) -> Bool {
    let rest = token.drop { !$0.isLetter }
    let word = rest.prefix { $0.isLetter }
    guard let after = rest.dropFirst(word.count).first, after == ":" || after == "=" else { return false }
    return generatorWords.contains(word.lowercased())
  }

  /// Whether `name` is a template slot's name: lower-case letters and digits in two parts or
  /// more joined by `_` (`slot_a`, `customer_name`, `item_#`), starting with a letter.
  static func isSlotName(_ name: Substring) -> Bool {
    let parts = name.split(separator: "_", omittingEmptySubsequences: false)
    return parts.count >= 2
      && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLowercase || $0 == "#" } }
      && (name.first?.isLetter ?? false)
  }

  /// The key of a `key=value` token shape as ``generatorSettings`` holds keys: the letters
  /// before the `=`, lower-cased (`(top_p=#.#)` → `topp`).
  static func settingKey(of token: String) -> String {
    String(token.prefix { $0 != "=" }.filter { $0.isLetter }).lowercased()
  }

  /// Keys of a generator's settings, as a bracketed `key=value` writes them (`(seed=41)`,
  /// `[temperature=0.7]`; letters only, so `top_p` is `topp`).
  static let generatorSettings: Set<String> = generatorWords.union(BuiltinDetectors.numberedScaffoldLabels)
    .union([
      "sample", "temperature", "temp", "topp", "topk", "style", "tone", "mode", "model", "prompt", "system",
    ])

  /// Keys of a generator's sampling settings that it also writes with a colon (`(seed: 41)`).
  static let colonSettings: Set<String> = Set(BuiltinDetectors.scaffoldLabels).union([
    "seed", "temperature", "temp", "topp", "topk",
  ])

  /// A generator's own words that a number goes with in its notes (`gen 12`, `dup of 4`,
  /// `(remix 3)`): confident in any bracket.
  static let generatorWords: Set<String> = Set(BuiltinDetectors.scaffoldLabels).union([
    "gen", "generated", "synthetic", "dup", "rewrite", "paraphrase",
  ])

  /// Everyday words that a generator's notes also number (`[end of sample 3886]`), and prose as
  /// much (`(sample size 40)`, `(batch 3)`, `(row 3 of the table)`): confident only bare in
  /// square brackets.
  static let everydayGeneratorWords: Set<String> = Set(BuiltinDetectors.numberedScaffoldLabels).union([
    "sample", "row", "generation", "duplicate", "copy", "id", "shard", "chunk",
  ])

  /// `token` without the commas, full stops, semicolons and colons that end it (`(#).` →
  /// `(#)`, `persona:` → `persona`).
  static func withoutClauseMarks(_ token: String) -> Substring {
    var bare = Substring(token)
    while let last = bare.last, ",.;:".contains(last) { bare = bare.dropLast() }
    return bare
  }

  /// The first run of letters of a token shape, in lower case (`[variant` → `variant`,
  /// `(seed=#)` → `seed`).
  static func firstWord(of token: some StringProtocol) -> String {
    String(token.drop { !$0.isLetter }.prefix { $0.isLetter }).lowercased()
  }

  /// The brackets a generator closes its tags in.
  static let bracketPairs: [(Character, Character)] = [("(", ")"), ("[", "]"), ("{", "}"), ("<", ">")]

  /// Whether a token shape is a citation (`[#]`, `[#],`, `(#).`, `[#-#]`) or a statistic, a
  /// `key=value` of a number whose key is none of ``generatorSettings`` (`(alpha=#.#):`,
  /// `p=#.#`, not `pipeline_stage=draft` or `seed=#`).
  static func isCitationOrStatistic(_ token: String) -> Bool {
    let bare = withoutClauseMarks(token)
    if let open = bare.first, let close = bare.last,
      (open == "[" && close == "]") || (open == "(" && close == ")"),
      bare.count >= 3, bare.dropFirst().dropLast().allSatisfy({ "#-,–".contains($0) })
    {
      return true
    }
    guard isKeyValue(token), let eq = token.firstIndex(of: "=") else { return false }
    // A number for a value (`alpha=#.#`, `n=#`), not a word (`pipeline_stage=draft`).
    let value = token[token.index(after: eq)...]
    // An id is no statistic (`uid=#`, `run_id=#`, `sample_id=#`).
    let key = settingKey(of: token)
    if key.hasSuffix("id") && key.count >= 3 { return false }
    return !generatorSettings.contains(key) && value.contains("#")
      && value.allSatisfy { "#.-,;:)]".contains($0) }
  }

  /// Whether the number in the opening shape's token `k` numbers the rows, as a generator's
  /// stamp does; a number that is neither (``isCitationOrStatistic(_:)``) numbers them when it
  /// is:
  /// - glued to a name (`v#`, `persona#`, `remix_#`, `km-#`, `/gen/#`);
  /// - a family's tag, whatever words follow (`tag # …`);
  /// - after one of the generator's words (`sample #`, `batch #`, `(remix #)`);
  /// - marked off: ending in a colon or a bar, followed by a dash (not a range's `-` or `–`), a
  ///   bar or an arrow, or closing a bracket opened before it (`take #: …`, `run # — okay`,
  ///   `(draft #) the`).
  ///
  /// A number a sentence goes on after (`Fig. #A shows`, `Col. #, lines`, `Using # mg of`), a
  /// reference's (`(see fig. #)`, ``numberedSectionWords``) and a value in a formula (`x = #,
  /// so`) is the domain's.
  static func numbersTheRows(_ tokens: [String], at k: Int) -> Bool {
    let token = tokens[k]
    guard token.contains("#"), !isCitationOrStatistic(token) else { return false }
    // A chess move after its number (`#. bxf#`, `#... nd#`) is the game's; a thing's id, a
    // file's line and a release's version are the domain's.
    if k > 0, tokens[k - 1] == "#." || tokens[k - 1] == "#...", isChessMove(token) { return false }
    if namesAThing(tokens, at: k) || isFileLocation(token) || isVersion(token) { return false }
    // An analyte and its reading (`ca-# #.# u/ml:`): the domain's.
    if k + 1 < tokens.count, isMeasurement(tokens[k + 1]) { return false }
    if let hash = token.firstIndex(of: "#"), hash > token.startIndex {
      let before = token[..<hash]
      let glue = before.last!
      if glue.isLetter || ("_-/".contains(glue) && before.dropLast().last?.isLetter == true) { return true }
    }
    if tokens.last == "…" && k < tokens.count - 1 { return true }
    if k > 0 {
      let before = tokens[k - 1]
      let word = firstWord(of: before)
      if generatorWords.contains(word) || everydayGeneratorWords.contains(word) { return true }
      if numberedSectionWords.contains(word) || before.allSatisfy({ "=<>+-*/×≈≤≥~^".contains($0) }) {
        return false
      }
    }
    if let last = token.last, ":|：".contains(last) { return true }
    // A hyphen or an en dash alone after a number is a range's (`aged # - #`, `pages # – #`).
    if k + 1 < tokens.count, tokens[k + 1] != "-", tokens[k + 1] != "–",
      tokens[k + 1].allSatisfy({ "-–—|:>»→=".contains($0) })
    {
      return true
    }
    if let last = withoutClauseMarks(token).last, last == ")" || last == "]" {
      let open: Character = last == ")" ? "(" : "["
      // The bracket opens a token (`(draft v#)`, `(v#)`), not a citation's subdivision glued to
      // its number (`MPEP #.#(iv)`).
      return tokens[...k].contains { $0.first == open }
    }
    return false
  }

  /// The letters of a token shape from scripts written without spaces between words (Han,
  /// kana, Thai, Lao, Khmer, Myanmar).
  static func unspacedLetters(_ token: String) -> Int {
    token.unicodeScalars.reduce(0) { n, scalar in
      switch ScriptClass.of(scalar) {
      case .han, .kana, .southeastAsian: n + 1
      default: n
      }
    }
  }

  /// How unlike prose an opening is whose only number goes on into a sentence (`Blend matrix #
  /// says`, `Element # is`): listed, and confident only on at least five times the share other
  /// candidates need (``candidates(from:rows:minRows:minShare:highConfidenceShare:ignoring:)``). A
  /// domain writes its references a few percent of the rows each; a generator stamps one on many.
  static let numberInTheFlow = 0.75

  /// Whether a token shape after an opening's first word is a generator's: a code (`X#`), a
  /// template tag (`<<seed>>`, `{{t}}`), a bracket opening on one of its words (`[variant`,
  /// `[gen`, `[sample`), or a `key=value` of its settings (`(seed=#)`).
  static func isGeneratorTokenAfterAWord(_ token: String) -> Bool {
    if token.hasPrefix("X#") || token.hasPrefix("<<") || token.hasPrefix("{{") { return true }
    if token.hasPrefix("[") {
      let word = firstWord(of: token)
      return generatorWords.contains(word) || everydayGeneratorWords.contains(word)
    }
    return isKeyValue(token) && generatorSettings.contains(settingKey(of: token))
  }

  /// Whether a token shape is one of ``generatorWords`` closed in brackets, a colon or a comma
  /// perhaps after it: `(gen)`, `<synthetic>`, `{dup}:`; not `(generated by hand)` or `gen`.
  static func isClosedGeneratorWord(_ token: String) -> Bool {
    let bare = withoutClauseMarks(token)
    guard let open = bare.first, let close = bare.last, bare.count >= 3 else { return false }
    guard bracketPairs.contains(where: { $0 == (open, close) }) else { return false }
    let word = bare.dropFirst().dropLast()
    // `(paraphrase)` is an editor's mark, as `(emphasis added)` is.
    let lower = word.lowercased()
    return word.allSatisfy(\.isLetter) && generatorWords.contains(lower) && lower != "paraphrase"
  }

  /// Whether a token shape is one of ``BuiltinDetectors/scaffoldLabels`` closed in brackets
  /// (`(remix)`, `[variant]:`, `<persona>`) or ending in a colon (`persona:`); a label in prose
  /// (`remix`, `(variant of`) is not.
  static func isMarkedScaffoldLabel(_ token: String) -> Bool {
    let core = token.drop { !$0.isLetter }.reversed().drop { !$0.isLetter }.reversed()
    let word = String(core).lowercased()
    guard !word.isEmpty, BuiltinDetectors.scaffoldLabels.contains(word) else { return false }
    let before = token.prefix { !$0.isLetter }
    let after = token.reversed().prefix { !$0.isLetter }.reversed()
    let closed = bracketPairs.contains { open, close in before.hasSuffix(String(open)) && after.first == close
    }
    return closed || (before.isEmpty && String(after) == ":")
  }

  /// The code of a family's first token as written (`B7:` → `B7`, `(A4)` → `A4`): the
  /// `[A-Z]{1,3}[0-9]+[a-z]?` between punctuation, which ``regex(forShape:)`` lets around an
  /// `X#` (a colon after the code is the rule's tail's); `nil` when the token is not so made.
  static func code(ofToken token: String) -> String? {
    let scalars = Array(token.unicodeScalars)
    func isPunctuation(_ c: Unicode.Scalar) -> Bool {
      !(c.properties.isAlphabetic || c.properties.numericType != nil || c == "_" || c.properties.isWhitespace)
    }
    var i = 0
    while i < scalars.count && isPunctuation(scalars[i]) { i += 1 }
    let start = i
    while i < scalars.count && i - start < 3 && ("A"..."Z").contains(scalars[i]) { i += 1 }
    guard i > start else { return nil }
    let digits = i
    while i < scalars.count && ("0"..."9").contains(scalars[i]) { i += 1 }
    guard i > digits else { return nil }
    if i < scalars.count && ("a"..."z").contains(scalars[i]) { i += 1 }
    let end = i
    guard scalars[end...].allSatisfy({ isPunctuation($0) }) else { return nil }
    return String(String.UnicodeScalarView(scalars[start..<end]))
  }

  /// A family's codes (``DiscoveryStats/Example/codes``) to limit its rule to: those with two
  /// rows or more and at least 1% of the family's `rows`, when they hold at least half of
  /// them; `nil` otherwise. A generator's codes each open many rows; a domain code opening a
  /// sentence (`T2 The lesion`) opens a few.
  static func familyCodes(_ tokens: [String: Int]?, rows: Int) -> [String]? {
    guard let tokens else { return nil }
    var byCode: [String: Int] = [:]
    for (token, n) in tokens {
      guard let code = code(ofToken: token) else { continue }
      byCode[code, default: 0] += n
    }
    let kept = byCode.filter { $0.value >= max(2, (rows + 99) / 100) }
    guard !kept.isEmpty, 2 * kept.values.reduce(0, +) >= rows else { return nil }
    return orderedCodes(Array(kept.keys))
  }

  /// `codes` longest first (then in byte order): the order in which a regex alternation of them
  /// tries them is then the order in which `[A-Z]{1,3}[0-9]+[a-z]?` gives back its bytes.
  static func orderedCodes(_ codes: [String]) -> [String] {
    codes.sorted { ($0.utf8.count, $1) > ($1.utf8.count, $0) }
  }

  /// The regex of a family's code limited to `codes` (``orderedCodes(_:)``): the punctuation
  /// around an `X#` as ``regex(forShape:)`` takes it, and one of the codes.
  static func regex(forCodes codes: [String]) -> String {
    #"[^\w\s]*(?:"# + codes.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
      + #")[^\w\s:]*"#
  }

  /// A regular expression matching text of a shape.
  ///
  /// A `#` of a shape is a run of digits, a hex identifier (``hexIdentifierCore(_:)``) or a `#`
  /// of the text itself: shapes write them alike (`#8337 the claim` and `## Plan` are `## the
  /// claim` and `## plan`), so the rule matches every row the shape was counted from. In the
  /// regex it is a run of hex digits and hyphens holding a digit, or a `#`: a little wider than
  /// what is counted (`2024-01-15` and `b4e1` match a `#` too). Written
  /// `[a-fA-F-]*[0-9][0-9a-fA-F-]*`, one way only to split a run, so ICU's search stays linear.
  /// The `X` of a label and a letter (`variant-X`) is a capital letter, `[A-Z]`.
  static func regex(forShape shape: String) -> String {
    let tokens = shape.replacingOccurrences(of: " …", with: "").split(separator: " ")
    return tokens.map { token -> String in
      var out = ""
      var rest = Substring(token)
      if rest.hasPrefix("X#") {
        // A code's shape leaves out the punctuation around it (`E1.`, `(A4)`, `**B2**` are all
        // `X#`; a colon after it stays `X#:`), so its regex takes that punctuation too.
        out += #"[^\w\s]*[A-Z]{1,3}[0-9]+[a-z]?[^\w\s:]*"#
        rest = rest.dropFirst(2)
      }
      // The letter of a label and a letter (`variant-X`) is any capital letter.
      let letterCode = isLabelLetterShape(rest)
      var previous: Character? = nil
      for ch in rest {
        defer { previous = ch }
        if ch == "#" {
          out += "(?:[a-fA-F-]*[0-9][0-9a-fA-F-]*|#)"
        } else if letterCode && ch == "X" && previous == "-" {
          out += "[A-Z]"
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

  /// The labels whose one-word value after a colon is a template's slot
  /// (``labelSlot(ofLineShape:)``): ``labelWords`` but those a shop, a genome or a power plant
  /// writes so (`Variant: blue.`, `Generator: diesel.`), and the grade a pipeline gives each
  /// row (`Difficulty: hard.`). A setting (`variant=blue`) takes any of ``labelWords``, as
  /// ``stampsTheLine(_:at:)`` does.
  static let slotLabels: Set<String> = labelWords.subtracting(["variant", "generator"]).union(["difficulty"])

  /// A repeated line's shape read as one of the generator's labels and a one-word value, the
  /// slot of a template (`persona: nurse.`, `archetype: sage`, `persona=chef`): the shape of its
  /// family, the value as `*` (`persona: *.`, `persona=*`), and the value. The label (`persona:
  /// `, `persona=`) has its first word one of ``slotLabels``, or of ``labelWords`` before a `=`,
  /// perhaps joined to more of a name by `_` or `-`; the value is lower-case ASCII letters, `'`
  /// or `-`, opening with a letter (a label and a letter, `type-X`, and other scripts' words are
  /// not read), and the marks that end the line (`.`) follow it. `nil` for any other shape; a
  /// value with a number is a code, which its shape groups already (`persona: X#`).
  static func labelSlot(ofLineShape shape: String) -> (family: String, value: Substring)? {
    let label: Substring
    let rest: Substring
    if let colon = shape.range(of: ": "), !shape[colon.upperBound...].contains(" ") {
      label = shape[..<colon.upperBound]
      rest = shape[colon.upperBound...]
    } else if !shape.contains(" "), let eq = shape.firstIndex(of: "=") {
      label = shape[...eq]
      rest = shape[shape.index(after: eq)...]
    } else {
      return nil
    }
    let name = label.dropLast(label.hasSuffix(": ") ? 2 : 1)
    guard let first = name.first, first.isLetter,
      name.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }),
      (label.hasSuffix("=") ? labelWords : slotLabels).contains(firstWord(of: name))
    else { return nil }
    let value = rest.prefix { !".,;!".contains($0) }
    let end = rest[value.endIndex...]
    guard let v = value.first, v.isLetter, v.isASCII,
      value.allSatisfy({ ($0.isLowercase && $0.isASCII) || $0 == "'" || $0 == "-" }),
      end.allSatisfy({ ".,;!".contains($0) })
    else { return nil }
    return (label + "*" + end, value)
  }

  /// The regex of a label's family (``labelSlot(ofLineShape:)``): the label, one of `values` (any
  /// word past ``DiscoveryStats/Example/maxCodes`` of them) as a whole word, and the marks
  /// after it. `nil` when `family` is no such shape.
  static func labelSlotRegex(family: String, values: [String]) -> String? {
    guard let star = family.lastIndex(of: "*") else { return nil }
    let label = family[..<star]
    let end = family[family.index(after: star)...]
    let value = slotValueRegex(values)
    // The label is a word of its own (`productVariant=debug` is none), and after a colon the
    // value ends its line or sentence (`Archetype: control decks are…` is prose).
    guard label.hasSuffix(": ") else {
      return #"(?<![\w-])"# + regex(forShape: String(label)) + value + #"(?![\w'-])"#
        + NSRegularExpression.escapedPattern(for: String(end))
    }
    return #"(?<![\w-])"# + regex(forShape: String(label.dropLast())) + #"[ \t]+"# + value + #"(?![\w'-])"#
      + NSRegularExpression.escapedPattern(for: String(end)) + (end.isEmpty ? #"[ \t]*$"# : #"(?=\s|$)"#)
  }

  /// An opening's shape read as a label of one word, a colon and a one-word value that ends
  /// the first sentence or line (`style: nurse. okay,`, `tone: formal` alone on its line): a
  /// template's slot filled in at the reasoning's start, where the words after it vary with the
  /// row and split its rows over many shapes. The shape of its family, the value as `*` and
  /// `…` for the words after it (`style: *. …`; `tone: *` alone on its line), and the value;
  /// `nil` for any other shape. Natural openings and the reasoning's own
  /// sections (`okay: so`, `answer: yes.`, `step #:`) and a value running on into prose
  /// (`plan: first we`) are not slots.
  static func openingSlot(ofShape shape: String) -> (family: String, value: Substring)? {
    guard !shape.hasSuffix(" …") else { return nil }
    let tokens = shape.split(separator: " ", omittingEmptySubsequences: false)
    guard tokens.count == 2 || tokens.count == 3, tokens[0].hasSuffix(":") else { return nil }
    let name = tokens[0].dropLast()
    guard name.count >= 2, let first = name.first, first.isLetter,
      name.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" })
    else { return nil }
    let word = name.lowercased()
    guard !naturalFirstWords.contains(word), !numberedSectionWords.contains(word) else { return nil }
    let value = tokens[1].prefix { $0.isLetter || $0 == "'" || $0 == "-" }
    let end = tokens[1][value.endIndex...]
    // A shape writes a label and a letter as `type-X`: no word a rule could take.
    guard let v = value.first, v.isLetter, !value.contains(where: \.isUppercase),
      end.allSatisfy({ ".;".contains($0) }),
      tokens.count == 2 || !end.isEmpty
    else { return nil }
    return (shape[..<tokens[1].startIndex] + "*" + end + (tokens.count == 3 ? " …" : ""), value)
  }

  /// An opening's shape read as one of the generator's labels and a capital letter before a
  /// colon (`prompt template b:`, `variant c: okay,`): a template's letter, filled in at the
  /// reasoning's start, as a number would be (`template #:`). The shape of its family, the
  /// letter as `X` and `…` for the words after it (`prompt template X: …`), and the letter
  /// (the shape writes it in lower case). `nil` for any other shape; an opening of the letter
  /// alone (`b: the`) or a label of a section (`plan b:`, `option c:`) is none.
  static func letterSlot(ofShape shape: String) -> (family: String, value: Substring)? {
    guard !shape.hasSuffix(" …") else { return nil }
    let tokens = shape.split(separator: " ")
    guard
      let k = tokens.indices.dropFirst().first(where: { t in
        tokens[t].count == 2 && tokens[t].last == ":"
          && (tokens[t].first.map { $0.isASCII && $0.isLetter } ?? false)
      }),
      stampLabels.contains(String(tokens[k - 1]))
    else { return nil }
    return (tokens[..<k].joined(separator: " ") + " X: …", tokens[k].dropLast())
  }

  /// The regex of a letter slot's family (``letterSlot(ofShape:)``): the label, one of
  /// `values` in either case, the colon and the blanks after it. `nil` when `family` is no such
  /// shape.
  static func letterSlotRegex(family: String, values: [String]) -> String? {
    guard family.hasSuffix(" X: …"), !values.isEmpty, values.allSatisfy({ $0.count == 1 }) else { return nil }
    let label = String(family.dropLast(" X: …".count))
    // The shape writes the letter in lower case: either case is the template's.
    return regex(forShape: label) + #"[ \t]+(?:"#
      + values.sorted().map { "[\($0)\($0.uppercased())]" }.joined(separator: "|")
      + #"):[ \t]*"#
  }

  /// The regex of an opening slot's family (``openingSlot(ofShape:)``): the label, one
  /// of `values` (any word past ``DiscoveryStats/Example/maxCodes`` of them) and the marks after
  /// it, then the blanks before the reasoning (or the line's end). `nil` when `family` is no
  /// such shape.
  static func openingSlotRegex(family: String, values: [String]) -> String? {
    guard let star = family.lastIndex(of: "*"), family[..<star].hasSuffix(": ") else { return nil }
    let label = family[..<star].dropLast()
    let rest = family[family.index(after: star)...]
    let end = rest.hasSuffix(" …") ? rest.dropLast(2) : rest
    let value = slotValueRegex(values)
    return regex(forShape: String(label)) + #"[ \t]+"# + value + #"(?![\w'-])"#
      + NSRegularExpression.escapedPattern(for: String(end))
      // Alone on its line, the line break goes with it: `--repair` leaves no blank line.
      + (rest.hasSuffix(" …") ? #"[ \t]+"# : #"[ \t]*(?:\r?\n|\z)"#)
  }

  /// A slot's values as a regex: one of `values` (longest first), or any word past
  /// ``DiscoveryStats/Example/maxCodes`` of them.
  static func slotValueRegex(_ values: [String]) -> String {
    guard values.count <= DiscoveryStats.Example.maxCodes else { return #"\p{L}[\p{L}'-]*"# }
    return "(?:"
      + orderedCodes(values).map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|") + ")"
  }

  /// Groups the shapes `slot` reads as a family's (`persona: nurse.`, `persona: chef.` →
  /// `persona: *.`) into one shape per family of two member shapes or more (for openings one
  /// value may fill several: `language: english. okay,`, `language: english. let`), in `counts` and
  /// `examples`: its rows are its members' added up (a row holding two counts twice; at most
  /// `rows`), its example lines the first of theirs, its text its largest member's. Returns each
  /// family's values and their rows, most rows first.
  static func groupSlots(
    _ counts: inout [String: Int], _ examples: inout [String: DiscoveryStats.Example], rows: Int,
    slot: (String) -> (family: String, value: String)?
  ) -> [String: [(value: String, rows: Int)]] {
    var members: [String: [(shape: String, value: String, count: Int)]] = [:]
    for (shape, count) in counts {
      guard let s = slot(shape) else { continue }
      members[s.family, default: []].append((shape, s.value, count))
    }
    var values: [String: [(value: String, rows: Int)]] = [:]
    for (family, group) in members where group.count >= 2 && counts[family] == nil {
      let ordered = group.sorted { ($0.count, $1.value, $1.shape) > ($1.count, $0.value, $0.shape) }
      let text = examples[ordered[0].shape]?.text ?? ""
      var lines: [Int] = []
      for m in ordered {
        counts[m.shape] = nil
        lines += examples.removeValue(forKey: m.shape)?.lines ?? []
      }
      counts[family] = min(rows, ordered.reduce(0) { $0 + $1.count })
      examples[family] = DiscoveryStats.Example(lines: Array(Set(lines).sorted().prefix(5)), text: text)
      // A value's members (`nurse. okay,`, `nurse. let`) add up.
      var byValue: [String: Int] = [:]
      for m in ordered { byValue[m.value, default: 0] += m.count }
      values[family] = byValue.map { ($0.key, $0.value) }.sorted { ($0.rows, $1.value) > ($1.rows, $0.value) }
    }
    return values
  }

  /// How unlike natural prose a slot's family is (``groupSlots(_:_:rows:slot:)``): one of the
  /// generator's settings (`persona=*`, whose lines are each confident) is its stamp. A label,
  /// a colon and a word, at the reasoning's start or on a line (`style: *. …`, `persona: *.`),
  /// is listed high but not confident, whether its value varies or not: a template's slot looks
  /// like a domain's own labels (`Category: electronics.`, `Idea: induction.`, `Error:
  /// TypeError`, `Persona: Developer.`), which `clean` must not take unasked.
  static func slotUnnaturalness(family: String) -> Double {
    family.contains(": ") ? slotLabelUnnaturalness : 0.8
  }

  /// ``unnaturalness(_:kind:)`` of a label's slot written with a colon: ranked above other
  /// prose, never confident alone.
  static let slotLabelUnnaturalness = 0.7

  /// Words that a pipeline numbers its outputs with in a heading (`### Variant 3`, `--- sample
  /// 7 ---`, `Rewrite #12:`): its labels and verbs (``generatorWords``), and the words it
  /// numbers its samples, drafts and candidates with.
  static let headingWords: Set<String> = generatorWords.union(["sample", "draft", "candidate"])

  /// Whether a line's token shapes are a numbered heading of ``headingWords``: a heading's
  /// hashes or a rule, the word and its number, and the same rule again or nothing
  /// (`### variant #`, `--- sample # ---`, `== draft #`), or the word and its number ending in a
  /// colon (`rewrite ##:`, `variant #:`). Words and numbers after it (`### variant # of the
  /// gene`) are a title, not a stamp.
  static func isGeneratorHeading(_ tokens: [String]) -> Bool {
    func isNumber(_ token: String, colon: Bool) -> Bool {
      var bare = Substring(token)
      if colon {
        guard bare.hasSuffix(":") else { return false }
        bare = bare.dropLast()
      }
      if bare.hasPrefix("#") && bare.count > 1 && bare.dropFirst().allSatisfy({ $0 == "#" }) { return true }  // `#12`
      return bare == "#"
    }
    let words = headingWords
    if tokens.count == 2 {
      return words.contains(tokens[0]) && isNumber(tokens[1], colon: true)
    }
    guard (3...4).contains(tokens.count), words.contains(tokens[1]), isNumber(tokens[2], colon: false) else {
      return false
    }
    let edge = tokens[0]
    let heading = edge.allSatisfy { $0 == "#" } && edge.count <= 6
    let rule = edge.count >= 2 && edge.allSatisfy { $0 == "-" || $0 == "=" || $0 == "*" || $0 == "~" }
    guard heading || rule else { return false }
    return tokens.count == 3 || (rule && tokens[3] == edge)
  }

  /// Whether a line's token shapes rate the row's quality and nothing else (`quality score:
  /// #/#`, `quality: #.#`, `quality rating: #/#`): a generator's grade of what it wrote.
  static func isQualityRating(_ tokens: [String]) -> Bool {
    guard (2...3).contains(tokens.count), tokens[0] == "quality" || tokens[0] == "quality:",
      tokens[tokens.count - 2].hasSuffix(":"), let value = tokens.last
    else { return false }
    if tokens.count == 3, !["score:", "rating:", "grade:"].contains(tokens[1]) { return false }
    return ["#/#", "#", "#.#", "#/#.", "#.", "#.#.", "#.#/#", "#.#/#."].contains(value)
  }

  /// `candidates` without those a configured rule already is (``ScanConfiguration/ruledCandidateKeys``).
  static func leavingOut(ruled: Set<String>, from candidates: [DiscoveryCandidate]) -> [DiscoveryCandidate] {
    guard !ruled.isEmpty else { return candidates }
    return candidates.filter { c in c.rule().discoveryKey.map { !ruled.contains($0) } ?? true }
  }

  /// Ranks the statistics of a corpus of `rows` rows.
  ///
  /// - Parameters:
  ///   - minRows: fewest rows a candidate needs (default 3).
  ///   - minShare: smallest share of the corpus a candidate needs (default 1%).
  ///   - ignoring: shapes left out (``ScanConfiguration/discoveryIgnored``).
  ///   - highConfidenceShare: share above which code-like candidates are high-confidence (default
  ///     2%; five times that for an opening whose number goes on into a sentence,
  ///     ``numberInTheFlow``, and for a row index after a section's word, ``NumberSketch``).
  public static func candidates(
    from stats: DiscoveryStats, rows: Int, minRows: Int = 3, minShare: Double = 0.01,
    highConfidenceShare: Double = 0.02, ignoring: Set<String> = []
  ) -> [DiscoveryCandidate] {
    guard rows > 0 else { return [] }
    var out: [DiscoveryCandidate] = []
    func consider(
      _ kind: DiscoveryCandidate.Kind, _ counts: [String: Int], _ examples: [String: DiscoveryStats.Example],
      _ familyValues: [String: [(value: String, rows: Int)]]
    ) {
      for (shape, count) in counts where count >= minRows && !ignoring.contains(shape) {
        let share = Double(count) / Double(rows)
        guard share >= minShare else { continue }
        let slotValues = familyValues[shape]
        let values = slotValues?.map(\.value)
        var u = slotValues == nil ? unnaturalness(shape, kind: kind) : slotUnnaturalness(family: shape)
        let example = examples[shape]
        // A section's number that is new on nearly every row it opens (`Row 3551.`, `Example
        // 4821:`) is a row index, as a code is; reasoning's own numbering (`Step 1:`) is not.
        // Only a number marked off as a label's counts (`Row #.`, `Item # -`): one that a
        // sentence goes on after (`Problem # asks for`) may be the prompt's, echoed.
        // The numbers of the whole numbering decide: a shape of it and the word after it (`row
        // #. we`) holds fewer rows, whose numbers repeat less, when its family is counted.
        // A shape of two tokens (`row #.`, the number alone on its line) is none of the
        // family's, which counts openings of three tokens or more: its rows are its own, and
        // the family's rule (blanks after the number) does not take them.
        // Such a row index is confident only on five times the share other candidates need:
        // numbers new on every row also come from a range much wider than the rows (`Line
        // 428:` of a long file, `Section 1203:` of a code), which a domain opens a few percent
        // of its rows with; a generator stamps many.
        var rowIndex = false
        if kind == .opening, u < 0.8, NumberSketch.numbersTheRows(example?.numbers, rows: count),
          numberIsMarkedOff(shape),
          shape.hasSuffix(" …") || shape.split(separator: " ").count < 3
            || counts[numberingFamily(of: shape)] == nil
        {
          u = 0.8
          rowIndex = true
        }
        // A row's word and its number in brackets, the number new on nearly every row
        // (`<!-- row 8388 -->`, `(sample 4821)`), is a row index too, on the same share.
        if kind == .repeatedLine, u < 0.8, isNumberedBracket(shape),
          NumberSketch.numbersTheRows(example?.numbers, rows: count)
        {
          u = 0.8
          rowIndex = true
        }
        // A seed and its number in brackets (`(seed=#)`), or one of the generator's everyday
        // words and its number in square brackets (`[sample #]`), whose numbers repeat is an
        // experiment's, cited in its text: listed to accept, not confident. A template's
        // double brackets (`<<seed #>>`, `[[sample #]]`) stamp whatever their number
        // (``isNumberedSetting(_:)``, ``isNumberedBracket(_:)``). Under
        // ``NumberSketch/rowNumberingRows`` rows the numbers decide nothing.
        let sketched = example?.numbers != nil && count >= NumberSketch.rowNumberingRows
        // Whether the numbers decided, so the report shows how many there were.
        var numbersDecided = false
        if kind == .repeatedLine, u >= 0.8, sketched,
          isNumberedSetting(shape)
            || (shape.hasPrefix("[") && !shape.hasPrefix("[[") && isNumberedBracket(shape))
        {
          numbersDecided = true
          if !NumberSketch.numbersTheRows(example?.numbers, rows: count) {
            u = DiscoveryCandidate.acceptUnnaturalness
          }
        }
        // A line that only a bare seed stamps (`config: seed=#, batch #.`, `generated with
        // seed=# for this row.`) is a pipeline's when the seed is new on nearly every row,
        // however it stands in the sentence; an experiment's configuration quoted when a few
        // seeds repeat: listed to accept, or as prose in the flow of a sentence.
        if kind == .repeatedLine, sketched, isStampedByNumericSettingsOnly(shape) {
          numbersDecided = true
          if NumberSketch.numbersTheRows(example?.numbers, rows: count) {
            u = 1
          } else if u >= 0.8 {
            u = DiscoveryCandidate.acceptUnnaturalness
          }
        }
        // A row's key and its number (`[id:4821]`, `{"seed": 1234}`), the number new on nearly
        // every row: listed high, not confident (``isKeyedNumberTag(_:)``).
        var keyed = false
        if kind == .repeatedLine, u < slotLabelUnnaturalness, isKeyedNumberTag(shape),
          NumberSketch.numbersTheRows(example?.numbers, rows: count)
        {
          u = slotLabelUnnaturalness
          keyed = true
        }
        // A code after a ticker or a name that is a term of the domain (`KO Q1 FY2025: EPS`,
        // `AAPL Q3 revenue`), as an opening's first code is left out when it is one.
        if kind == .opening, u >= 0.8, let text = example?.text, Discovery.termFollowsFirstWord(text) {
          u = 0.5
        }
        // A line that opens with a term of the domain (`V8 engine: displacement # l`, `B12
        // deficiency: …`), whose code the line's shape writes `X#`, is the domain's, as such an
        // opening is left out of the openings: listed, not confident.
        if kind == .repeatedLine, u >= 0.8, shape.hasPrefix("X#"), let text = example?.text,
          Discovery.startsWithDomainTerm(text)
        {
          u = 0.5
        }
        // One opening repeated word for word (`CO2 emissions rose`) is not a generated family,
        // unless it is built as a label or tag (`C2 umami bridge:`, `[persona lawyer]`) or is
        // the generator's own word and number (`— remix 12`).
        let tagged = [":", "[", "=", "<", "{", "(", "|"].contains { shape.contains($0) }
        if kind == .opening, !tagged, !opensWithGeneratorNumber(shape), let variants = example?.variants,
          variants.count < 2
        {
          u = min(u, 0.3)
        }
        // A constant stamp no list names, read by its shape (`(draft) …`, `~~ swirl ~~ …`,
        // `~~swirl~~ …`, `tone check ok. …`): its tag is the same on every row it opens, so
        // it is one opening repeated, but a tenth of the rows opening so is a pipeline's.
        if kind == .opening, u < 0.8, let stamp = constantStamp(ofShape: shape) {
          if share >= 5 * highConfidenceShare {
            // Listed high, never confident: natural text has every one of these shapes on a
            // tenth of its rows (a transcript's `(laughs)`, a screenplay's `(beat)`, a proof's
            // `(Proof)` or `{Lemma}`, an editor's `~~Done~~`, `-- Update --`, a domain's
            // `Base case.`), so `clean` takes them once they are accepted.
            u = max(u, slotLabelUnnaturalness)
          } else if stamp != .listedFamily {
            continue
          }
        }
        guard u >= 0.3 else { continue }
        out.append(
          DiscoveryCandidate(
            kind: kind, shape: shape, count: count, share: share, unnaturalness: u, score: share * u,
            highConfidence: u >= 0.8 && share >= (rowIndex ? 5 : 1) * highConfidenceShare
              || (u == numberInTheFlow && share >= 5 * highConfidenceShare),
            exampleLines: example?.lines ?? [],
            example: example?.text ?? "",
            codes: kind == .opening && isCodeFamily(shape) ? familyCodes(example?.codes, rows: count) : nil,
            distinctNumbers: kind == .opening || rowIndex || keyed || numbersDecided
              ? example?.numbers.map { min(count, Int(NumberSketch.estimate($0).rounded())) } : nil,
            values: values))
      }
    }
    // A label's openings or lines that differ only in their one-word value (`Style: nurse.
    // Okay, so`, `Persona: chef.` after a sentence) are one template's slot: they are judged
    // and listed as one family.
    var openings = stats.openings
    var openingExamples = stats.openingExamples
    var openingValues = groupSlots(&openings, &openingExamples, rows: rows) { shape in
      openingSlot(ofShape: shape).map { ($0.family, String($0.value)) }
    }
    openingValues.merge(
      groupSlots(&openings, &openingExamples, rows: rows) { shape in
        letterSlot(ofShape: shape).map { ($0.family, String($0.value)) }
      }
    ) { mine, _ in mine }
    consider(.opening, openings, openingExamples, openingValues)
    var lines = stats.lines
    var lineExamples = stats.lineExamples
    let lineValues = groupSlots(&lines, &lineExamples, rows: rows) { shape in
      labelSlot(ofLineShape: shape).map { ($0.family, String($0.value)) }
    }
    consider(.repeatedLine, lines, lineExamples, lineValues)
    return out.sorted { ($0.score, $0.count, $1.shape) > ($1.score, $1.count, $0.shape) }
  }
}

/// Opening shapes counted during one scan pass, keyed by the bytes of the first three token
/// shapes: rows that share a shape (the point of counting them) make no `String`.
struct OpeningTally {
  /// An opening shape's counts; its name is `names.keys[index]`.
  private struct Shape {
    var count = 0
    var lines: [Int] = []
    var text = ""
    /// ``DiscoveryStats/Example/variants``, as bytes (ASCII: byte order is String order).
    var variants: [[UInt8]] = []
    /// ``DiscoveryStats/Example/codes`` of the code family, as bytes; `nil` for other shapes
    /// and past ``DiscoveryStats/Example/maxCodes`` tokens.
    var codes: [(token: [UInt8], rows: Int)]? = nil
    /// Whether the shape opens with a section's word and its number
    /// (``Discovery/isNumberedSection(_:)``), whose numbers `numbers` sketches.
    var numbered = false
    /// ``DiscoveryStats/Example/numbers``.
    var numbers: [UInt8]? = nil
  }
  private var shapes: [Shape] = []
  /// Shapes kept before the rarest are dropped (``BoundedTally``).
  private let capacity: Int
  /// Whether shapes were dropped.
  private var pruned = false
  /// Shape names (bytes) → index into `shapes`.
  private var names = ByteKeyTable()
  /// Joined token-shape bytes → the opening's shapes (one or two indices into `shapes`).
  private var cache = ByteKeyTable()
  /// Per cached entry: the opening's shape, its family shape (or -1), the family's kind when
  /// it is a head family (`X# …`, `## …`, `variant-X …`), which counts only openings with the
  /// family rule's structure, and the tokens the family covers (1 for a head family, the
  /// tag's for a tag family).
  private var cached: [(Int, Int, Discovery.HeadFamily?, Int)] = []
  /// Where each of the current opening's first three tokens ends (bytes of the opening, and
  /// of `scratch`).
  private var tokenEnds = (0, 0, 0)
  private var shapeTokenEnds = (0, 0, 0)
  private var scratch: [UInt8] = []
  private var codeName: [UInt8] = []
  /// Shapes already counted for the current row.
  private var seen: [Int] = []
  /// Where the first line of each of the row's openings ends (``addRow(_:in:line:)``).
  private var lineEnds: [Int] = []
  /// Whether each opening of the row being counted restates a code of its prompt.
  private var restating: [Bool] = []

  /// The repeated-line shapes of the plain ASCII lines of rows read as bytes.
  private(set) var lines: LineTally

  /// Starts a row's lines (``LineTally/start()``).
  mutating func startLines() { lines.start() }

  /// Counts a trimmed plain ASCII line (``LineTally/add(ascii:line:)``).
  mutating func addLine(ascii bytes: UnsafeBufferPointer<UInt8>, line: Int) {
    lines.add(ascii: bytes, line: line)
  }

  /// The line counts, leaving an empty tally in their place.
  mutating func takeLines() -> LineTally {
    defer { lines = LineTally(capacity: capacity) }
    return lines
  }

  /// Counts a row's openings (`bytes.openings`, ranges of its storage `all`) when the first
  /// line of each is plain ASCII; `false`, counting nothing, otherwise. A numbered opening's
  /// number that the row's text outside the reasoning holds (``RowBytes/echoes(_:before:in:)``)
  /// is left out of its sketch, as ``DiscoveryStats/addOpenings(_:line:echoes:)`` leaves it.
  mutating func addRow(of bytes: borrowing RowBytes, in all: UnsafeBufferPointer<UInt8>, line: Int) -> Bool {
    // Where each opening's first line ends (the row is counted here only when every first line
    // is plain ASCII), and whether it restates a code of the prompt
    // (``Discovery/restatesCode(_:echoes:)``), which is not counted.
    lineEnds.removeAll(keepingCapacity: true)
    restating.removeAll(keepingCapacity: true)
    var ascii = true
    for opening in bytes.openings {
      let text = UnsafeBufferPointer(rebasing: all[opening])
      guard let end = DiscoveryStats.asciiFirstLineEnd(of: text) else {
        ascii = false
        break
      }
      lineEnds.append(opening.lowerBound + end)
      restating.append(
        Discovery.restatesCode(UnsafeBufferPointer(rebasing: text[..<end])) {
          bytes.echoes($0, before: opening, in: all, word: true)
        })
    }
    if ascii { addRow(bytes.openings, in: all, line: line) }
    // The numbers of the row's numbered openings, now that the row is at hand (a closure
    // holding it on every row would copy it, retaining each of its buffers): those the row's
    // text outside the reasoning holds are the prompt's and left out.
    if !pendingNumbers.isEmpty {
      pendingNumbers.removeAll { pending in
        pending.digits.withUnsafeBufferPointer { bytes.echoes($0, before: pending.opening, in: all) }
      }
    }
    addPendingNumbers()
    return ascii
  }

  /// ``addRow(of:in:line:)`` of the openings `openings`, whose first lines end at `lineEnds`
  /// (plain ASCII, found by the caller, as `restating` is), leaving their numbers in
  /// `pendingNumbers`.
  private mutating func addRow(_ openings: [Range<Int>], in all: UnsafeBufferPointer<UInt8>, line: Int) {
    startRow()
    for k in openings.indices where !restating[k] {
      currentOpening = openings[k]
      add(UnsafeBufferPointer(rebasing: all[openings[k].lowerBound..<lineEnds[k]]), line: line)
    }
  }

  /// The numbers of numbered openings counted since the row started, with their shape and
  /// their opening, for ``addRow(of:in:line:)`` to check against the row's other text.
  private var pendingNumbers: [(index: Int, digits: [UInt8], opening: Range<Int>)] = []
  /// The opening being counted (its range in the row's storage).
  private var currentOpening = 0..<0

  /// Adds the numbers left pending to their sketches (after ``addRow(of:in:line:)`` has left
  /// out the echoed ones; unchecked for openings counted with ``add(_:line:)`` alone).
  private mutating func addPendingNumbers() {
    for (index, digits, _) in pendingNumbers { NumberSketch.add(digits: digits, to: &shapes[index].numbers) }
    pendingNumbers.removeAll(keepingCapacity: true)
  }

  /// A tally that keeps at most about `capacity` shapes.
  init(capacity: Int = 100_000) {
    self.capacity = max(2, capacity)
    lines = LineTally(capacity: capacity)
  }

  /// Starts a row: its openings' shapes are counted once per row.
  mutating func startRow() {
    addPendingNumbers()
    seen.removeAll(keepingCapacity: true)
    if names.count > capacity { prune() }
  }

  /// Drops the rarest shapes (between rows, so no index of the row is held) and the cache of
  /// token shapes, which refers to them.
  private mutating func prune() {
    pruned = true
    _ = names.keepMostFrequent(&shapes, keeping: capacity / 2) { $0.count }
    cache = ByteKeyTable()
    cached.removeAll(keepingCapacity: true)
  }

  /// Counts one opening of the current row from its ASCII first line (at most 60 bytes).
  mutating func add(_ first: UnsafeBufferPointer<UInt8>, line: Int) {
    // A domain term (`CO2: …`, `Q1 revenue: …`) is no family, however often it opens.
    guard !first.isEmpty, !DesignatorMatcher.startsWithDomainTerm(first) else { return }
    let found = shapes(of: first)
    let words = coveredEnd
    let familyEnd = found.3 >= 3 ? tokenEnds.2 : (found.3 == 2 ? tokenEnds.1 : tokenEnds.0)
    count(found.0, first, line, variant: words)
    // A tag of every token shaped (`~~ swirl ~~`) is a family only when words follow it on the
    // line (``Discovery/openingShapes(_:)``).
    if found.3 >= shapedTokens && found.1 >= 0 {
      var i = familyEnd
      while i < first.count && (first[i] == 0x20 || first[i] == 0x09 || first[i] == 0x0D) { i += 1 }
      if i == first.count { return }
    }
    if found.2.map({ Discovery.hasHeadFamilyStructure(first, $0) }) ?? true {
      count(found.1, first, line, variant: words.lowerBound..<familyEnd, isCodeFamily: found.2 == .code)
    }
  }

  private mutating func count(
    _ index: Int, _ first: UnsafeBufferPointer<UInt8>, _ line: Int, variant: Range<Int>,
    isCodeFamily: Bool = false
  ) {
    guard index >= 0, !seen.contains(index) else { return }
    seen.append(index)
    let text = UnsafeBufferPointer(rebasing: first[variant])
    if shapes[index].count == 0 {
      shapes[index].text = String(decoding: first, as: UTF8.self)
      if isCodeFamily { shapes[index].codes = [] }
    }
    if isCodeFamily { countCode(text, index) }
    if shapes[index].numbered { countNumber(first, index) }
    shapes[index].count += 1
    if shapes[index].lines.count < 5 { shapes[index].lines.append(line) }
    // The two smallest distinct texts the shape is made from, compared as bytes (in place: no
    // copy of the kept arrays, which would retain them on every row).
    @inline(__always) func order(_ k: Int) -> Int {
      shapes[index].variants[k].withUnsafeBufferPointer { kept in
        let common = min(kept.count, text.count)
        var i = 0
        while i < common {
          if text[i] != kept[i] { return Int(text[i]) - Int(kept[i]) }
          i += 1
        }
        return text.count - kept.count
      }
    }
    switch shapes[index].variants.count {
    case 2:
      guard order(1) < 0 else { return }
      let o0 = order(0)
      guard o0 != 0 else { return }
      shapes[index].variants[1] = Array(text)
      if o0 < 0 { shapes[index].variants.swapAt(0, 1) }
    case 1:
      let o = order(0)
      guard o != 0 else { return }
      shapes[index].variants.insert(Array(text), at: o < 0 ? 0 : 1)
    default:
      shapes[index].variants = [Array(text)]
    }
  }

  /// Leaves the digits of the number of the opening `first` (shape `index`, numbered: its
  /// first token's when that holds digits, as `[0148]` does, or else its second's) for the
  /// shape's sketch (``addRow(of:in:line:)`` checks them against the row's prompt, as
  /// ``DiscoveryStats/addOpenings(_:line:echoes:)`` does).
  private mutating func countNumber(_ first: UnsafeBufferPointer<UInt8>, _ index: Int) {
    var digits = Array(first[..<tokenEnds.0].lazy.filter(NoteMatcher.isDigit))
    if digits.isEmpty { digits = Array(first[tokenEnds.0..<tokenEnds.1].lazy.filter(NoteMatcher.isDigit)) }
    pendingNumbers.append((index, digits, currentOpening))
  }

  /// Counts the first token `token` of a code family's opening (shape `index`).
  private mutating func countCode(_ token: UnsafeBufferPointer<UInt8>, _ index: Int) {
    guard let n = shapes[index].codes?.count else { return }
    for k in 0..<n {
      let same = shapes[index].codes![k].token.withUnsafeBufferPointer { kept in
        kept.count == token.count
          && (kept.count == 0 || memcmp(kept.baseAddress!, token.baseAddress!, kept.count) == 0)
      }
      if same {
        shapes[index].codes![k].rows += 1
        return
      }
    }
    if n == DiscoveryStats.Example.maxCodes {
      shapes[index].codes = nil
    } else {
      shapes[index].codes!.append((Array(token), 1))
    }
  }

  /// Where the first three words, and the first word, of the last opening shaped end.
  private var coveredEnd = 0..<0
  /// How many tokens (at most three) the last opening shaped has.
  private var shapedTokens = 0

  /// ``Discovery/openingShapes(_:)`` of an ASCII first line, as indices into `shapes` (-1 for
  /// none).
  private mutating func shapes(of first: UnsafeBufferPointer<UInt8>) -> (Int, Int, Discovery.HeadFamily?, Int)
  {
    // The first three words (split at spaces and tabs), shaped and joined by spaces.
    scratch.removeAll(keepingCapacity: true)
    var i = 0
    var tokens = 0
    var firstTokenEnd = 0
    var start = -1
    // Where the last word taken ends (blanks after it are no part of the variant).
    var end = 0
    while tokens < 3 {
      while i < first.count && (first[i] == 0x20 || first[i] == 0x09) { i += 1 }
      guard i < first.count else { break }
      if start < 0 { start = i }
      var j = i
      while j < first.count && first[j] != 0x20 && first[j] != 0x09 { j += 1 }
      if tokens > 0 { scratch.append(0x20) }
      Discovery.appendASCIITokenShape(UnsafeBufferPointer(rebasing: first[i..<j]), to: &scratch)
      if tokens == 0 { firstTokenEnd = scratch.count }
      switch tokens {
      case 0: (tokenEnds.0, shapeTokenEnds.0) = (j, scratch.count)
      case 1: (tokenEnds.1, shapeTokenEnds.1) = (j, scratch.count)
      default: (tokenEnds.2, shapeTokenEnds.2) = (j, scratch.count)
      }
      tokens += 1
      i = j
      end = j
    }
    coveredEnd = start < 0 ? 0..<0 : start..<end
    shapedTokens = tokens
    let (entry, isNew) = cache.index(of: scratch)
    if !isNew { return cached[entry] }
    // First sight: the names `Discovery.openingShapes` gives (the joined token shapes, and the
    // first token's code form), from the shapes already on hand.
    var found: (Int, Int, Discovery.HeadFamily?, Int) = (-1, -1, nil, 1)
    if tokens > 0 {
      found.0 = shapeIndex(named: scratch)
      let firstShape = scratch[..<firstTokenEnd]
      if tokens > 1 && Self.isCodeLike(firstShape) {
        codeName.removeAll(keepingCapacity: true)
        codeName.append(contentsOf: firstShape.last == UInt8(ascii: ":") ? firstShape.dropLast() : firstShape)
        codeName.append(contentsOf: " …".utf8)
        found.1 = shapeIndex(named: codeName)
        found.2 = Discovery.headFamily(ofShape: String(decoding: codeName, as: UTF8.self))
      } else if tokens > 1 && !Self.mayOpenFamily(scratch, tokens: tokens, ends: shapeTokenEnds) {
        // Most natural openings (`okay, so the`): no token but the last holds a `#`, an `X` or
        // ends in a tag mark, so no family below could take them; decided on bytes, without
        // the `String`s the family tests read.
      } else if tokens > 1,
        let head = Discovery.headFamilyToken(String(decoding: firstShape, as: UTF8.self))
      {
        // A hash and a number, or a label and a letter (``Discovery/headFamilyToken(_:)``).
        codeName = Array(head.utf8) + Array(" …".utf8)
        found.1 = shapeIndex(named: codeName)
        found.2 = Discovery.headFamily(ofShape: head + " …")
      } else if tokens > 1 {
        // A tag family (``Discovery/tagFamilyTokens(_:)``), decided once per distinct shape.
        let ends = [shapeTokenEnds.0, shapeTokenEnds.1, shapeTokenEnds.2].prefix(tokens)
        var from = 0
        let shaped = ends.map { end -> String in
          defer { from = end + 1 }
          return String(decoding: scratch[from..<end], as: UTF8.self)
        }
        if let k = Discovery.tagFamilyTokens(shaped) {
          codeName.removeAll(keepingCapacity: true)
          codeName.append(contentsOf: scratch[..<ends[k - 1]])
          codeName.append(contentsOf: " …".utf8)
          found.1 = shapeIndex(named: codeName)
          found.3 = k
        } else if Discovery.isIdentifierFamily(shaped) {
          codeName.removeAll(keepingCapacity: true)
          codeName.append(contentsOf: scratch[..<ends[0]])
          codeName.append(contentsOf: " …".utf8)
          found.1 = shapeIndex(named: codeName)
        }
      }
    }
    // A section's word and its number (`row #.`) or a bracketed number (`[#]`): its shapes
    // sketch the numbers.
    if tokens > 1
      && (scratch[firstTokenEnd + 1] == UInt8(ascii: "#")
        || (scratch[1] == UInt8(ascii: "#")
          && (scratch[0] == UInt8(ascii: "[") || scratch[0] == UInt8(ascii: "("))))
      && Discovery.opensWithNumbering([
        String(decoding: scratch[..<firstTokenEnd], as: UTF8.self),
        String(decoding: scratch[(firstTokenEnd + 1)..<shapeTokenEnds.1], as: UTF8.self),
      ])
    {
      for index in [found.0, found.1] where index >= 0 { shapes[index].numbered = true }
    }
    cached.append(found)
    return found
  }

  /// Whether the joined token shapes `scratch` (`tokens` of them, ending at `ends`) may open
  /// a family that ``Discovery/headFamilyToken(_:)``, ``Discovery/tagFamilyTokens(_:)`` or
  /// ``Discovery/isIdentifierFamily(_:)`` takes: each needs a token before the last that holds
  /// a `#` (a number, a hash) or an `X` (a label and a letter), or ends in a tag mark
  /// (``Discovery/isTagMark(_:)``). `false` rules all three out; `true` leaves it to them.
  static func mayOpenFamily(_ scratch: [UInt8], tokens: Int, ends: (Int, Int, Int)) -> Bool {
    let lastEnds = [ends.0, ends.1, ends.2].prefix(tokens - 1)
    var from = 0
    for end in lastEnds {
      for k in from..<end where scratch[k] == UInt8(ascii: "#") || scratch[k] == UInt8(ascii: "X") {
        return true
      }
      if end > from && isTagMarkByte(scratch[end - 1]) { return true }
      from = end + 1
    }
    // A short sentence (``Discovery/constantSentenceTokens(_:)``) ends at the second or third.
    for end in [ends.1, ends.2].prefix(tokens - 1) {
      let b = scratch[end - 1]
      if b == UInt8(ascii: ".") || b == UInt8(ascii: "!") || b == UInt8(ascii: "?") { return true }
    }
    return false
  }

  /// ``Discovery/isTagMark(_:)`` of an ASCII byte.
  @inline(__always) static func isTagMarkByte(_ b: UInt8) -> Bool {
    !(NoteMatcher.isLetter(b) || NoteMatcher.isDigit(b) || b == UInt8(ascii: "#") || b == UInt8(ascii: "'")
      || b == UInt8(ascii: "\"") || b == UInt8(ascii: ",") || b == UInt8(ascii: ".") || b == UInt8(ascii: ";")
      || b == UInt8(ascii: "!") || b == UInt8(ascii: "?") || b == UInt8(ascii: "("))
  }

  private mutating func shapeIndex(named name: [UInt8]) -> Int {
    let (index, isNew) = names.index(of: name)
    if isNew { shapes.append(Shape()) }
    return index
  }

  /// ``Discovery/isCodeLike(_:)`` on the bytes of a token shape.
  static func isCodeLike(_ shape: ArraySlice<UInt8>) -> Bool {
    shape.starts(with: "X#".utf8) || shape.first == UInt8(ascii: "[") || isKeyValue(shape)
      || shape.starts(with: "<<".utf8) || shape.starts(with: "{{".utf8)
  }

  /// ``Discovery/isKeyValue(_:)`` on the bytes of an ASCII token shape.
  static func isKeyValue(_ shape: ArraySlice<UInt8>) -> Bool {
    guard let eq = shape.firstIndex(of: UInt8(ascii: "=")), eq > shape.startIndex else { return false }
    let b = shape[eq - 1]
    return b | 0x20 >= 0x61 && b | 0x20 <= 0x7A || b >= 0x30 && b <= 0x39 || b == 0x5F || b == 0x23
  }

  /// Adds the opening counts to `stats` (examples merge by line, as shards do); the line
  /// counts stay in ``lines``, for the scan to merge on bytes.
  mutating func flush(into stats: inout DiscoveryStats) {
    addPendingNumbers()
    if pruned { stats.pruned = true }
    for (index, shape) in shapes.enumerated() where shape.count > 0 {
      DiscoveryStats.fold(
        names.key(index), shape.count, into: &stats.openings, &stats.openingExamples,
        DiscoveryStats.Example(
          lines: shape.lines, text: shape.text,
          variants: shape.variants.map { String(decoding: $0, as: UTF8.self) },
          codes: shape.codes.map { codes in
            Dictionary(
              uniqueKeysWithValues: codes.map { (String(decoding: $0.token, as: UTF8.self), $0.rows) })
          }, numbers: shape.numbers))
    }
  }
}

/// The repeated-line shapes of plain ASCII lines (``DiscoveryStats/lines`` and their
/// examples), counted and merged by their bytes: a `String` is made for a shape only when the
/// scan's counts go into ``DiscoveryStats`` at its end, after the rarest were dropped. Each
/// shape counts once per row; the first five rows' lines and the first text are kept.
struct LineTally: Sendable {
  /// A shape's counts; its name is `names.key(index)`.
  private struct Shape {
    var count = 0
    var lines: [Int] = []
    var text: [UInt8] = []
    /// Whether the shape's numbers are sketched (``Discovery/sketchesNumbers(_:)``: a row's word
    /// or key and its number, a bracketed seed, a line a bare seed stamps) into `numbers`.
    var numbered = false
    /// ``DiscoveryStats/Example/numbers``.
    var numbers: [UInt8]? = nil
  }
  private var shapes: [Shape] = []
  private var names = ByteKeyTable()
  /// Shapes already counted for the current row.
  private var seen: [Int] = []
  /// Whether shapes were dropped.
  private(set) var pruned = false
  private var scratch: [UInt8] = []
  /// Shapes kept before the rarest are dropped (``BoundedTally``).
  let capacity: Int

  /// A tally that keeps at most about `capacity` shapes while rows are counted.
  init(capacity: Int = 100_000) { self.capacity = max(2, capacity) }

  /// The number of shapes.
  var count: Int { names.count }

  /// Starts a row's lines: each shape is counted once per row; the rarest shapes are dropped
  /// (between rows) when the table holds more than the capacity.
  mutating func start() {
    seen.removeAll(keepingCapacity: true)
    if names.count > capacity { prune(keeping: capacity / 2) }
  }

  /// Counts the trimmed plain ASCII line `bytes` of row `line` (8–80 bytes), as
  /// `DiscoveryStats.addLine` counts a line: its shape once per row, the first five rows'
  /// lines and the first text.
  mutating func add(ascii bytes: UnsafeBufferPointer<UInt8>, line: Int) {
    scratch.removeAll(keepingCapacity: true)
    Discovery.appendASCIILineShape(bytes, to: &scratch)
    let (index, isNew) = names.index(of: scratch)
    if isNew {
      let numbered =
        (Discovery.mayBeNumberedBracket(scratch) || Discovery.mayHoldNumericSetting(scratch))
        && Discovery.sketchesNumbers(String(decoding: scratch, as: UTF8.self))
      shapes.append(Shape(text: Array(bytes), numbered: numbered))
    }
    guard !seen.contains(index) else { return }
    seen.append(index)
    shapes[index].count += 1
    if shapes[index].lines.count < 5 { shapes[index].lines.append(line) }
    if shapes[index].numbered {
      NumberSketch.add(digits: Discovery.settingDigits(of: bytes), to: &shapes[index].numbers)
    }
  }

  /// Drops the rarest shapes, keeping at most `keep` (``BoundedTally/threshold(_:keeping:)``).
  mutating func prune(keeping keep: Int) {
    guard names.count > keep else { return }
    pruned = true
    _ = names.keepMostFrequent(&shapes, keeping: keep) { $0.count }
  }

  /// Adds the counts of a tally of later rows (tallies merge in line order: this one's lines
  /// and texts come first).
  mutating func merge(_ later: LineTally) {
    if later.pruned { pruned = true }
    for (k, shape) in later.shapes.enumerated() where shape.count > 0 {
      let (index, isNew) = later.names.key(k).withUnsafeBufferPointer { names.index(of: $0) }
      if isNew {
        shapes.append(shape)
        continue
      }
      shapes[index].count += shape.count
      for line in shape.lines where shapes[index].lines.count < 5 { shapes[index].lines.append(line) }
      if let theirs = shape.numbers {
        var numbers = shapes[index].numbers ?? []
        NumberSketch.merge(&numbers, theirs)
        shapes[index].numbers = numbers
      }
    }
  }

  /// Adds the counts to `stats`, first dropping the rarest shapes when there are more than the
  /// capacity (as ``DiscoveryStats/prune(capacity:)`` drops them), so that only the kept
  /// shapes become `String`s.
  mutating func flush(into stats: inout DiscoveryStats) {
    if names.count > capacity { prune(keeping: capacity / 2) }
    if pruned { stats.pruned = true }
    for (index, shape) in shapes.enumerated() where shape.count > 0 {
      DiscoveryStats.fold(
        names.key(index), shape.count, into: &stats.lines, &stats.lineExamples,
        DiscoveryStats.Example(
          lines: shape.lines, text: String(decoding: shape.text, as: UTF8.self), numbers: shape.numbers))
    }
    shapes.removeAll()
    names = ByteKeyTable()
  }
}

/// Byte strings numbered in order of first sight, in an open-addressing table (no `String`
/// made and no `Hasher` run per lookup). The keys' bytes lie back to back in one buffer, and
/// each slot holds the key's number with 32 bits of its hash, so a probe reads one slot and
/// compares bytes only when the hash bits agree.
struct ByteKeyTable {
  /// The keys' bytes, back to back; key `k` is `bytes[ends[k - 1] ..< ends[k]]`.
  private var bytes: [UInt8] = []
  private var ends: [Int] = []
  /// Per slot: the high 32 bits of the key's hash and its number + 1 (0 for an empty slot).
  private var slots = [(tag: UInt32, number: UInt32)](repeating: (0, 0), count: 1024)

  /// The number of keys.
  var count: Int { ends.count }

  /// The bytes of key `k`.
  func key(_ k: Int) -> ArraySlice<UInt8> { bytes[(k == 0 ? 0 : ends[k - 1])..<ends[k]] }

  /// The keys, by number.
  var keys: [ArraySlice<UInt8>] { (0..<count).map(key) }

  /// The number of `key`, and whether it was added by this call.
  mutating func index(of key: [UInt8]) -> (index: Int, isNew: Bool) {
    key.withUnsafeBufferPointer { index(of: $0) }
  }

  /// The number of the key `key`, and whether it was added by this call.
  mutating func index(of key: UnsafeBufferPointer<UInt8>) -> (index: Int, isNew: Bool) {
    let hash = Self.hash(key)
    let tag = UInt32(truncatingIfNeeded: hash >> 32)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let (t, number) = slots[slot]
      if number == 0 { break }
      if t == tag {
        let k = Int(number) - 1
        let start = k == 0 ? 0 : ends[k - 1]
        if ends[k] - start == key.count
          && bytes.withUnsafeBufferPointer({ all in
            Self.equal(UnsafeRawPointer(all.baseAddress! + start), key)
          })
        {
          return (k, false)
        }
      }
      slot = (slot + 1) & mask
    }
    bytes.append(contentsOf: key)
    ends.append(bytes.count)
    slots[slot] = (tag, UInt32(ends.count))
    if ends.count * 2 > slots.count { grow() }
    return (ends.count - 1, true)
  }

  /// Whether the `key.count` bytes at `stored` are `key`'s, eight at a time (keys are short:
  /// a call to `memcmp` costs more).
  @inline(__always) private static func equal(_ stored: UnsafeRawPointer, _ key: UnsafeBufferPointer<UInt8>)
    -> Bool
  {
    guard let base = key.baseAddress else { return true }
    let other = UnsafeRawPointer(base)
    let n = key.count
    var i = 0
    while i + 8 <= n {
      if stored.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        != other.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      {
        return false
      }
      i += 8
    }
    while i < n {
      if stored.load(fromByteOffset: i, as: UInt8.self) != other.load(fromByteOffset: i, as: UInt8.self) {
        return false
      }
      i += 1
    }
    return true
  }

  /// A hash of `key`, eight bytes at a time, mixed.
  private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
    let raw = UnsafeRawBufferPointer(key)
    var hash = UInt64(raw.count) &* 0x9E37_79B9_7F4A_7C15
    var i = 0
    while i + 8 <= raw.count {
      hash = (hash ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
      hash ^= hash >> 31
      i += 8
    }
    var tail: UInt64 = 0
    while i < raw.count {
      tail = tail << 8 | UInt64(raw[i])
      i += 1
    }
    return mix64(hash ^ tail)
  }

  private mutating func grow() {
    var bigger = [(tag: UInt32, number: UInt32)](repeating: (0, 0), count: slots.count * 2)
    let mask = bigger.count - 1
    bytes.withUnsafeBufferPointer { all in
      for k in 0..<ends.count {
        let start = k == 0 ? 0 : ends[k - 1]
        let hash = Self.hash(UnsafeBufferPointer(rebasing: all[start..<ends[k]]))
        var slot = Int(truncatingIfNeeded: hash) & mask
        while bigger[slot].number != 0 { slot = (slot + 1) & mask }
        bigger[slot] = (UInt32(truncatingIfNeeded: hash >> 32), UInt32(k + 1))
      }
    }
    slots = bigger
  }
}
