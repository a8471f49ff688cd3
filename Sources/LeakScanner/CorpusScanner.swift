import Foundation

/// The per-row pass over one byte range of a corpus.
package struct ShardPass: Sendable {
  var lines = 0
  var rows = 0
  var issues: [LineIssue] = []
  var malformed = 0
  /// Lines flagged by a per-row detector, ascending (no findings are kept: memory stays
  /// proportional to the row count, not to the evidence).
  var flaggedLines: [Int] = []
  /// Line and byte offset of each row, ascending, to look up ids of duplicate examples.
  var rowOffsets: [(line: Int, offset: Int)] = []
  var hashes: [(line: Int, hash: UInt64)] = []
  var signatures: [(line: Int, signature: [UInt16])] = []
  var discovery = DiscoveryStats()
  /// The plain ASCII repeated lines of `discovery`, by their bytes until the scan's end.
  var lineTally = LineTally()
  var histogram: [String: Int] = [:]
  /// Openings dropped from `histogram` to bound it.
  var histogramDropped = 0
  var shapes: [String: Int] = [:]
  var examples: [String: [RowReference]] = [:]
  var counts: [String: Int] = [:]
}

/// Scans a corpus: per-row detectors, duplicates, discovery statistics, histogram.
///
/// ```swift
/// let scanner = CorpusScanner()
/// let report = try await scanner.scan(path: "train.jsonl")
/// for d in report.detectors where d.rows > 0 { print(d.id, d.rows, d.share) }
/// ```
public struct CorpusScanner: Sendable {
  /// Settings.
  public var configuration: ScanConfiguration

  /// Whether the scan reads rows as bytes (``RowBytes``) where the detectors allow; `false`
  /// makes every row go through ``RowContext`` (tests compare the two).
  package var usesByteRows = true

  /// Creates a scanner.
  public init(configuration: ScanConfiguration = ScanConfiguration()) {
    self.configuration = configuration
  }

  /// The opening histogram's key: the first 20 characters, newlines as spaces.
  static func histogramKey(_ opening: Substring) -> String {
    String(opening.prefix(20).map { $0 == "\n" ? " " : $0 })
  }

  /// Writes the bytes of ``histogramKey(_:)`` into `key` when the first 20 characters are plain
  /// ASCII (and the next byte cannot extend the 20th); `false` otherwise.
  static func asciiHistogramKey(_ opening: UnsafeBufferPointer<UInt8>, into key: inout [UInt8]) -> Bool {
    guard let take = RowBytes.asciiCharacterPrefix(opening, 20) else { return false }
    key.removeAll(keepingCapacity: true)
    for b in opening[..<take] { key.append(b == 0x0A ? 0x20 : b) }
    return true
  }

  /// The findings of the per-row detectors for one parsed row.
  public func findings(in row: CorpusRow) -> [Finding] {
    findings(in: RowContext(row: row, format: configuration.format))
  }

  /// The findings of the per-row detectors for a row already parsed into its context, each
  /// filed under the id of the detector that made it (as the scan counts it), whatever
  /// ``Finding/detector`` the detector wrote.
  package func findings(in context: RowContext) -> [Finding] {
    configuration.detectors.flatMap { detector in
      detector.findings(in: context).map { $0.filed(under: detector.id) }
    }
  }

  /// Runs `worker` over the lines that start in `range`, with `bytes` as its row buffer.
  ///
  /// The row buffer is kept apart from the worker: passed `inout`, it is read while the
  /// worker's tallies change without being copied (a copy retains each of its arrays and makes
  /// the next row's writes reallocate them).
  func read(
    path: String, range: Range<Int>?, newlinesBefore: Int?, into worker: inout PassWorker,
    bytes: inout RowBytes
  ) throws {
    var reader = JSONLReader(path: path, maxLineBytes: configuration.maxLineBytes, byteRange: range)
    reader.newlinesBefore = newlinesBefore
    try reader.forEachLine { line in
      worker.add(line, &bytes)
    } onOversizedLine: { issue in
      worker.malformed(issue)
    }
  }

  /// Scans the whole file (or shard `k` of `n`, 1-based) using `parallelism` threads.
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the corpus cannot be read,
  ///   ``EvalCoreError/notARegularFile(path:kind:)`` when it is a pipe, a device or a directory.
  public func scan(
    path: String, shard: (k: Int, n: Int)? = nil,
    parallelism: Int = ProcessInfo.processInfo.activeProcessorCount
  )
    async throws -> ScanReport
  {
    let (report, _) = try await scanWithDuplicates(path: path, shard: shard, parallelism: parallelism)
    return report
  }

  /// Scans and also returns the duplicate findings by line (for cleaning, which recomputes
  /// the per-row findings as it writes).
  package func scanWithDuplicates(path: String, shard: (k: Int, n: Int)?, parallelism: Int) async throws -> (
    ScanReport, DuplicateMatches
  ) {
    if let shard, shard.n < 1 || shard.k < 1 || shard.k > shard.n {
      throw LeakScannerError.invalidShard("\(shard.k)/\(shard.n)")
    }
    try configuration.checkDetectorIDs()
    if configuration.leavesSettingsToCorpus {
      var decided = self
      decided.configuration = try configuration.decided(forCorpusAt: path)
      return try await decided.scanWithDuplicates(path: path, shard: shard, parallelism: parallelism)
    }
    let size = try JSONLReader(path: path).fileSize()
    var range = 0..<size
    if let shard { range = Self.shardRange(size: size, k: shard.k, n: shard.n) }
    // Four pieces per thread, so a thread that finishes early takes another piece, shrinking
    // towards the end, so no thread is left alone with a large last one. (More pieces cost CPU:
    // each fills its tables of distinct openings anew.)
    let pieces = ParallelLines.guidedPieces(of: range, count: max(1, parallelism) * 4)
    let newlinesBefore = try await ParallelLines.newlinesBefore(
      pieces, in: JSONLReader(path: path), parallelism: parallelism)
    // Each pass is folded in as soon as those before it are: the duplicate search and the
    // merges run while later pieces still scan.
    // Lines in all pieces but the last, scaled by bytes to all: the duplicate table's first size.
    let counted = (newlinesBefore.last ?? 0) - (newlinesBefore.first ?? 0)
    let countedBytes = range.count - (pieces.last?.count ?? 0)
    var assembly = ScanAssembly(
      configuration: configuration, keepsRows: shard != nil,
      expectedRows: configuration.exactDuplicates && countedBytes > 0
        ? Int(Double(counted) * Double(range.count) / Double(countedBytes)) : 0)
    // Each piece has a worker of its own, so what a piece counts (bounded tables included)
    // does not depend on which thread took it and the report is the same run after run; each
    // thread keeps its row buffer across its pieces. Passes are folded in line order.
    let format = configuration.format
    try await ParallelLines.inParallel(
      Array(zip(pieces, newlinesBefore)), workers: parallelism, state: { RowBytes(format: format) }
    ) { bytes, item in
      var worker = PassWorker(scanner: self)
      try self.read(path: path, range: item.0, newlinesBefore: item.1, into: &worker, bytes: &bytes)
      return worker.finish()
    } inOrder: { pass in
      assembly.add(pass)
    }
    return assembly.finish(file: path, shard: shard)
  }

  /// Bytes `size·(k−1)/n ..< size·k/n` of a file of `size` bytes (shard `k` of `n`, 1-based), without
  /// overflow for any `1 ≤ k ≤ n`.
  static func shardRange(size: Int, k: Int, n: Int) -> Range<Int> {
    func at(_ j: Int) -> Int { n.dividingFullWidth(size.multipliedFullWidth(by: j)).quotient }
    return at(k - 1)..<at(k)
  }

  /// Whether the ascending array `lines` holds `line`.
  static func contains(_ lines: [Int], _ line: Int) -> Bool {
    let i = lines.partitionPoint { $0 < line }
    return i < lines.count && lines[i] == line
  }

  /// The first `limit` duplicates of each duplicate detector, as examples whose row ids are read
  /// back from `file` by offset (or, without `readingIDs`, named `line-N`).
  static func duplicateExamples(
    _ dups: DuplicateMatches, limit: Int, file: String, offset: (Int) -> Int?,
    shape: CorpusShape?,
    readingIDs: Bool = true
  ) -> [String: [RowReference]] {
    var chosen: [String: [(line: Int, evidence: String)]] = [:]
    for (line, finding) in dups.firstFindings(perDetector: limit) {
      chosen[finding.detector, default: []].append((line, finding.evidence))
    }
    let ids =
      readingIDs
      ? rowIDs(file: file, lines: chosen.values.flatMap { $0.map(\.line) }, offset: offset, shape: shape)
      : [:]
    return chosen.mapValues { picked in
      picked.map { RowReference(line: $0.line, id: ids[$0.line] ?? "line-\($0.line)", evidence: $0.evidence) }
    }
  }

  /// The `id` of each of `lines`, parsed from the line read back at its offset.
  static func rowIDs(
    file: String, lines: [Int], offset: (Int) -> Int?, shape: CorpusShape?
  ) -> [Int: String] {
    guard !lines.isEmpty, let handle = FileHandle(forReadingAtPath: file) else { return [:] }
    defer { try? handle.close() }
    let parser = CorpusRowParser(shape: shape)
    var out: [Int: String] = [:]
    for line in Set(lines) {
      guard let offset = offset(line) else { continue }
      // Read up to the newline in 64 KiB steps.
      var bytes: [UInt8] = []
      try? handle.seek(toOffset: UInt64(offset))
      while let chunk = try? handle.read(upToCount: 1 << 16), !chunk.isEmpty {
        if let nl = chunk.firstIndex(of: 0x0A) {
          bytes += chunk[chunk.startIndex..<nl]
          break
        }
        bytes += chunk
        if bytes.count > 64 << 20 { break }
      }
      if case .success(let row) = parser.parse(JSONLLine(number: line, offset: offset, bytes: bytes[...])) {
        out[line] = row.id
      }
    }
    return out
  }
}

extension Array {
  /// The first index whose element does not satisfy `isBefore`, by binary search; the array
  /// must be partitioned by it (all satisfying elements first), as a sorted array is by `<`.
  func partitionPoint(_ isBefore: (Element) -> Bool) -> Int {
    var lo = 0
    var hi = count
    while lo < hi {
      let mid = (lo + hi) / 2
      if isBefore(self[mid]) { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}

/// A configuration's detectors with, for those that answer from bytes
/// (``ByteDetector/flags(_:_:)``), that answer as a closure (a method call on an existential
/// copies it, retaining what it holds, on every row) and for each detector its index there
/// (or -1).
struct ByteDetectorSet {
  let detectors: [any Detector]
  let byteFlags: [(borrowing RowBytes, inout DetectionScratch) -> Bool?]
  let byteIndex: [Int]
  /// Whether a byte detector reads the row's words (they are read once per row, with the
  /// exact-duplicate hash).
  let readsWords: Bool

  init(_ detectors: [any Detector]) {
    self.detectors = detectors
    var fast: [(borrowing RowBytes, inout DetectionScratch) -> Bool?] = []
    var wordReaders = 0
    byteIndex = detectors.map { detector in
      guard let byteDetector = detector as? any ByteDetector else { return -1 }
      fast.append(Self.flags(of: byteDetector))
      if byteDetector.readsWords { wordReaders += 1 }
      return fast.count - 1
    }
    byteFlags = fast
    readsWords = wordReaders > 0
  }

  /// The detector's `flags`, with the detector opened once.
  private static func flags(of detector: some ByteDetector) -> (borrowing RowBytes, inout DetectionScratch) ->
    Bool?
  {
    { bytes, scratch in detector.flags(bytes, &scratch) }
  }

  /// The findings of the detectors for `row`, as ``CorpusScanner/findings(in:)`` gives them,
  /// with each detector that answers from bytes asked first: only those that flag the row (or
  /// cannot tell) build their findings, from a ``RowContext`` made once, when one is needed.
  func findings(
    in row: CorpusRow, format: ReasoningFormat, usingBytes: Bool = true, bytes: inout RowBytes,
    scratch: inout DetectionScratch
  ) -> [Finding] {
    findings(
      in: row, format: format, usingBytes: usingBytes, bytes: &bytes, scratch: &scratch,
      apartFrom: detectors.count
    ).kept
  }

  /// ``findings(in:format:usingBytes:bytes:scratch:)``, with those of the detectors from index
  /// `apartFrom` on returned apart (the row is loaded, and its context made, once for all).
  func findings(
    in row: CorpusRow, format: ReasoningFormat, usingBytes: Bool = true, bytes: inout RowBytes,
    scratch: inout DetectionScratch, apartFrom: Int
  ) -> (kept: [Finding], apart: [Finding]) {
    let loaded = usingBytes && bytes.load(row)
    return findings(
      loaded: loaded, row: { (_: borrowing RowBytes) in row }, format: format, bytes: &bytes,
      scratch: &scratch, apartFrom: apartFrom)
  }

  /// ``findings(in:format:usingBytes:bytes:scratch:apartFrom:)`` of the row `bytes` holds when
  /// `loaded` (loaded from its line, ``RowBytes/load(line:shape:)``), otherwise of `row`; `row`
  /// is called, with the row's bytes, only when a detector needs the row's ``RowContext``.
  func findings(
    loaded: Bool, row: (borrowing RowBytes) -> CorpusRow, format: ReasoningFormat, bytes: inout RowBytes,
    scratch: inout DetectionScratch, apartFrom: Int
  ) -> (kept: [Finding], apart: [Finding]) {
    var context: RowContext? = nil
    func rowContext() -> RowContext {
      if let context { return context }
      let made = RowContext(row: row(bytes), format: format)
      context = made
      return made
    }
    scratch.wordsRead = false
    if loaded && readsWords { _ = scratch.readRowWords(of: bytes, forDetectors: true, hashing: false) }
    var out: ([Finding], [Finding]) = ([], [])
    for k in detectors.indices {
      if loaded, byteIndex[k] >= 0, let hit = byteFlags[byteIndex[k]](bytes, &scratch), !hit { continue }
      let found = detectors[k].findings(in: rowContext()).map { $0.filed(under: detectors[k].id) }
      if k < apartFrom {
        out.0 += found
      } else {
        out.1 += found
      }
    }
    return out
  }
}

/// The per-row work of one ``CorpusScanner`` pass, with the buffers reused from row to row.
///
/// A struct whose methods mutate `self`: state captured by nested closures would be boxed and
/// checked for exclusive access on every row.
struct PassWorker {
  let scanner: CorpusScanner
  let parser: CorpusRowParser
  let limit: Int
  let detectors: [any Detector]
  let ids: [String]
  let byteFlags: [(borrowing RowBytes, inout DetectionScratch) -> Bool?]
  let byteIndex: [Int]
  let readsWords: Bool
  var p = ShardPass()
  var scratch = DetectionScratch()
  var openingTally: OpeningTally
  // Per-detector counts and examples by index, and rows per layout, folded into `p` at the end
  // (no dictionary lookup per row).
  var detectorCounts: [Int]
  var detectorExamples: [[RowReference]]
  var shapeCounts = [Int](repeating: 0, count: CorpusShape.allCases.count)
  // Opening-histogram keys of plain ASCII openings, by their bytes.
  var histogramKeys = ByteKeyTable()
  var histogramCounts: [Int] = []
  var histogramKey: [UInt8] = []
  /// ``ScanConfiguration/maxDistinctOpenings``.
  let capacity: Int

  init(scanner: CorpusScanner) {
    self.scanner = scanner
    capacity = max(2, scanner.configuration.maxDistinctOpenings)
    openingTally = OpeningTally(capacity: capacity)
    parser = CorpusRowParser(shape: scanner.configuration.shape, format: scanner.configuration.format)
    limit = scanner.configuration.examplesPerDetector
    let set = ByteDetectorSet(scanner.configuration.detectors)
    detectors = set.detectors
    ids = detectors.map(\.id)
    byteIndex = set.byteIndex
    byteFlags = set.byteFlags
    readsWords = set.readsWords
    detectorCounts = [Int](repeating: 0, count: detectors.count)
    detectorExamples = [[RowReference]](repeating: [], count: detectors.count)
  }

  /// Counts a blank line: not a row, flagged because `clean` quarantines it.
  mutating func blank(_ line: JSONLLine) {
    countLine(line.number, as: DetectorID.blankLine, evidence: "blank line")
  }

  /// Counts a malformed line.
  mutating func malformed(_ issue: LineIssue) {
    p.malformed += 1
    if p.issues.count < 100 { p.issues.append(issue) }
    countLine(issue.line, as: DetectorID.malformed, evidence: "\(issue.kind.code)")
  }

  /// Counts a line that is not a row under the check `id`, keeping the first examples.
  private mutating func countLine(_ line: Int, as id: String, evidence: String) {
    p.lines += 1
    p.counts[id, default: 0] += 1
    if p.examples[id, default: []].count < limit {
      p.examples[id, default: []].append(RowReference(line: line, id: "line-\(line)", evidence: evidence))
    }
  }

  /// Runs the detectors and statistics on one line.
  mutating func add(_ line: JSONLLine, _ bytes: inout RowBytes) {
    if line.isBlank {
      blank(line)
      return
    }
    // Rows are read straight into `bytes` where they can be; otherwise (and for the
    // malformed line's report) through `CorpusRowParser`.
    var row: CorpusRow? = nil
    var loaded = scanner.usesByteRows && bytes.load(line: line, shape: scanner.configuration.shape)
    if !loaded {
      switch parser.parse(line) {
      case .failure(let issue):
        malformed(issue)
        return
      case .success(let parsed):
        row = parsed
        loaded = scanner.usesByteRows && bytes.load(parsed)
      }
    }
    func corpusRow() -> CorpusRow {
      if let row { return row }
      let made = bytes.corpusRow()
      row = made
      return made
    }
    p.lines += 1
    p.rows += 1
    shapeCounts[(row?.shape ?? bytes.shape).index] += 1
    // Detectors read the row's bytes; a RowContext is made only when one cannot tell from
    // bytes, or for the evidence of an example.
    var context: RowContext? = nil
    func rowContext() -> RowContext {
      if let context { return context }
      let made = RowContext(row: corpusRow(), format: scanner.configuration.format)
      context = made
      return made
    }
    var flagged = false
    scratch.wordsRead = false
    // One read of the row's words serves the word detectors and the exact-duplicate hash.
    var rowHash: UInt64? = nil
    if loaded && (readsWords || scanner.configuration.exactDuplicates) {
      rowHash = scratch.readRowWords(
        of: bytes, forDetectors: readsWords, hashing: scanner.configuration.exactDuplicates)
    }
    // Detectors are used in place through buffer pointers: copying an existential per row
    // and detector would retain every array a detector holds.
    byteFlags.withUnsafeBufferPointer { byteFlags in
      detectors.withUnsafeBufferPointer { detectors in
        for k in 0..<detectors.count {
          var evidence: String? = nil
          if loaded, byteIndex[k] >= 0, let hit = byteFlags[byteIndex[k]](bytes, &scratch) {
            guard hit else { continue }
          } else {
            guard let first = detectors[k].findings(in: rowContext()).first else { continue }
            evidence = first.evidence
          }
          flagged = true
          detectorCounts[k] += 1
          if detectorExamples[k].count < limit {
            evidence = evidence ?? detectors[k].findings(in: rowContext()).first?.evidence ?? ""
            let id = loaded ? bytes.id : corpusRow().id
            detectorExamples[k].append(RowReference(line: line.number, id: id, evidence: evidence ?? ""))
          }
        }
      }
    }
    if flagged { p.flaggedLines.append(line.number) }
    if loaded {
      let openings = bytes.openings
      bytes.storage.withUnsafeBufferPointer { all in
        for opening in openings {
          let text = UnsafeBufferPointer(rebasing: all[opening])
          // Plain ASCII keys are counted by their bytes; made into Strings once, at the end.
          if CorpusScanner.asciiHistogramKey(text, into: &histogramKey) {
            guard !histogramKey.isEmpty else { continue }
            let (index, isNew) = histogramKeys.index(of: histogramKey)
            if isNew { histogramCounts.append(0) }
            histogramCounts[index] += 1
            if isNew && histogramCounts.count > capacity { pruneHistogram() }
          } else {
            let key = CorpusScanner.histogramKey(String(decoding: text, as: UTF8.self)[...])
            if !key.isEmpty { p.histogram[key, default: 0] += 1 }
            p.histogramDropped += BoundedTally.prune(&p.histogram, capacity: capacity)
          }
        }
      }
      if scanner.configuration.discovery {
        p.discovery.add(line: line.number, bytes: bytes, tally: &openingTally, capacity: capacity)
      }
    } else {
      let context = rowContext()
      for opening in context.thinkOpenings {
        let key = CorpusScanner.histogramKey(opening)
        if !key.isEmpty { p.histogram[key, default: 0] += 1 }
      }
      p.histogramDropped += BoundedTally.prune(&p.histogram, capacity: capacity)
      if scanner.configuration.discovery { p.discovery.add(row: context, capacity: capacity) }
    }
    if scanner.configuration.exactDuplicates || scanner.configuration.nearDuplicates {
      p.rowOffsets.append((line.number, line.offset))
    }
    if scanner.configuration.exactDuplicates {
      let hash = loaded ? rowHash ?? bytes.normalizedHash : normalizedHash(corpusRow().segments)
      p.hashes.append((line.number, hash))
    }
    if scanner.configuration.nearDuplicates {
      let text = loaded ? bytes.allText : corpusRow().allText
      p.signatures.append((line.number, scanner.configuration.minHasher.signature(of: text)))
    }
  }

  /// Drops the rarest byte-keyed openings of the histogram (``BoundedTally``).
  private mutating func pruneHistogram() {
    p.histogramDropped += histogramKeys.keepMostFrequent(&histogramCounts, keeping: capacity / 2) { $0 }
  }

  /// The pass's counts, with the per-index tallies folded in.
  mutating func finish() -> ShardPass {
    openingTally.flush(into: &p.discovery)
    p.lineTally = openingTally.takeLines()
    for (key, n) in zip(histogramKeys.keys, histogramCounts) {
      p.histogram[String(decoding: key, as: UTF8.self), default: 0] += n
    }
    p.histogramDropped += BoundedTally.prune(&p.histogram, capacity: capacity)
    for k in detectors.indices where detectorCounts[k] > 0 {
      p.counts[ids[k], default: 0] += detectorCounts[k]
      p.examples[ids[k], default: []] += detectorExamples[k]
    }
    for (shape, n) in zip(CorpusShape.allCases, shapeCounts) where n > 0 { p.shapes[shape.rawValue] = n }
    return p
  }
}
