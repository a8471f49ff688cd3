/// A row cited as an example in a report.
public struct RowReference: Sendable, Hashable, Codable, Comparable {
  /// 1-based line number.
  public var line: Int
  /// Row id.
  public var id: String
  /// What was found there.
  public var evidence: String

  public static func < (a: RowReference, b: RowReference) -> Bool { a.line < b.line }
}

/// How many rows one detector flagged.
public struct DetectorCount: Sendable, Hashable, Codable {
  /// Detector id.
  public var id: String
  /// One-line description.
  public var summary: String
  /// Rows flagged.
  public var rows: Int
  /// Share of the corpus's rows (parsed rows plus malformed lines).
  public var share: Double
  /// First example rows.
  public var examples: [RowReference]
}

/// The result of scanning a corpus (or one shard of it).
public struct ScanReport: Sendable, Codable {
  /// The corpus file.
  public var file: String
  /// `K/N` when this report covers one shard.
  public var shard: String?
  /// Lines seen: rows, malformed lines and blank lines.
  public var lines: Int
  /// Rows parsed.
  public var rows: Int
  /// Malformed lines (also counted as the `malformed-line` detector).
  public var malformedLines: Int
  /// The first 100 malformed lines.
  public var issues: [LineIssue]
  /// Rows flagged by at least one check (malformed and blank lines included).
  public var flaggedRows: Int
  /// Per-check counts, in configuration order.
  public var detectors: [DetectorCount]
  /// First 20 characters of reasoning blocks → rows.
  public var openingHistogram: [String: Int]
  /// Openings counted but left out of ``openingHistogram`` because they were among the rarest
  /// when its table reached ``ScanConfiguration/maxDistinctOpenings``; `nil` when none were
  /// (then the histogram is complete and exact).
  public var openingHistogramDropped: Int? = nil
  /// Candidates for unknown scaffolding, best first.
  public var discovered: [DiscoveryCandidate]
  /// Rows per layout.
  public var shapes: [String: Int]
  /// State that lets ``ShardMerger`` combine shard reports exactly (present in shard reports).
  public var mergeState: MergeState?
  /// Settings the scan decided from the corpus that leave a check out, in words (`nil` when
  /// none did): for example `missing` reasoning, not checked in a corpus without any.
  public var notes: [String]? = nil

  /// What a shard report carries for an exact merge.
  public struct MergeState: Sendable, Codable {
    /// Lines flagged by per-row detectors (not duplicates), sorted.
    public var flaggedLines: [Int]
    /// The line and normalised hash of every parsed row, for exact duplicates across shards.
    public var rowHashes: [RowHash]
    /// The line and byte offset of every parsed row when duplicates are checked, to read the ids
    /// of duplicate examples back from the corpus.
    public var rowOffsets: [RowOffset]?
    /// The MinHash signature of every parsed row when near duplicates are on.
    public var signatures: [[UInt16]]?
    /// Line numbers matching `signatures` (kept apart because lines exceed 16 bits).
    public var signatureLines: [Int]?
    /// Discovery counts.
    public var discovery: DiscoveryStats
    /// Near-duplicate threshold and MinHash settings used.
    public var nearDuplicateThreshold: Double
    /// MinHash settings.
    public var minHasher: MinHasher
    /// Whether exact/near duplicate checks were on.
    public var exactDuplicates: Bool
    /// Whether near duplicate checks were on.
    public var nearDuplicates: Bool
    /// Discovery thresholds.
    public var discoveryMinShare: Double
    /// Discovery thresholds.
    public var discoveryHighConfidenceShare: Double
    /// What the scan's settings were (detectors, tags, layout, duplicate and discovery settings):
    /// shards scanned with other settings do not merge.
    public var configuration: String?
    /// The corpus's size in bytes when the shard was scanned: shards of another version of the
    /// file do not merge.
    public var fileSize: Int?
    /// The corpus's content fingerprint when the shard was scanned (its size and a hash of
    /// sampled blocks): shards with equal fingerprints merge whatever path each scanned, and
    /// shards with different ones do not. `nil` in reports of older versions, which merge by
    /// path and size.
    public var fileFingerprint: String? = nil
    /// Candidate shapes the scan left out (``ScanConfiguration/discoveryIgnored``), sorted;
    /// `nil` when none were (and in reports of older versions).
    public var discoveryIgnored: [String]? = nil
    /// The configured rules a discovery candidate may be (``ScanConfiguration/ruledCandidateKeys``),
    /// sorted; such candidates are left out. `nil` when there are none (and in reports of older
    /// versions).
    public var ruledCandidates: [String]? = nil

    /// A row's line and normalised hash (16 bytes, no allocation per row).
    public struct RowHash: Sendable, Hashable {
      /// Line number (1-based).
      public var line: Int
      /// The normalised row hash.
      public var hash: UInt64
      /// Creates a record.
      public init(line: Int, hash: UInt64) {
        self.line = line
        self.hash = hash
      }
    }

    /// A row's line and byte offset in the corpus.
    public struct RowOffset: Sendable, Hashable {
      /// Line number (1-based).
      public var line: Int
      /// Byte offset of the line's start.
      public var offset: Int
      /// Creates a record.
      public init(line: Int, offset: Int) {
        self.line = line
        self.offset = offset
      }
    }
  }

  enum CodingKeys: String, CodingKey {
    case file, shard, lines, rows, issues, detectors, discovered, shapes
    case malformedLines = "malformed_lines"
    case flaggedRows = "flagged_rows"
    case openingHistogram = "opening_histogram"
    case openingHistogramDropped = "opening_histogram_dropped"
    case mergeState = "merge_state"
  }

  /// Whether anything was flagged (malformed lines and high-confidence discoveries included).
  public var hasFindings: Bool { flaggedRows > 0 || discovered.contains(where: \.highConfidence) }

  /// The most frequent reasoning openings.
  public func topOpenings(_ n: Int = 20) -> [(String, Int)] {
    openingHistogram.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(n).map { ($0.key, $0.value) }
  }
}

extension ScanReport.MergeState {
  enum CodingKeys: String, CodingKey {
    case flaggedLines, rowHashes, rowOffsets, signatures, signatureLines, discovery
    case nearDuplicateThreshold, minHasher, exactDuplicates, nearDuplicates
    case discoveryMinShare, discoveryHighConfidenceShare, configuration, fileSize, fileFingerprint
    case discoveryIgnored, ruledCandidates
  }

  /// Reads a merge state; its per-row columns packed (this version) or as arrays (earlier ones).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    guard let flagged = try c.decodeRows(Int.self, width: 1, forKey: .flaggedLines) else {
      throw DecodingError.keyNotFound(
        CodingKeys.flaggedLines, .init(codingPath: c.codingPath, debugDescription: "no flagged lines"))
    }
    flaggedLines = flagged
    let hashes = try c.decodeRows(UInt64.self, width: 2, forKey: .rowHashes) ?? []
    rowHashes = try stride(from: 0, to: hashes.count, by: 2).map { k in
      guard let line = Int(exactly: hashes[k]) else {
        throw DecodingError.dataCorruptedError(
          forKey: .rowHashes, in: c, debugDescription: "line number \(hashes[k]) out of range")
      }
      return RowHash(line: line, hash: hashes[k + 1])
    }
    rowOffsets = try c.decodeRows(Int.self, width: 2, forKey: .rowOffsets).map { offsets in
      stride(from: 0, to: offsets.count, by: 2).map { RowOffset(line: offsets[$0], offset: offsets[$0 + 1]) }
    }
    minHasher = try c.decode(MinHasher.self, forKey: .minHasher)
    let width = minHasher.permutations
    signatures = try c.decodeRows(UInt16.self, width: width, forKey: .signatures).map { values in
      stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
    }
    signatureLines = try c.decodeRows(Int.self, width: 1, forKey: .signatureLines)
    if let signatures, signatureLines?.count != signatures.count {
      throw DecodingError.dataCorruptedError(
        forKey: .signatureLines, in: c,
        debugDescription: "\(signatureLines?.count ?? 0) signature lines for \(signatures.count) signatures")
    }
    discovery = try c.decode(DiscoveryStats.self, forKey: .discovery)
    nearDuplicateThreshold = try c.decode(Double.self, forKey: .nearDuplicateThreshold)
    exactDuplicates = try c.decode(Bool.self, forKey: .exactDuplicates)
    nearDuplicates = try c.decode(Bool.self, forKey: .nearDuplicates)
    discoveryMinShare = try c.decode(Double.self, forKey: .discoveryMinShare)
    discoveryHighConfidenceShare = try c.decode(Double.self, forKey: .discoveryHighConfidenceShare)
    configuration = try c.decodeIfPresent(String.self, forKey: .configuration)
    fileSize = try c.decodeIfPresent(Int.self, forKey: .fileSize)
    fileFingerprint = try c.decodeIfPresent(String.self, forKey: .fileFingerprint)
    discoveryIgnored = try c.decodeIfPresent([String].self, forKey: .discoveryIgnored)
    ruledCandidates = try c.decodeIfPresent([String].self, forKey: .ruledCandidates)
  }

  /// Writes the merge state with its per-row columns packed (``PackedNumbers``): one string
  /// each instead of an array of arrays, which `JSONEncoder` took seconds to write per shard.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodePacked(flaggedLines, forKey: .flaggedLines)
    try c.encodePacked(rowHashes.lazy.flatMap { [UInt64($0.line), $0.hash] }, width: 2, forKey: .rowHashes)
    if let rowOffsets {
      try c.encodePacked(rowOffsets.lazy.flatMap { [$0.line, $0.offset] }, width: 2, forKey: .rowOffsets)
    }
    if let signatures { try c.encodePacked(signatures, width: minHasher.permutations, forKey: .signatures) }
    if let signatureLines { try c.encodePacked(signatureLines, forKey: .signatureLines) }
    try c.encode(discovery, forKey: .discovery)
    try c.encode(nearDuplicateThreshold, forKey: .nearDuplicateThreshold)
    try c.encode(minHasher, forKey: .minHasher)
    try c.encode(exactDuplicates, forKey: .exactDuplicates)
    try c.encode(nearDuplicates, forKey: .nearDuplicates)
    try c.encode(discoveryMinShare, forKey: .discoveryMinShare)
    try c.encode(discoveryHighConfidenceShare, forKey: .discoveryHighConfidenceShare)
    try c.encodeIfPresent(configuration, forKey: .configuration)
    try c.encodeIfPresent(fileSize, forKey: .fileSize)
    try c.encodeIfPresent(fileFingerprint, forKey: .fileFingerprint)
    try c.encodeIfPresent(discoveryIgnored, forKey: .discoveryIgnored)
    try c.encodeIfPresent(ruledCandidates, forKey: .ruledCandidates)
  }
}

extension ScanReport.MergeState {
  /// Lets go of the per-row columns (flagged lines, hashes, offsets, signatures), keeping the
  /// settings and counts a merge checks first.
  mutating func dropRows() {
    flaggedLines = []
    rowHashes = []
    rowOffsets = nil
    signatures = nil
    signatureLines = nil
  }
}
