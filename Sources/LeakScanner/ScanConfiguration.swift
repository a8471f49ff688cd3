/// Settings for a corpus scan or clean. Every field has a default; a YAML ruleset
/// (``Ruleset``) changes them.
public struct ScanConfiguration: Sendable {
  /// Reasoning tags (and whether the template prefills the opening tag).
  public var format: ReasoningFormat
  /// A forced row layout, or `nil` to detect it per row.
  public var shape: CorpusShape?
  /// Per-row detectors, built-in and user-supplied.
  public var detectors: [any Detector]
  /// Whether exact duplicates are flagged (after the first occurrence).
  public var exactDuplicates: Bool
  /// Whether near duplicates (MinHash/LSH) are flagged.
  public var nearDuplicates: Bool
  /// Estimated Jaccard similarity at or above which rows are near duplicates. Default 0.8.
  public var nearDuplicateThreshold: Double
  /// MinHash settings.
  public var minHasher: MinHasher
  /// Whether statistics for discovering unknown scaffolding are gathered.
  public var discovery: Bool
  /// Smallest share of rows a discovery candidate needs. Default 1%.
  public var discoveryMinShare: Double
  /// Share above which code-like candidates are high-confidence. Default 2%.
  public var discoveryHighConfidenceShare: Double
  /// Shapes of discovery candidates the user has judged natural for this data (as the report
  /// writes them: `style: *. …`, `persona: x#`): they are left out of the report, so they
  /// take no part in `clean`, with or without `--accept-discovered`. Default none.
  public var discoveryIgnored: Set<String> = []
  /// Lines longer than this are quarantined as `line_too_long`. Default 64 MiB.
  public var maxLineBytes: Int
  /// Example rows kept per detector. Default 5.
  public var examplesPerDetector: Int
  /// Distinct keys each scanning thread keeps in the opening histogram and in discovery's
  /// opening and repeated-line shapes. Beyond it the rarest are dropped (rows whose opening
  /// left the histogram are counted in ``ScanReport/openingHistogramDropped``), so memory stays
  /// bounded when a corpus has millions of distinct openings. Default 100,000.
  public var maxDistinctOpenings = 100_000

  /// What ``decided(forCorpusAt:)`` decided from the corpus, in words, for the report.
  package var decisions: [String] = []

  /// The built-in per-row detectors with their defaults.
  public static func defaultDetectors() -> [any Detector] {
    [
      BuiltinDetectors.scaffoldPrefix(), BuiltinDetectors.producerNotes(), RunTogetherDetector(),
      MojibakeDetector(), ScriptDriftDetector(), RepetitionDetector(), ThinkStructureDetector(),
      SpecialTokenDetector(), EmptyResponseDetector(),
    ]
  }

  /// Creates a configuration.
  public init(
    format: ReasoningFormat = .think, shape: CorpusShape? = nil,
    detectors: [any Detector] = defaultDetectors(),
    extraDetectors: [any Detector] = [], exactDuplicates: Bool = true, nearDuplicates: Bool = false,
    nearDuplicateThreshold: Double = 0.8, minHasher: MinHasher = MinHasher(), discovery: Bool = true,
    discoveryMinShare: Double = 0.01, discoveryHighConfidenceShare: Double = 0.02,
    maxLineBytes: Int = 64 << 20,
    examplesPerDetector: Int = 5
  ) {
    self.format = format
    self.shape = shape
    self.detectors = detectors + extraDetectors
    self.exactDuplicates = exactDuplicates
    self.nearDuplicates = nearDuplicates
    self.nearDuplicateThreshold = nearDuplicateThreshold
    self.minHasher = minHasher
    self.discovery = discovery
    self.discoveryMinShare = discoveryMinShare
    self.discoveryHighConfidenceShare = discoveryHighConfidenceShare
    self.maxLineBytes = maxLineBytes
    self.examplesPerDetector = examplesPerDetector
  }

  /// Lines at the start of a corpus whose rows decide the settings left to it
  /// (``ThinkStructureDetector/requireThink`` `nil`).
  public static let reasoningSampleRows = 1000

  /// Whether a setting is left to the corpus.
  var leavesSettingsToCorpus: Bool {
    detectors.contains { ($0 as? ThinkStructureDetector).map { $0.requireThink == nil } ?? false }
  }

  /// This configuration with the settings left to the corpus decided from the rows of the
  /// first ``reasoningSampleRows`` lines of the file at `path` (the file's, not a shard's, so
  /// every shard decides alike), and each decision that turns a check off in ``decisions``.
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the corpus cannot be read,
  ///   ``EvalCoreError/notARegularFile(path:kind:)`` when it is a pipe, a device or a directory.
  package func decided(forCorpusAt path: String) throws -> ScanConfiguration {
    guard leavesSettingsToCorpus else { return self }
    // A pipe or a device is refused here, before it is opened (opening a pipe waits for a
    // writer, and what it yields could not be read again for the scan).
    _ = try JSONLReader(path: path).fileSize()
    struct Enough: Error {}
    let parser = CorpusRowParser(shape: shape, format: format)
    var lines = 0
    var rows = 0
    var reasoning = false
    do {
      // Lines, not rows, are counted to the limit: a file of malformed lines is not read to
      // its end before the scan.
      try JSONLReader(path: path, maxLineBytes: maxLineBytes).forEachLine { line in
        lines += 1
        if case .success(let row) = parser.parse(line) {
          rows += 1
          if RowContext(row: row, format: format).traces.contains(where: { !$0.blocks.isEmpty }) {
            reasoning = true
          }
        }
        if reasoning || lines >= Self.reasoningSampleRows { throw Enough() }
      } onOversizedLine: { _ in
        lines += 1
        if lines >= Self.reasoningSampleRows { throw Enough() }
      }
    } catch is Enough {}
    var out = self
    out.detectors = detectors.map { d in
      guard let think = d as? ThinkStructureDetector, think.requireThink == nil else { return d }
      return ThinkStructureDetector(requireThink: reasoning)
    }
    if !reasoning && rows > 0 {
      out.decisions.append(
        "think-structure: no reasoning block in the first \(rows) rows, so rows without one are not flagged "
          + "`missing` (a ruleset's `require_think: true` flags them)")
    }
    return out
  }

  /// The rules of the configuration's rule detectors (not the `discovered` one that
  /// `--accept-discovered` adds) as ``LeakRule/discoveryKey``: a discovery candidate whose rule
  /// is one of them (a rule `--write-rules` wrote, now in the ruleset) is left out of the
  /// report, its rows counted by that rule.
  package var ruledCandidateKeys: Set<String> {
    Set(
      detectors.lazy.compactMap { $0 as? RuleDetector }.filter { $0.id != DetectorID.discovered }
        .flatMap(\.rules).compactMap(\.discoveryKey))
  }

  /// A description of every setting that changes a scan's counts, compared by
  /// ``ShardMerger`` so that shards scanned with other settings are refused.
  package var fingerprint: String {
    let detectorList = detectors.map { d -> String in
      let settings = (d as? any DescribesSettings)?.settings ?? ""
      return "\(d.id)=\(d.summary){\(settings)}"
    }.joined(separator: ";")
    return [
      "detectors[\(detectorList)]", "tags[\(format.openTag)|\(format.closeTag)|\(format.opening)]",
      "shape[\(shape?.rawValue ?? "auto")]", "exact[\(exactDuplicates)|v3]",
      "near[\(nearDuplicates)|\(nearDuplicateThreshold)|\(minHasher.shingleWords)|\(minHasher.permutations)|\(minHasher.bands)]",
      "discovery[\(discovery)|\(discoveryMinShare)|\(discoveryHighConfidenceShare)|\(discoveryIgnored.sorted())]",
      "max_line[\(maxLineBytes)]", "max_distinct[\(maxDistinctOpenings)]",
      // A setting decided from the corpus is apart from the same one given (their reports'
      // notes differ).
      "decided[\(decisions.joined(separator: "|"))]",
    ].joined(separator: " ")
  }

  /// Ids and one-line descriptions of every check, per-row and corpus-wide.
  public var checkDescriptions: [(id: String, summary: String)] {
    var out = detectors.map { ($0.id, $0.summary) }
    if exactDuplicates { out.append((DetectorID.exactDuplicate, "exact duplicate of an earlier row")) }
    if nearDuplicates { out.append((DetectorID.nearDuplicate, "near duplicate of an earlier row (MinHash)")) }
    return out
  }
}

/// A built-in detector's settings in words, for ``ScanConfiguration/fingerprint`` (stable from
/// process to process: no set or dictionary order in it).
protocol DescribesSettings {
  var settings: String { get }
}

extension RuleDetector: DescribesSettings {
  var settings: String {
    let described = rules.map { rule -> String in
      let matcher: String
      switch rule.matcher {
      case .literal(let text, let ci): matcher = "literal:\(text):\(ci)"
      case .regex(let p): matcher = "regex:\(p.source):\(p.caseInsensitive)"
      }
      let notAfter = rule.notAfter.isEmpty ? "" : "|not-after:\(rule.notAfter.joined(separator: ","))"
      return "\(rule.id)|\(rule.scope.rawValue)|\(matcher)|\(rule.anchors.joined(separator: ","))\(notAfter)"
    }
    return described.joined(separator: ";") + "|prefilter:\(prefilter.joined(separator: ","))"
  }
}

extension ThinkStructureDetector: DescribesSettings {
  var settings: String { "require_think:\(requireThink.map(String.init) ?? "auto")" }
}

extension SpecialTokenDetector: DescribesSettings {
  var settings: String {
    guard let template else { return "template:auto" }
    return "template:\(template.name):\(template.allTokens.joined(separator: ","))"
      + (template.bosOpensEachTurn ? ":bos-each-turn" : "")
  }
}

extension ScriptDriftDetector: DescribesSettings {
  var settings: String {
    let expected: String
    switch check.expected {
    case .dominant: expected = "dominant"
    case .context: expected = "prompt"
    case .scripts(let scripts): expected = scripts.map { "\($0)" }.sorted().joined(separator: ",")
    }
    // Quoted words neutral since the `quoted` setting: shards scanned before counted them.
    return "expected:\(expected):min_run:\(check.minRunLetters):quoted:\(ScriptDriftCheck.maxQuotedLetters)"
  }
}

extension RunTogetherDetector: DescribesSettings {
  var settings: String {
    "\(check.minWordLetters):\(check.minRunTogetherLetters):\(check.minSpaceRatio):\(check.minLettersForRatio)"
  }
}

extension RepetitionDetector: DescribesSettings {
  var settings: String { "\(check.maxPeriodWords):\(check.minRepeats):\(check.minSpanWords)" }
}

extension MojibakeDetector: DescribesSettings {
  var settings: String { "\(check.minSequences):\(check.countReplacementCharacters)" }
}

extension ScanConfiguration {
  /// Throws ``LeakScannerError/duplicateDetectorID(_:)`` when two detectors share an id, or one
  /// takes the id of a check the scan makes itself (duplicates, malformed and blank lines;
  /// ``DetectorID/discovered`` only for the accepted candidates' rules, a ``RuleDetector``),
  /// and ``LeakScannerError/emptyDetectorID`` for a detector without one.
  func checkDetectorIDs() throws {
    var seen: Set<String> = [
      DetectorID.exactDuplicate, DetectorID.nearDuplicate, DetectorID.malformed, DetectorID.blankLine,
    ]
    for detector in detectors {
      guard !detector.id.isEmpty else { throw LeakScannerError.emptyDetectorID(summary: detector.summary) }
      guard seen.insert(detector.id).inserted,
        detector.id != DetectorID.discovered || detector is RuleDetector
      else { throw LeakScannerError.duplicateDetectorID(detector.id) }
    }
  }
}

/// Ids of the corpus-wide checks.
public enum DetectorID {
  /// Exact duplicates.
  public static let exactDuplicate = "exact-duplicate"
  /// Near duplicates.
  public static let nearDuplicate = "near-duplicate"
  /// Malformed lines.
  public static let malformed = "malformed-line"
  /// Blank lines: not rows; `clean` quarantines them.
  public static let blankLine = "blank-line"
  /// Discovered scaffolding.
  public static let discovered = "discovered"
}
