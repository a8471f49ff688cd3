import Foundation

/// Combines shard reports (`fieldeval scan --shard K/N`) into the report of the whole corpus.
///
/// Counts, examples, histograms and discovery statistics add up; duplicates are recomputed
/// across shards from the row hashes (and MinHash signatures) the shard reports carry, so the
/// merged report equals a single scan of the whole file.
public enum ShardMerger {
  /// Merges reports; `names` label them in errors (e.g. their file paths).
  ///
  /// The detectors, rules and thresholds are the shards' own: every shard must have been
  /// scanned with the same ones (their fingerprints are compared), and a merge needs none of
  /// them. Of `configuration`, only the merge's own limits are read (examples kept per
  /// detector, the sizes of the histogram and discovery tables).
  public static func merge(_ reports: [ScanReport], names: [String]? = nil, configuration: ScanConfiguration)
    throws -> ScanReport
  {
    let names = names ?? reports.indices.map { "report \($0 + 1)" }
    let order = try validate(reports, names: names)
    var fold = Fold(reports: reports, configuration: configuration)
    for i in order {
      fold.addCounts(reports[i])
      fold.addRows(reports[i].mergeState!)
    }
    return fold.finish(reports: reports)
  }

  /// Merges the shard reports at `paths` (as ``load(path:)`` reads them), holding one report's
  /// rows at a time: each is read once for its counts and once more, in shard order, for its
  /// rows (hashes, offsets, signatures and flagged lines), which join the duplicate search and
  /// are let go. A merge then holds the duplicate table, not every shard's rows twice over.
  /// `configuration` is read as ``merge(_:names:configuration:)`` reads it.
  public static func merge(paths: [String], configuration: ScanConfiguration) throws -> ScanReport {
    var light: [ScanReport] = []
    for path in paths {
      var report = try load(path: path)
      report.mergeState?.dropRows()
      light.append(report)
    }
    let order = try validate(light, names: paths)
    var fold = Fold(reports: light, configuration: configuration)
    for i in order {
      fold.addCounts(light[i])
      let full = try load(path: paths[i])
      guard let state = full.mergeState, full.shard == light[i].shard else {
        throw LeakScannerError.incompatibleShards(file: paths[i], reason: "changed while it was merged")
      }
      fold.addRows(state)
    }
    return fold.finish(reports: light)
  }

  /// Checks that `reports` are the complete shards of one scan; their indices in shard order.
  private static func validate(_ reports: [ScanReport], names: [String]) throws -> [Int] {
    guard let first = reports.first else {
      throw LeakScannerError.incompatibleShards(file: "-", reason: "no shard reports given")
    }
    var seen = Set<Int>()
    var n: Int? = nil
    var ks: [Int] = []
    for (report, name) in zip(reports, names) {
      guard let shard = report.shard, report.mergeState != nil else {
        throw LeakScannerError.incompatibleShards(
          file: name, reason: "not a shard report (scan it with --shard K/N)")
      }
      let parts = shard.split(separator: "/", omittingEmptySubsequences: false).compactMap { Int($0) }
      guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
        throw LeakScannerError.incompatibleShards(
          file: name, reason: "bad shard '\(shard)' (expected K/N with 1 ≤ K ≤ N)")
      }
      if let n, n != parts[1] {
        throw LeakScannerError.incompatibleShards(
          file: name, reason: "shard \(shard) is from a split into \(parts[1]), others into \(n)")
      }
      n = parts[1]
      ks.append(parts[0])
      guard seen.insert(parts[0]).inserted else {
        throw LeakScannerError.incompatibleShards(file: name, reason: "shard \(shard) given twice")
      }
      // Shards that carry fingerprints are matched by content (copies of the corpus at other
      // paths merge); older reports by path.
      let fingerprinted =
        report.mergeState?.fileFingerprint != nil && first.mergeState?.fileFingerprint != nil
      guard fingerprinted || report.file == first.file else {
        throw LeakScannerError.incompatibleShards(
          file: name, reason: "scanned \(report.file), others \(first.file)")
      }
      guard report.mergeState?.configuration == first.mergeState?.configuration else {
        throw LeakScannerError.incompatibleShards(
          file: name, reason: "scanned with other settings (rules, detectors or thresholds) than \(names[0])")
      }
      guard report.mergeState?.fileSize == first.mergeState?.fileSize else {
        throw LeakScannerError.incompatibleShards(
          file: name,
          reason:
            "scanned a \(report.mergeState?.fileSize ?? 0)-byte file, \(names[0]) one of \(first.mergeState?.fileSize ?? 0) bytes"
        )
      }
      guard !fingerprinted || report.mergeState?.fileFingerprint == first.mergeState?.fileFingerprint else {
        throw LeakScannerError.incompatibleShards(
          file: name,
          reason:
            "scanned other content than \(names[0]) (file fingerprints \(report.mergeState?.fileFingerprint ?? "-") and \(first.mergeState?.fileFingerprint ?? "-")): the corpus changed between the shard scans"
        )
      }
    }
    if let n, seen.count != n {
      let missing = (1...n).filter { !seen.contains($0) }.map { "\($0)/\(n)" }
      throw LeakScannerError.incompatibleShards(
        file: names[0], reason: "missing shards \(missing.joined(separator: ", "))")
    }
    return reports.indices.sorted { ks[$0] < ks[$1] }
  }

  /// The merge of shard reports fed in shard order: counts as they come, rows into the
  /// duplicate search (the first `examplesPerDetector` duplicates of each detector keep their
  /// byte offsets, to read their ids back).
  private struct Fold {
    let configuration: ScanConfiguration
    let config: ScanConfiguration
    var lines = 0
    var rows = 0
    var malformed = 0
    var issues: [LineIssue] = []
    var counts: [String: Int] = [:]
    var examples: [String: [RowReference]] = [:]
    var summaries: [String: String] = [:]
    var order: [String] = []
    var histogram: [String: Int] = [:]
    var histogramDropped = 0
    var shapes: [String: Int] = [:]
    var discovery = DiscoveryStats()
    var finder: DuplicateFinder
    let dupIDs: Set<String> = [DetectorID.exactDuplicate, DetectorID.nearDuplicate]

    init(reports: [ScanReport], configuration: ScanConfiguration) {
      self.configuration = configuration
      var config = configuration
      if let state = reports.first?.mergeState {
        config.exactDuplicates = state.exactDuplicates
        config.nearDuplicates = state.nearDuplicates
        config.nearDuplicateThreshold = state.nearDuplicateThreshold
        config.minHasher = state.minHasher
        config.discoveryMinShare = state.discoveryMinShare
        config.discoveryHighConfidenceShare = state.discoveryHighConfidenceShare
        config.discoveryIgnored = Set(state.discoveryIgnored ?? [])
      }
      self.config = config
      finder = DuplicateFinder(
        configuration: config, expected: config.exactDuplicates ? reports.reduce(0) { $0 + $1.rows } : 0)
    }

    /// Adds a report's counts, examples, histograms and discovery statistics.
    mutating func addCounts(_ report: ScanReport) {
      lines += report.lines
      rows += report.rows
      malformed += report.malformedLines
      issues += report.issues
      for d in report.detectors {
        if summaries[d.id] == nil {
          summaries[d.id] = d.summary
          order.append(d.id)
        }
        guard !dupIDs.contains(d.id) else { continue }
        counts[d.id, default: 0] += d.rows
        examples[d.id, default: []] += d.examples
      }
      for (k, v) in report.openingHistogram { histogram[k, default: 0] += v }
      histogramDropped += report.openingHistogramDropped ?? 0
      for (k, v) in report.shapes { shapes[k, default: 0] += v }
      if let state = report.mergeState { discovery.merge(state.discovery) }
    }

    /// Adds the next shard's rows (shards in order, so their lines come after those before).
    mutating func addRows(_ state: ScanReport.MergeState) {
      let flagged = state.flaggedLines.sorted()
      var hashes = state.rowHashes.map { (line: $0.line, hash: $0.hash) }
      if !zip(hashes, hashes.dropFirst()).allSatisfy({ $0.line < $1.line }) {
        hashes.sort { $0.line < $1.line }
      }
      var signatures: [(line: Int, signature: [UInt16])] = []
      if let sigs = state.signatures, let sigLines = state.signatureLines {
        signatures = zip(sigLines, sigs).map { ($0, $1) }.sorted { $0.line < $1.line }
      }
      var offsets = (state.rowOffsets ?? []).map { (line: $0.line, offset: $0.offset) }
      offsets.sort { $0.line < $1.line }
      finder.add(hashes: hashes, signatures: signatures, flagged: flagged, offsets: offsets)
    }

    /// The merged report; `reports` (their counts at least) name the corpus.
    mutating func finish(reports: [ScanReport]) -> ScanReport {
      let first = reports[0]
      // Merged tables are bounded as a single scan's are.
      let capacity = max(2, configuration.maxDistinctOpenings)
      histogramDropped += BoundedTally.prune(&histogram, capacity: capacity)
      discovery.prune(capacity: capacity)
      let dups = finder.matches
      counts.add(dups)
      // The ids of the few duplicate examples are read back from the corpus, as a single scan
      // does, when it is at hand and unchanged (at any of the shards' paths); otherwise they
      // are named by line.
      let corpus = ShardMerger.unchangedCorpus(of: reports)
      let offsets = finder.exampleOffsets
      let duplicateExamples = CorpusScanner.duplicateExamples(
        dups, limit: configuration.examplesPerDetector, file: corpus ?? first.file, offset: { offsets[$0] },
        shape: config.shape, readingIDs: corpus != nil)
      for (detector, refs) in duplicateExamples { examples[detector, default: []] += refs }
      let limit = configuration.examplesPerDetector
      let detectors = order.map { id in
        DetectorCount(
          id: id, summary: summaries[id] ?? id, rows: counts[id] ?? 0,
          share: Double(counts[id] ?? 0) / Double(max(1, lines)),
          examples: Array((examples[id] ?? []).sorted().prefix(limit)))
      }
      let candidates =
        config.discovery
        ? Discovery.leavingOut(
          ruled: Set(first.mergeState?.ruledCandidates ?? []),
          from: Discovery.candidates(
            from: discovery, rows: rows, minShare: config.discoveryMinShare,
            highConfidenceShare: config.discoveryHighConfidenceShare,
            ignoring: config.discoveryIgnored)) : []
      return ScanReport(
        file: first.file, shard: nil, lines: lines, rows: rows, malformedLines: malformed,
        issues: Array(issues.sorted { $0.line < $1.line }.prefix(100)),
        flaggedRows: finder.flaggedRows + malformed + (counts[DetectorID.blankLine] ?? 0),
        detectors: detectors,
        openingHistogram: histogram, openingHistogramDropped: histogramDropped > 0 ? histogramDropped : nil,
        discovered: candidates, shapes: shapes, mergeState: nil,
        // Every shard decides from the corpus's first rows, and the fingerprints matched.
        notes: first.notes)
    }
  }

  /// Reads a shard report written by `fieldeval scan --shard K/N --format json`.
  public static func load(path: String) throws -> ScanReport {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LeakScannerError.unreadableReport(
        file: path, reason: FileErrors.unreadableReason(path) ?? "it could not be read")
    }
    do {
      return try JSONDecoder().decode(ScanReport.self, from: data)
    } catch {
      throw LeakScannerError.unreadableReport(file: path, reason: "not a scan report (\(error))")
    }
  }

  /// The first of the shards' corpus paths whose file still has the content they scanned (by
  /// fingerprint, or by size for reports without one), or `nil`.
  static func unchangedCorpus(of reports: [ScanReport]) -> String? {
    guard let state = reports.first?.mergeState else { return nil }
    var tried = Set<String>()
    for report in reports where tried.insert(report.file).inserted {
      if let expected = state.fileFingerprint {
        if (try? FileFingerprint.of(path: report.file)) == expected { return report.file }
      } else if let size = state.fileSize, (try? JSONLReader(path: report.file).fileSize()) == size {
        return report.file
      }
    }
    return nil
  }
}
