import EvalCore
import Foundation

/// The duplicate search of a scan, fed rows in line order (one pass after another): the first
/// occurrence is never flagged, and near duplicates of a row that is an exact duplicate are
/// left out.
struct DuplicateFinder {
  private var index: DuplicateIndex
  private var exactLines = Set<Int>()
  /// Findings in line order.
  private(set) var findings: [(Int, Finding)] = []

  init(configuration: ScanConfiguration, expected: Int = 0) {
    index = DuplicateIndex(hasher: configuration.minHasher, threshold: configuration.nearDuplicateThreshold)
    index.exact = ExactHashTable(expected: expected)
  }

  /// Looks for duplicates among the next rows: `hashes` and `signatures` in line order, all
  /// after the lines added before. The rows on the lines `flagged` (ascending) are flagged by
  /// a detector: a later copy of one is a duplicate only of a copy that stays clean, so the
  /// first clean copy of a row stays clean (a fixed copy after a damaged one, say).
  mutating func add(
    hashes: some Sequence<(line: Int, hash: UInt64)>,
    signatures: some Sequence<(line: Int, signature: [UInt16])>,
    flagged: [Int]
  ) {
    var exact: [(Int, Finding)] = []
    var next = 0
    func isKept(_ line: Int) -> Bool {
      while next < flagged.count && flagged[next] < line { next += 1 }
      return next == flagged.count || flagged[next] != line
    }
    for (line, hash) in hashes {
      if let first = index.exactDuplicate(hash: hash, line: line, kept: isKept(line)) {
        exact.append((line, Finding(detector: DetectorID.exactDuplicate, evidence: "same as line \(first)")))
        exactLines.insert(line)
      }
    }
    var near: [(Int, Finding)] = []
    next = 0
    for (line, signature) in signatures {
      if let hit = index.nearDuplicate(signature: signature, line: line, kept: isKept(line)),
        !exactLines.contains(line)
      {
        near.append(
          (
            line,
            Finding(
              detector: DetectorID.nearDuplicate,
              evidence: String(format: "≈ line %d (Jaccard ≈ %.2f)", hit.line, hit.similarity))
          ))
      }
    }
    findings += near.isEmpty ? exact : (exact + near).sorted { $0.0 < $1.0 }
  }
}

/// The passes of one scan folded together in line order, each as soon as it and those before it
/// are done (while later passes still scan): counts, examples, histograms, discovery and the
/// duplicate search. What stays for ``finish(file:shard:)`` is small.
struct ScanAssembly {
  let configuration: ScanConfiguration
  /// Whether the per-row hashes, offsets and signatures are kept for a shard's merge state.
  let keepsRows: Bool
  private var total = ShardPass()
  private var duplicates: DuplicateFinder
  /// Each pass's row offsets (for the ids of duplicate examples), in line order.
  private var offsets: [[(line: Int, offset: Int)]] = []

  init(configuration: ScanConfiguration, keepsRows: Bool, expectedRows: Int = 0) {
    self.configuration = configuration
    self.keepsRows = keepsRows
    duplicates = DuplicateFinder(configuration: configuration, expected: expectedRows)
  }

  /// Folds in the next pass (passes come in line order).
  mutating func add(_ p: ShardPass) {
    total.lines += p.lines
    total.rows += p.rows
    total.malformed += p.malformed
    total.issues += p.issues.prefix(max(0, 100 - total.issues.count))
    total.flaggedLines += p.flaggedLines
    duplicates.add(hashes: p.hashes, signatures: p.signatures, flagged: p.flaggedLines)
    if !p.rowOffsets.isEmpty { offsets.append(p.rowOffsets) }
    if keepsRows {
      total.rowOffsets += p.rowOffsets
      total.hashes += p.hashes
      total.signatures += p.signatures
    }
    total.discovery.merge(p.discovery)
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
    total.histogramDropped += BoundedTally.prune(
      &total.histogram, capacity: max(2, configuration.maxDistinctOpenings))
    total.discovery.prune(capacity: max(2, configuration.maxDistinctOpenings))
  }

  /// The byte offset of the row on `line`, from the passes' offsets.
  private func offset(ofLine line: Int) -> Int? {
    let k = offsets.partitionPoint { ($0.last?.line ?? 0) < line }
    guard k < offsets.count else { return nil }
    let rows = offsets[k]
    let i = rows.partitionPoint { $0.line < line }
    return i < rows.count && rows[i].line == line ? rows[i].offset : nil
  }

  /// The report, and the duplicate findings by line.
  mutating func finish(file: String, shard: (k: Int, n: Int)?) -> (ScanReport, [Int: Finding]) {
    prune()
    let perRowFlagged = total.flaggedLines
    let dups = duplicates.findings
    var duplicateFindings: [Int: Finding] = [:]
    for (line, finding) in dups {
      total.counts[finding.detector, default: 0] += 1
      duplicateFindings[line] = finding
    }
    let duplicateExamples = CorpusScanner.duplicateExamples(
      dups, limit: configuration.examplesPerDetector, file: file, offset: { offset(ofLine: $0) },
      shape: configuration.shape)
    for (detector, refs) in duplicateExamples {
      total.examples[detector] = Array(
        (total.examples[detector, default: []] + refs).sorted().prefix(configuration.examplesPerDetector))
    }
    var flaggedRows = perRowFlagged.count
    for line in duplicateFindings.keys where !CorpusScanner.contains(perRowFlagged, line) { flaggedRows += 1 }
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
    let candidates =
      configuration.discovery
      ? Discovery.candidates(
        from: total.discovery, rows: total.rows, minShare: configuration.discoveryMinShare,
        highConfidenceShare: configuration.discoveryHighConfidenceShare) : []
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
        fileFingerprint: try? FileFingerprint.of(path: file))
    }
    let report = ScanReport(
      file: file, shard: shard.map { "\($0.k)/\($0.n)" }, lines: total.lines, rows: total.rows,
      malformedLines: total.malformed, issues: total.issues,
      flaggedRows: flaggedRows + total.malformed + (total.counts[DetectorID.blankLine] ?? 0),
      detectors: detectors, openingHistogram: total.histogram,
      openingHistogramDropped: total.histogramDropped > 0 ? total.histogramDropped : nil,
      discovered: candidates,
      shapes: total.shapes, mergeState: mergeState)
    return (report, duplicateFindings)
  }
}
