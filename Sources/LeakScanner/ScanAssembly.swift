import EvalCore
import Foundation

/// The duplicate rows a scan found, in line order: each is its line, the line it repeats and,
/// for a near duplicate, the estimated Jaccard similarity; three words a row, with its
/// ``Finding`` made only when asked for (a corpus of many copies would otherwise hold a
/// finding and its evidence string for each).
package struct DuplicateMatches: Sendable {
  /// The duplicate rows' lines, ascending.
  private(set) var lines: [Int] = []
  private var originals: [Int] = []
  /// The similarity of each duplicate, NaN for an exact one; empty until the first near
  /// duplicate (a scan without them holds two words a row).
  private var similarities: [Double] = []
  /// How many are exact duplicates.
  private(set) var exactCount = 0

  /// How many rows are duplicates.
  var count: Int { lines.count }

  /// Adds the duplicate on `line`, after every line added so far.
  mutating func append(line: Int, original: Int, similarity: Double?) {
    precondition(lines.last.map { $0 < line } ?? true, "duplicates come in line order")
    lines.append(line)
    originals.append(original)
    if let similarity {
      if similarities.isEmpty { similarities = Array(repeating: .nan, count: lines.count - 1) }
      similarities.append(similarity)
    } else {
      if !similarities.isEmpty { similarities.append(.nan) }
      exactCount += 1
    }
  }

  /// Whether the `i`th duplicate is an exact one.
  private func isExact(_ i: Int) -> Bool { similarities.isEmpty || similarities[i].isNaN }

  /// The detector of the `i`th duplicate.
  func detector(at i: Int) -> String { isExact(i) ? DetectorID.exactDuplicate : DetectorID.nearDuplicate }

  /// The finding of the `i`th duplicate.
  func finding(at i: Int) -> Finding {
    isExact(i)
      ? Finding(detector: DetectorID.exactDuplicate, evidence: "same as line \(originals[i])")
      : Finding(
        detector: DetectorID.nearDuplicate,
        evidence: String(format: "≈ line %d (Jaccard ≈ %.2f)", originals[i], similarities[i]))
  }

  /// The finding of the row on `line`, if it is a duplicate.
  func finding(forLine line: Int) -> Finding? {
    let i = lines.partitionPoint { $0 < line }
    return i < lines.count && lines[i] == line ? finding(at: i) : nil
  }

  /// The first `limit` duplicates of each detector, with their findings, in line order.
  func firstFindings(perDetector limit: Int) -> [(Int, Finding)] {
    var out: [(Int, Finding)] = []
    var exact = 0
    var near = 0
    for i in lines.indices where exact < limit || near < limit {
      if isExact(i) {
        guard exact < limit else { continue }
        exact += 1
      } else {
        guard near < limit else { continue }
        near += 1
      }
      out.append((lines[i], finding(at: i)))
    }
    return out
  }
}

/// The duplicate search of a scan, fed rows in line order (one pass after another): the first
/// occurrence is never flagged, and near duplicates of a row that is an exact duplicate are
/// left out.
struct DuplicateFinder {
  private var index: DuplicateIndex
  /// The duplicates found so far.
  private(set) var matches = DuplicateMatches()
  /// Rows flagged by a per-row detector or found to be duplicates so far.
  private(set) var flaggedRows = 0
  /// The byte offsets of the duplicates that are examples (the first `examplesPerDetector` of
  /// each detector, whose ids are read back from the file): every row's offset would cost 16
  /// bytes a row for the whole scan.
  private(set) var exampleOffsets: [Int: Int] = [:]
  /// How many duplicates of each detector have been examples so far.
  private var examplesTaken: [String: Int] = [:]
  private let examplesPerDetector: Int

  init(configuration: ScanConfiguration, expected: Int = 0) {
    index = DuplicateIndex(hasher: configuration.minHasher, threshold: configuration.nearDuplicateThreshold)
    index.exact = ExactHashTable(expected: expected)
    examplesPerDetector = configuration.examplesPerDetector
  }

  /// Looks for duplicates among the next rows: `hashes` and `signatures` in line order, all
  /// after the lines added before. The rows on the lines `flagged` (ascending) are flagged by
  /// a detector: a later copy of one is a duplicate only of a copy that stays clean, so the
  /// first clean copy of a row stays clean (a fixed copy after a damaged one, say). `offsets`
  /// (ascending by line) are the rows' byte offsets, kept for the duplicates that are examples.
  mutating func add(
    hashes: some Sequence<(line: Int, hash: UInt64)>,
    signatures: [(line: Int, signature: [UInt16])],
    flagged: [Int],
    offsets: [(line: Int, offset: Int)]
  ) {
    let before = matches.count
    find(hashes: hashes, signatures: signatures, flagged: flagged)
    // The flagged rows (distinct lines), and the duplicates among these rows not among them.
    for (i, line) in flagged.enumerated() where i == 0 || flagged[i - 1] != line { flaggedRows += 1 }
    // Duplicates come in line order, so the first ones of each detector are the examples
    // (``DuplicateMatches/firstFindings(perDetector:)``).
    for k in before..<matches.count {
      let line = matches.lines[k]
      if !CorpusScanner.contains(flagged, line) { flaggedRows += 1 }
      let detector = matches.detector(at: k)
      guard examplesTaken[detector, default: 0] < examplesPerDetector else { continue }
      examplesTaken[detector, default: 0] += 1
      let i = offsets.partitionPoint { $0.line < line }
      if i < offsets.count && offsets[i].line == line { exampleOffsets[line] = offsets[i].offset }
    }
  }

  private mutating func find(
    hashes: some Sequence<(line: Int, hash: UInt64)>,
    signatures: [(line: Int, signature: [UInt16])],
    flagged: [Int]
  ) {
    var exact: [(line: Int, original: Int)] = []
    var next = 0
    func isKept(_ line: Int) -> Bool {
      while next < flagged.count && flagged[next] < line { next += 1 }
      return next == flagged.count || flagged[next] != line
    }
    for (line, hash) in hashes {
      if let first = index.exactDuplicate(hash: hash, line: line, kept: isKept(line)) {
        exact.append((line, first))
      }
    }
    var near: [(line: Int, original: Int, similarity: Double)] = []
    next = 0
    // These rows' exact duplicates (all found above: the signatures are of the same rows).
    let exactLines = exact.isEmpty || signatures.isEmpty ? [] : Set(exact.lazy.map(\.line))
    for (line, signature) in signatures {
      if let hit = index.nearDuplicate(signature: signature, line: line, kept: isKept(line)),
        !exactLines.contains(line)
      {
        near.append((line, hit.line, hit.similarity))
      }
    }
    // Both in line order, merged.
    var j = 0
    for e in exact {
      while j < near.count && near[j].line < e.line {
        matches.append(line: near[j].line, original: near[j].original, similarity: near[j].similarity)
        j += 1
      }
      matches.append(line: e.line, original: e.original, similarity: nil)
    }
    for n in near[j...] { matches.append(line: n.line, original: n.original, similarity: n.similarity) }
  }
}

/// The passes of one scan folded together in line order, each as soon as it and those before it
/// are done (while later passes still scan): counts, examples, histograms, discovery and the
/// duplicate search. What stays for ``finish(file:shard:)`` is small.
struct ScanAssembly {
  let configuration: ScanConfiguration
  /// Whether the per-row hashes, offsets and signatures are kept for a shard's merge state.
  let keepsRows: Bool
  private var total: ShardPass
  private var duplicates: DuplicateFinder

  init(configuration: ScanConfiguration, keepsRows: Bool, expectedRows: Int = 0) {
    self.configuration = configuration
    self.keepsRows = keepsRows
    total = ShardPass()
    total.lineTally = LineTally(capacity: max(2, configuration.maxDistinctOpenings))
    duplicates = DuplicateFinder(configuration: configuration, expected: expectedRows)
  }

  /// Folds in the next pass (passes come in line order).
  mutating func add(_ p: ShardPass) {
    total.lines += p.lines
    total.rows += p.rows
    total.malformed += p.malformed
    total.issues += p.issues.prefix(max(0, 100 - total.issues.count))
    if keepsRows { total.flaggedLines += p.flaggedLines }
    // Flagged lines are kept only for a shard's merge state; the finder counts flagged rows.
    duplicates.add(hashes: p.hashes, signatures: p.signatures, flagged: p.flaggedLines, offsets: p.rowOffsets)
    if keepsRows {
      total.rowOffsets += p.rowOffsets
      total.hashes += p.hashes
      total.signatures += p.signatures
    }
    total.discovery.merge(p.discovery)
    total.lineTally.merge(p.lineTally)
    // Bounded between passes too, with room for shapes that are rare in one piece and not
    // in all (the report's tables are pruned to the capacity at the end).
    if total.lineTally.count > 4 * total.lineTally.capacity {
      total.lineTally.prune(keeping: 2 * total.lineTally.capacity)
    }
    for (k, v) in p.histogram { total.histogram[k, default: 0] += v }
    total.histogramDropped += p.histogramDropped
    for (k, v) in p.shapes { total.shapes[k, default: 0] += v }
    for (k, v) in p.counts { total.counts[k, default: 0] += v }
    for (k, v) in p.examples {
      total.examples[k] = Array(
        (total.examples[k, default: []] + v).sorted().prefix(configuration.examplesPerDetector))
    }
  }

  /// Bounds the passes' histograms together as one pass's is.
  private mutating func prune() {
    total.lineTally.flush(into: &total.discovery)
    total.histogramDropped += BoundedTally.prune(
      &total.histogram, capacity: max(2, configuration.maxDistinctOpenings))
    total.discovery.prune(capacity: max(2, configuration.maxDistinctOpenings))
  }

  /// The report, and the duplicates.
  mutating func finish(file: String, shard: (k: Int, n: Int)?) -> (ScanReport, DuplicateMatches) {
    prune()
    let perRowFlagged = total.flaggedLines
    let dups = duplicates.matches
    total.counts.add(dups)
    let offsets = duplicates.exampleOffsets
    let duplicateExamples = CorpusScanner.duplicateExamples(
      dups, limit: configuration.examplesPerDetector, file: file, offset: { offsets[$0] },
      shape: configuration.shape)
    for (detector, refs) in duplicateExamples {
      total.examples[detector] = Array(
        (total.examples[detector, default: []] + refs).sorted().prefix(configuration.examplesPerDetector))
    }
    var checks = configuration.checkDescriptions
    checks.append((DetectorID.malformed, "malformed line (invalid JSON or UTF-8, missing field, too long)"))
    checks.append((DetectorID.blankLine, "blank line (not a row; clean quarantines it)"))
    let denominator = max(1, total.lines)
    let detectors = checks.map { check in
      DetectorCount(
        id: check.id, summary: check.summary, rows: total.counts[check.id] ?? 0,
        share: Double(total.counts[check.id] ?? 0) / Double(denominator),
        examples: total.examples[check.id] ?? [])
    }
    let ruled = configuration.ruledCandidateKeys
    let candidates =
      configuration.discovery
      ? Discovery.leavingOut(
        ruled: ruled,
        from: Discovery.candidates(
          from: total.discovery, rows: total.rows, minShare: configuration.discoveryMinShare,
          highConfidenceShare: configuration.discoveryHighConfidenceShare,
          ignoring: configuration.discoveryIgnored)) : []
    var mergeState: ScanReport.MergeState? = nil
    if shard != nil {
      mergeState = ScanReport.MergeState(
        flaggedLines: perRowFlagged, rowHashes: total.hashes.map { .init(line: $0.line, hash: $0.hash) },
        rowOffsets: total.rowOffsets.isEmpty
          ? nil : total.rowOffsets.map { .init(line: $0.line, offset: $0.offset) },
        signatures: configuration.nearDuplicates ? total.signatures.map(\.signature) : nil,
        signatureLines: configuration.nearDuplicates ? total.signatures.map(\.line) : nil,
        discovery: total.discovery, nearDuplicateThreshold: configuration.nearDuplicateThreshold,
        minHasher: configuration.minHasher, exactDuplicates: configuration.exactDuplicates,
        nearDuplicates: configuration.nearDuplicates, discoveryMinShare: configuration.discoveryMinShare,
        discoveryHighConfidenceShare: configuration.discoveryHighConfidenceShare,
        configuration: configuration.fingerprint, fileSize: (try? JSONLReader(path: file).fileSize()),
        fileFingerprint: try? FileFingerprint.of(path: file),
        discoveryIgnored: configuration.discoveryIgnored.isEmpty
          ? nil : configuration.discoveryIgnored.sorted(),
        ruledCandidates: ruled.isEmpty ? nil : ruled.sorted())
    }
    let report = ScanReport(
      file: file, shard: shard.map { "\($0.k)/\($0.n)" }, lines: total.lines, rows: total.rows,
      malformedLines: total.malformed, issues: total.issues,
      flaggedRows: duplicates.flaggedRows + total.malformed + (total.counts[DetectorID.blankLine] ?? 0),
      detectors: detectors, openingHistogram: total.histogram,
      openingHistogramDropped: total.histogramDropped > 0 ? total.histogramDropped : nil,
      discovered: candidates,
      shapes: total.shapes, mergeState: mergeState,
      notes: configuration.decisions.isEmpty ? nil : configuration.decisions)
    return (report, dups)
  }
}

extension [String: Int] {
  /// Adds the duplicates' counts by detector (a detector with none gets no key).
  mutating func add(_ dups: DuplicateMatches) {
    if dups.exactCount > 0 { self[DetectorID.exactDuplicate, default: 0] += dups.exactCount }
    if dups.count > dups.exactCount {
      self[DetectorID.nearDuplicate, default: 0] += dups.count - dups.exactCount
    }
  }
}
