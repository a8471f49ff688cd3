import Foundation

/// Counts of a clean run. `clean + quarantined == lines` always holds.
public struct CleanSummary: Sendable, Hashable, Codable {
  /// Input lines (blank lines included).
  public var lines = 0
  /// Lines written to the clean output (byte-identical, or repaired).
  public var clean = 0
  /// Of the clean lines, rows whose scaffolding prefix was stripped.
  public var repaired = 0
  /// Lines written to the quarantine output.
  public var quarantined = 0
  /// Of the quarantined lines, malformed ones.
  public var malformed = 0
}

/// Splits a corpus into a clean file and a quarantine file: every input line goes to exactly one.
///
/// Clean lines are byte-identical to the input. Each quarantine line is a JSON object with the
/// line number, the row id, the reasons (detector ids and evidence) and the original row —
/// `row` holds the original JSON, or `raw_base64` the original bytes when the line was not
/// valid JSON or UTF-8. Of duplicates, the first copy no detector flags stays clean. With
/// `repair`, rows whose only findings are scaffolding prefixes are kept with the prefixes
/// stripped when no
/// detector flags the repaired row and it is no copy of another clean row, and each change is
/// recorded in the audit file. Outputs are written to temporary files and renamed into place,
/// so a crash leaves the old files or none.
public struct CorpusCleaner: Sendable {
  /// Scan settings.
  public var configuration: ScanConfiguration
  /// Whether the discovery candidates shaped like stamps (``DiscoveryCandidate/acceptable``),
  /// not only the high-confidence ones, become rules. Candidates of repeated prose never do:
  /// write them to a ruleset and accept them there.
  public var acceptDiscovered: Bool
  /// Whether scaffolding prefixes are stripped instead of quarantining the row.
  public var repair: Bool

  /// Creates a cleaner.
  public init(
    configuration: ScanConfiguration = ScanConfiguration(), acceptDiscovered: Bool = false,
    repair: Bool = false
  ) {
    self.configuration = configuration
    self.acceptDiscovered = acceptDiscovered
    self.repair = repair
  }

  /// Cleans `path` into `cleanOut` and `quarantineOut` (and `auditOut` with `repair`).
  ///
  /// - Returns: the counts and the scan report the decisions were based on.
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` or
  ///   ``EvalCoreError/notARegularFile(path:kind:)`` for the corpus,
  ///   ``EvalCoreError/unwritableFile(path:reason:)`` for an output (the old outputs are then
  ///   left as they were), ``LeakScannerError/duplicateDetectorID(_:)`` when a detector of the
  ///   configuration takes ``DetectorID/discovered``, the id of the discovered rules' detector
  ///   the cleaner adds.
  public func clean(path: String, cleanOut: String, quarantineOut: String, auditOut: String? = nil)
    async throws -> (
      CleanSummary, ScanReport
    )
  {
    // An output that cannot be written is reported under its own name before the scan starts.
    let outputs = [cleanOut, quarantineOut] + (auditOut.map { [$0] } ?? [])
    for (k, output) in outputs.enumerated() {
      if let problem = AtomicLineFile.problem(writing: output) {
        throw EvalCoreError.unwritableFile(path: output, reason: problem)
      }
      let resolved = URL(fileURLWithPath: output).standardizedFileURL.path
      if outputs[..<k].contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.path == resolved }) {
        throw EvalCoreError.unwritableFile(
          path: output,
          reason: "it is named for two outputs; give the clean, quarantine and audit files distinct paths")
      }
    }
    // The cleaner adds the discovered rules' detector itself: a detector of the configuration
    // with its id would merge with it in the quarantine reasons.
    if configuration.detectors.contains(where: { $0.id == DetectorID.discovered }) {
      throw LeakScannerError.duplicateDetectorID(DetectorID.discovered)
    }
    // The settings left to the corpus are decided once, for the scan and the writing pass.
    let scanner = CorpusScanner(configuration: try configuration.decided(forCorpusAt: path))
    let parallelism = ProcessInfo.processInfo.activeProcessorCount
    let (report, scanDuplicates) = try await scanner.scanWithDuplicates(
      path: path, shard: nil, parallelism: parallelism)
    let discoveredRules = report.discovered.filter { $0.isApplied(acceptingDiscovered: acceptDiscovered) }
      .map {
        $0.rule()
      }
    let discovered = RuleDetector(
      id: DetectorID.discovered, summary: "discovered scaffolding", rules: discoveredRules)

    // Second pass, in parallel over byte ranges: each piece recomputes its rows' findings
    // (nothing per row is kept from the scan, so memory does not grow with the corpus) and
    // writes part files, joined in order into the atomic outputs as they are done. Four
    // pieces per thread, shrinking towards the end, keep both threads busy to the end.
    let pieces = ParallelLines.guidedPieces(
      of: 0..<(try JSONLReader(path: path).fileSize()), count: parallelism * 4)
    let partPaths = pieces.indices.map { i in outputs.map { Self.partPath(for: $0, piece: i) } }
    for path in partPaths.joined() { TemporaryFiles.register(path) }
    defer {
      for path in partPaths.joined() {
        unlink(path)
        TemporaryFiles.unregister(path)
      }
    }
    let newlinesBefore = try await ParallelLines.newlinesBefore(
      pieces, in: JSONLReader(path: path), parallelism: parallelism)
    // Two things are known only once every row was decided, so the first run may be redone
    // once with them known (nothing else changes, so the second run needs no third):
    // - scaffolding is cut only when its shape recurs (at least 3 rows and the discovery share
    //   of the corpus): a rare prefix (`K9 unit: `, `dose=5mg `) is likelier prose than a
    //   pipeline's leak, and its row is quarantined whole instead;
    // - a repaired row can equal another clean row (its copy without the prefix, or another row
    //   repaired the same way): each later copy goes to quarantine as a duplicate.
    var duplicates = DuplicateLookup(scan: scanDuplicates)
    var unrepaired = Set<Int>()
    var summaries: [CleanSummary] = []
    var files: [AtomicLineFile] = []
    for attempt in 0..<2 {
      let (known, keep) = (duplicates, unrepaired)
      // Each piece's parts are appended to the outputs as soon as it and those before it are
      // done, while later pieces are still cleaned (and then removed): the join overlaps the
      // work instead of following it.
      var summariesSoFar: [CleanSummary] = []
      // The rows written clean, folded in as pieces finish: only the repaired ones are kept
      // until the end, not a hash for every row.
      var repairedCopies = RepairDuplicateSearch()
      var repairedShapes: [String: [Int]] = [:]
      do {
        files = []
        for output in outputs { files.append(try AtomicLineFile(path: output)) }
        try await ParallelLines.inParallel(Array(pieces.indices), parallelism: parallelism) { i in
          try self.cleanPiece(
            path: path, range: pieces[i], newlinesBefore: newlinesBefore[i], parts: partPaths[i],
            duplicates: known, discovered: discovered, keepWhole: keep, scanner: scanner)
        } inOrder: { result in
          for (file, part) in zip(files, partPaths[summariesSoFar.count]) {
            try file.append(contentsOf: part)
            unlink(part)
          }
          summariesSoFar.append(result.summary)
          for row in result.cleanHashes {
            repairedCopies.add(line: row.line, hash: row.hash, repaired: row.repaired)
          }
          for (line, shape) in result.repairedShapes { repairedShapes[shape, default: []].append(line) }
        }
      } catch {
        for file in files { file.abandon() }
        throw error
      }
      summaries = summariesSoFar
      guard repair, attempt == 0 else { break }
      let lines = summaries.reduce(0) { $0 + $1.lines }
      let needed = max(3, Int((configuration.discoveryMinShare * Double(lines)).rounded(.up)))
      // A row is cut only when every prefix it loses recurs.
      unrepaired = Set(repairedShapes.values.filter { $0.count < needed }.joined())
      let created = repairedCopies.finish(excluding: unrepaired)
      if unrepaired.isEmpty && created.isEmpty { break }
      duplicates.afterRepair.merge(created) { first, _ in first }
      // Written again with what the first run found.
      for file in files { file.abandon() }
    }
    var summary = CleanSummary()
    for s in summaries {
      summary.lines += s.lines
      summary.clean += s.clean
      summary.repaired += s.repaired
      summary.quarantined += s.quarantined
      summary.malformed += s.malformed
    }
    try AtomicLineFile.commit(files)
    return (summary, report)
  }

  /// What every detector, the discovered rules included, finds in a repaired row (duplicates
  /// are checked across the whole output afterwards).
  func findingsAfterRepair(_ row: CorpusRow, scanner: CorpusScanner, discovered: RuleDetector) -> [Finding] {
    let context = RowContext(row: row, format: configuration.format)
    return scanner.findings(in: context) + discovered.findings(in: context)
  }

  static func partPath(for output: String, piece: Int) -> String {
    let url = URL(fileURLWithPath: output)
    // A device or a pipe (`/dev/null`) has no folder of ours to write beside it.
    let folder =
      AtomicLineFile.isStream(output)
      ? URL(fileURLWithPath: NSTemporaryDirectory()) : url.deletingLastPathComponent()
    return folder.appendingPathComponent(
      ".\(url.lastPathComponent).part\(piece)-\(getpid())"
    ).path
  }

  /// Cleans the lines that start in `range` into the part files `parts` (clean, quarantine, audit);
  /// with `repair`, also returns the line and normalised hash of each row written clean.
  func cleanPiece(
    path: String, range: Range<Int>, newlinesBefore: Int?, parts: [String], duplicates: DuplicateLookup,
    discovered: RuleDetector, keepWhole: Set<Int>, scanner: CorpusScanner
  ) throws -> PieceResult {
    var cleanHashes: [(line: Int, hash: UInt64, repaired: Bool)] = []
    var repairedShapes: [(line: Int, shape: String)] = []
    let parser = CorpusRowParser(shape: configuration.shape, format: configuration.format)
    // The outputs' files swept the folder of leftovers when they were made.
    let files = try parts.map { try AtomicLineFile(path: $0, removingStale: false) }
    let cleanFile = files[0]
    let quarantineFile = files[1]
    let auditFile = files.count > 2 ? files[2] : nil
    var summary = CleanSummary()
    // The discovered rules last, answering from bytes like the others: most rows then need no
    // `RowContext` for them.
    let detectorSet = ByteDetectorSet(
      scanner.configuration.detectors + (discovered.rules.isEmpty ? [] : [discovered]))
    var bytes = RowBytes(format: configuration.format)
    var scratch = DetectionScratch()
    do {
      var reader = JSONLReader(path: path, maxLineBytes: configuration.maxLineBytes, byteRange: range)
      reader.newlinesBefore = newlinesBefore
      let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
      defer { try? source.close() }
      try reader.forEachLine { line in
        summary.lines += 1
        if line.isBlank {
          try quarantine(
            quarantineFile, line: line.number, id: nil,
            reasons: [Finding(detector: DetectorID.blankLine, evidence: "blank line")], raw: line.bytes,
            json: false)
          summary.quarantined += 1
          return
        }
        // From the line's bytes, as the scan reads it; a line the byte path cannot take (or a
        // malformed one, which the parser then names) through the parsed row.
        var loaded = scanner.usesByteRows && bytes.load(line: line, shape: configuration.shape)
        var parsed: CorpusRow? = nil
        if !loaded {
          switch parser.parse(line) {
          case .failure(let issue):
            var isJSON = false
            if case .missingField = issue.kind { isJSON = true }
            // The JSON parsed: its id names the row, as for the rows a detector flags.
            try quarantine(
              quarantineFile, line: line.number, id: isJSON ? CorpusRowParser.id(of: line) : nil,
              reasons: [Finding(detector: DetectorID.malformed, evidence: issue.description)],
              raw: line.bytes,
              json: isJSON)
            summary.quarantined += 1
            summary.malformed += 1
            return
          case .success(let r):
            parsed = r
            loaded = scanner.usesByteRows && bytes.load(r)
          }
        }
        // Made from the bytes only when needed: most rows of a clean corpus need no row.
        func corpusRow(_ bytes: borrowing RowBytes) -> CorpusRow {
          if let parsed { return parsed }
          let made = bytes.corpusRow()
          parsed = made
          return made
        }
        // Evidence is built only for the detectors that flag the row (most rows of a clean
        // corpus need no RowContext at all).
        var (findings, found) = detectorSet.findings(
          loaded: loaded, row: corpusRow, format: configuration.format, bytes: &bytes,
          scratch: &scratch, apartFrom: scanner.configuration.detectors.count)
        if let duplicate = duplicates[line.number] { findings.append(duplicate) }
        if !found.isEmpty {
          let already = Set(findings.compactMap(\.repairPrefix))
          findings += found.filter { f in
            !(f.repairPrefix.map { p in already.contains { $0.hasPrefix(p) || p.hasPrefix($0) } } ?? false)
          }
        }
        if findings.isEmpty {
          try cleanFile.write(line.bytes)
          if repair {
            cleanHashes.append(
              (line.number, loaded ? bytes.normalizedHash : normalizedHash(corpusRow(bytes).segments), false))
          }
          summary.clean += 1
          return
        }
        let row = corpusRow(bytes)
        let prefixes = Repair.prefixesToStrip(findings)
        // A repair applies when some finding has a prefix to strip and every other finding is
        // gone from the repaired row (a discovered line that was the stripped prefix); a
        // duplicate or any other finding keeps the row in quarantine.
        let others = findings.filter { $0.repairPrefix == nil }
        // `keepWhole`: rows whose prefix shape turned out rare in the first run (a one-off
        // `K9 unit: …` is quarantined, never rewritten).
        let repairable =
          repair && !prefixes.isEmpty && !others.contains { $0.detector == DetectorID.exactDuplicate }
          && !others.contains { $0.detector == DetectorID.nearDuplicate } && !keepWhole.contains(line.number)
        // Strip, then check the repaired row with every detector: it goes to the clean output
        // only when nothing flags it any more. A prefix found under the stripped one (stacked
        // tags such as `[variant 3] Persona: …`) is stripped in turn, a few times at most.
        var repaired: (bytes: ArraySlice<UInt8>, row: CorpusRow)? = nil
        var removed: [String] = []
        var rewritten = false
        if repairable {
          var current = (line: line, row: row, prefixes: prefixes)
          for _ in 0..<4 {
            let inPlace = Repair.stripInPlace(
              prefixes: current.prefixes, from: current.line, row: current.row, format: configuration.format,
              parser: parser)
            guard
              let stripped = inPlace
                ?? Repair.strip(prefixes: current.prefixes, from: current.line, format: configuration.format)
            else { break }
            rewritten = rewritten || inPlace == nil
            removed += current.prefixes
            let strippedLine = JSONLLine(number: line.number, offset: line.offset, bytes: stripped)
            guard case .success(let strippedRow) = parser.parse(strippedLine) else { break }
            let left = findingsAfterRepair(strippedRow, scanner: scanner, discovered: discovered)
            if left.isEmpty {
              repaired = (stripped, strippedRow)
              break
            }
            // Two rules may find the prefix under the stripped one (the designator and a
            // discovered family): it is cut once.
            guard left.allSatisfy({ $0.repairPrefix != nil }) else { break }
            let more = Repair.prefixesToStrip(left)
            current = (strippedLine, strippedRow, more)
          }
        }
        if let repaired {
          try cleanFile.write(repaired.bytes)
          if repair {
            cleanHashes.append((line.number, normalizedHash(repaired.row.segments), true))
            for prefix in Set(removed) {
              repairedShapes.append((line.number, Repair.recurrenceShape(prefix)))
            }
          }
          summary.clean += 1
          summary.repaired += 1
          // `rewritten`: the prefix could not be cut out in place, so the row was written anew
          // (keys sorted, escapes and number forms as JSONSerialization writes them).
          let audit: [String: Any] = [
            "line": line.number, "id": row.id, "removed": removed, "detectors": findings.map(\.detector),
            "rewritten": rewritten,
          ]
          try auditFile?.write(
            Array(
              try JSONSerialization.data(
                withJSONObject: audit, options: [.sortedKeys, .withoutEscapingSlashes]))[...])
          return
        }
        try quarantine(
          quarantineFile, line: line.number, id: row.id, reasons: findings, raw: line.bytes, json: true)
        summary.quarantined += 1
      } onOversizedLine: { issue in
        summary.lines += 1
        try quarantineOversized(quarantineFile, issue: issue, from: source, path: path)
        summary.quarantined += 1
        summary.malformed += 1
      }
      for file in files { try file.commit() }
    } catch {
      for file in files { file.abandon() }
      throw error
    }
    return PieceResult(summary: summary, cleanHashes: cleanHashes, repairedShapes: repairedShapes)
  }

  /// What one piece of the clean pass found: its counts, and with `repair` the line and
  /// normalised hash of each row written clean and the shape of each prefix cut from a repaired
  /// row (``Discovery/lineShape(_:)``).
  struct PieceResult: Sendable {
    var summary: CleanSummary
    var cleanHashes: [(line: Int, hash: UInt64, repaired: Bool)]
    var repairedShapes: [(line: Int, shape: String)]
  }

  func quarantine(
    _ file: AtomicLineFile, line: Int, id: String?, reasons: [Finding], raw: ArraySlice<UInt8>, json: Bool
  ) throws {
    let (head, tail) = Self.quarantineFraming(line: line, id: id, reasons: reasons, json: json)
    try file.writePartOfLine(head)
    if json {
      try file.writePartOfLine(Self.rowText(raw))
    } else {
      try Self.writeBase64(raw, to: file)
    }
    try file.write(tail)
  }

  /// Writes the quarantine line of a line over the reader's limit, its bytes read back from
  /// `source` (the corpus at `path`) a few MiB at a time and written as base64 as they come:
  /// the line is never held whole.
  func quarantineOversized(_ file: AtomicLineFile, issue: LineIssue, from source: FileHandle, path: String)
    throws
  {
    let (head, tail) = Self.quarantineFraming(
      line: issue.line, id: nil,
      reasons: [Finding(detector: DetectorID.malformed, evidence: issue.description)],
      json: false)
    try file.writePartOfLine(head)
    var chunk = [UInt8](repeating: 0, count: Self.base64Chunk)
    var position = issue.offset
    let end = issue.offset + issue.length
    while position < end {
      let want = min(chunk.count, end - position)
      // Whole chunks (a multiple of 3 bytes) only, so their base64 joins into the line's.
      var got = 0
      while got < want {
        let n = chunk.withUnsafeMutableBytes {
          pread(source.fileDescriptor, $0.baseAddress! + got, want - got, off_t(position + got))
        }
        guard n > 0 else {
          throw EvalCoreError.unreadableFile(
            path: path,
            reason: n < 0
              ? String(cString: strerror(errno))
              : "it ended inside line \(issue.line) while it was cleaned: was it changed meanwhile?")
        }
        got += n
      }
      try Self.writeBase64(chunk[..<want], to: file)
      position += want
    }
    try file.write(tail)
  }

  /// Bytes base64-encoded at a time: a multiple of 3, so the pieces' base64 is the whole's.
  static let base64Chunk = 3 << 20

  /// Writes `raw` base64-encoded, ``base64Chunk`` bytes at a time.
  static func writeBase64(_ raw: ArraySlice<UInt8>, to file: AtomicLineFile) throws {
    var from = raw.startIndex
    while from < raw.endIndex {
      let to = min(from + base64Chunk, raw.endIndex)
      try file.writePartOfLine(Data(raw[from..<to]).base64EncodedData())
      from = to
    }
  }

  /// The original row as `row` embeds it: without a trailing `\r` or a leading byte-order mark.
  static func rowText(_ raw: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var content = raw
    if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
    if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }  // a BOM
    return content
  }

  /// A quarantine line: `{"id":…,"line":…,"raw_base64":…,"reasons":[{"detector":…,"evidence":…}],"row":…}`
  /// (keys in that order; `id` when the row has one; the original row verbatim as `row` when it
  /// is JSON, base64 as `raw_base64` otherwise). Written by hand: it is one line per flagged
  /// row, and `JSONSerialization` took as long as the rest of cleaning.
  static func quarantineLine(line: Int, id: String?, reasons: [Finding], raw: ArraySlice<UInt8>, json: Bool)
    -> [UInt8]
  {
    let (head, tail) = quarantineFraming(line: line, id: id, reasons: reasons, json: json)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(head.count + raw.count * 4 / 3 + 4 + tail.count)
    bytes += head
    if json {
      bytes += rowText(raw)
    } else {
      bytes += Data(raw).base64EncodedString().utf8
    }
    bytes += tail
    return bytes
  }

  /// The text of a ``quarantineLine(line:id:reasons:raw:json:)`` before and after the original
  /// line (the `raw_base64` string's contents, or the `row` JSON), which is written between them
  /// as it is read.
  static func quarantineFraming(line: Int, id: String?, reasons: [Finding], json: Bool) -> (
    head: [UInt8], tail: [UInt8]
  ) {
    var head: [UInt8] = [UInt8(ascii: "{")]
    if let id {
      head += #""id":"#.utf8
      JSONText.appendString(id, to: &head)
      head.append(UInt8(ascii: ","))
    }
    head += #""line":"#.utf8
    head += String(line).utf8
    var reasonList: [UInt8] = Array(#""reasons":["#.utf8)
    for (k, r) in reasons.enumerated() {
      if k > 0 { reasonList.append(UInt8(ascii: ",")) }
      reasonList += #"{"detector":"#.utf8
      JSONText.appendString(r.detector, to: &reasonList)
      reasonList += #","evidence":"#.utf8
      JSONText.appendString(r.evidence, to: &reasonList)
      reasonList.append(UInt8(ascii: "}"))
    }
    reasonList.append(UInt8(ascii: "]"))
    if json {
      // The original row follows verbatim.
      head.append(UInt8(ascii: ","))
      head += reasonList
      head += #","row":"#.utf8
      return (head, [UInt8(ascii: "}")])
    }
    head += #","raw_base64":""#.utf8
    return (head, Array(#"","#.utf8) + reasonList + [UInt8(ascii: "}")])
  }
}

/// JSON text written by hand.
enum JSONText {
  /// Appends `text` as a JSON string: quotes, `\"`, `\\`, the short escapes of control
  /// characters and `\u00XX` for the others; everything else as its UTF-8 bytes.
  static func appendString(_ text: String, to out: inout [UInt8]) {
    let backslash = UInt8(ascii: "\\")
    out.append(UInt8(ascii: "\""))
    for b in text.utf8 {
      let short: UInt8? =
        switch b {
        case UInt8(ascii: "\""), backslash: b
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        default: nil
        }
      if let short {
        out.append(backslash)
        out.append(short)
      } else if b < 0x20 {
        let hex = Array("0123456789abcdef".utf8)
        out += Array(#"\u00"#.utf8)
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 15)])
      } else {
        out.append(b)
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}

/// Strips detected prefixes from the reasoning blocks of a row.
enum Repair {
  /// The shape a cut prefix recurs by (``Discovery/lineShape(_:)``), with a no-break or narrow
  /// space read as a space: `B7\u{A0}pepper mixer: ` is the family of `B7 pepper mixer: `, and
  /// is cut with it rather than quarantined as a prefix seen once.
  static func recurrenceShape(_ prefix: String) -> String {
    Discovery.lineShape(
      String(
        String.UnicodeScalarView(
          prefix.unicodeScalars.map { [0xA0, 0x2007, 0x202F].contains($0.value) ? " " : $0 })))
  }

  /// The part of a repair prefix that is scaffolding: of a code and a "label" that is the
  /// start of a sentence (`A1 let me see: `, `E5 we compute the ratio: `, as the designator
  /// rule reads them), the code and its blanks, as the discovered family rule cuts it
  /// (``Discovery/familyRuleTail``); any other prefix whole.
  static func scaffoldingOnly(_ prefix: String) -> String {
    var copy = prefix
    let cut = copy.withUTF8 { w -> Int? in
      guard let i = Discovery.codeAndBlanksEnd(w, noBreakSpace: true), Discovery.startsWithOpener(w, at: i)
      else { return nil }
      return i
    }
    guard let cut else { return prefix }
    return String(decoding: prefix.utf8.prefix(cut), as: UTF8.self)
  }

  /// The prefixes of `findings` to strip (``scaffoldingOnly(_:)`` of each). A detector finds one prefix per reasoning block, so a
  /// prefix is stripped as many times as the detector that found it most often did (the
  /// designator and a discovered family finding the same `A4 spice combinator: ` cut it once;
  /// five blocks opening with it cut it five times); of two where one starts the other (`A4 `
  /// and `A4 spice combinator: ` from two detectors), the longer.
  static func prefixesToStrip(_ findings: [Finding]) -> [String] {
    var order: [String] = []
    var perDetector: [String: [String: Int]] = [:]
    for finding in findings {
      guard let prefix = finding.repairPrefix.map(scaffoldingOnly) else { continue }
      if !order.contains(prefix) { order.append(prefix) }
      perDetector[finding.detector, default: [:]][prefix, default: 0] += 1
    }
    var times: [String: Int] = [:]
    for counts in perDetector.values {
      for (prefix, n) in counts { times[prefix] = max(times[prefix] ?? 0, n) }
    }
    return order.filter { p in !order.contains { $0 != p && $0.hasPrefix(p) } }
      .flatMap { Array(repeating: $0, count: times[$0] ?? 1) }
  }

  /// The line with each prefix cut out of its JSON string in place, every other byte as it was;
  /// `nil` when the cut cannot be found or would not give the row ``strip(prefixes:from:format:)``
  /// describes (checked by parsing the result).
  static func stripInPlace(
    prefixes: [String], from line: JSONLLine, row: CorpusRow, format: ReasoningFormat, parser: CorpusRowParser
  ) -> ArraySlice<UInt8>? {
    guard !prefixes.isEmpty else { return nil }
    // What the row (`line` parsed) must read as afterwards: its model texts, prefixes stripped.
    var remaining = prefixes
    var expected = row.segments
    for i in expected.indices where expected[i].isModelText {
      expected[i].text = strip(&remaining, from: expected[i].text, format: format)
    }
    guard remaining.isEmpty else { return nil }
    var bytes = Array(line.content)
    let trailer = line.bytes.count > line.content.count ? [UInt8](line.bytes[line.content.endIndex...]) : []
    for prefix in prefixes {
      guard let cut = firstCut(of: Array(prefix.utf8), after: Array(format.openTag.utf8), in: bytes) else {
        return nil
      }
      bytes.removeSubrange(cut)
    }
    let result = bytes + trailer
    guard
      case .success(let after) = parser.parse(
        JSONLLine(number: line.number, offset: line.offset, bytes: result[...])),
      after.segments == expected, after.id == row.id
    else { return nil }
    return result[...]
  }

  /// The raw bytes of the JSON line `bytes` that hold `prefix` (UTF-8) where it starts a
  /// reasoning block: in a string's decoded text after the opening tag `open` and white space,
  /// or at the start of a string value after white space (a prefilled block). The first such
  /// place; the decoded text is matched, so whatever escapes the writer chose (`\u003cthink\u003e`
  /// from Go's `encoding/json`, `\u00e9` for `é`, `\/`) the cut is the escapes that make the
  /// prefix, and the rest of the line keeps its bytes.
  static func firstCut(of prefix: [UInt8], after open: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
    var i = 0
    var afterColon = false
    while i < bytes.count {
      let b = bytes[i]
      if b == 0x22 {
        guard let (decoded, raw, end) = decodedString(bytes, from: i + 1) else { return nil }
        if let cut = cut(prefix, after: open, in: decoded, raw: raw, valueStart: afterColon) { return cut }
        i = end + 1
        afterColon = false
        continue
      }
      if b != 0x20 && b != 0x09 && b != 0x0D && b != 0x0A { afterColon = b == 0x3A }
      i += 1
    }
    return nil
  }

  /// Where `prefix` starts a reasoning block in one string's `decoded` bytes (``firstCut(of:after:in:)``),
  /// as the range of raw bytes that hold it: `raw[k]` is where the escape or byte that decodes
  /// to `decoded[k]` begins, and `raw[decoded.count]` the string's closing quote.
  private static func cut(
    _ prefix: [UInt8], after open: [UInt8], in decoded: [UInt8], raw: [Int], valueStart: Bool
  ) -> Range<Int>? {
    func skipSpace(_ from: Int) -> Int {
      var k = from
      while k < decoded.count, [0x20, 0x0A, 0x09, 0x0D].contains(decoded[k]) { k += 1 }
      return k
    }
    func matches(at k: Int) -> Bool {
      k + prefix.count <= decoded.count && decoded[k..<(k + prefix.count)].elementsEqual(prefix)
    }
    if !open.isEmpty {
      var k = 0
      while k + open.count <= decoded.count {
        if decoded[k..<(k + open.count)].elementsEqual(open) {
          let start = skipSpace(k + open.count)
          if matches(at: start) { return raw[start]..<raw[start + prefix.count] }
        }
        k += 1
      }
    }
    if valueStart {
      let start = skipSpace(0)
      if matches(at: start) { return raw[start]..<raw[start + prefix.count] }
    }
    return nil
  }

  /// The JSON string whose contents start at `from` (after its opening quote): its decoded
  /// UTF-8, where each decoded byte's escape or byte begins (and, last, the closing quote's
  /// index), and the closing quote's index; `nil` for a string that is not closed or holds a
  /// bad escape (the line then is no row to cut).
  static func decodedString(_ bytes: [UInt8], from: Int) -> ([UInt8], [Int], Int)? {
    var decoded: [UInt8] = []
    var raw: [Int] = []
    var i = from
    func hex4(_ at: Int) -> UInt32? {
      guard at + 4 <= bytes.count else { return nil }
      var v: UInt32 = 0
      for b in bytes[at..<(at + 4)] {
        guard let d = hexDigit(b) else { return nil }
        v = v << 4 | d
      }
      return v
    }
    func append(_ scalar: UInt32, at start: Int) {
      let text = Unicode.Scalar(scalar).map { String($0) } ?? "\u{FFFD}"
      for unit in text.utf8 {
        decoded.append(unit)
        raw.append(start)
      }
    }
    while i < bytes.count {
      let b = bytes[i]
      if b == 0x22 {
        raw.append(i)
        return (decoded, raw, i)
      }
      guard b == 0x5C else {
        decoded.append(b)
        raw.append(i)
        i += 1
        continue
      }
      guard i + 1 < bytes.count else { return nil }
      let start = i
      switch bytes[i + 1] {
      case 0x22, 0x5C, 0x2F: append(UInt32(bytes[i + 1]), at: start)
      case 0x62: append(0x08, at: start)
      case 0x66: append(0x0C, at: start)
      case 0x6E: append(0x0A, at: start)
      case 0x72: append(0x0D, at: start)
      case 0x74: append(0x09, at: start)
      case 0x75:
        guard let unit = hex4(i + 2) else { return nil }
        if (0xD800..<0xDC00).contains(unit), i + 12 <= bytes.count, bytes[i + 6] == 0x5C,
          bytes[i + 7] == 0x75, let low = hex4(i + 8), (0xDC00..<0xE000).contains(low)
        {
          append(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), at: start)
          i += 12
          continue
        }
        append(unit, at: start)
        i += 6
        continue
      default: return nil
      }
      i += 2
    }
    return nil
  }

  private static func hexDigit(_ b: UInt8) -> UInt32? {
    switch b {
    case 0x30...0x39: UInt32(b - 0x30)
    case 0x41...0x46: UInt32(b - 0x41 + 10)
    case 0x61...0x66: UInt32(b - 0x61 + 10)
    default: nil
    }
  }

  static func strip(prefixes: [String], from line: JSONLLine, format: ReasoningFormat) -> ArraySlice<UInt8>? {
    guard var object = (try? JSONSerialization.jsonObject(with: Data(line.content))) as? [String: Any] else {
      return nil
    }
    var remaining = prefixes
    func fix(_ text: String) -> String { strip(&remaining, from: text, format: format) }
    // A reasoning field (read as its turn's reasoning block) is stripped as that block; `false`
    // when what is left no longer has the block's framing.
    let (before, after) = format.turnFraming
    func fixReasoning(in fields: inout [String: Any]) -> Bool {
      guard
        let key = CorpusRowParser.reasoningKeys.first(where: { fields[$0] != nil && !(fields[$0] is NSNull) }
        ),
        let reasoning = fields[key] as? String
      else { return true }
      let fixed = fix(format.renderedTurn(reasoning: reasoning, content: ""))
      guard fixed.hasPrefix(before), fixed.hasSuffix(after) else { return false }
      fields[key] = String(fixed.dropFirst(before.count).dropLast(after.count))
      return true
    }
    // Beside a string response, before it.
    if CorpusRowParser.responseKeys.contains(where: { object[$0] is String }), !fixReasoning(in: &object) {
      return nil
    }
    for key in CorpusRowParser.responseKeys + ["text"] {
      if let s = object[key] as? String { object[key] = fix(s) }
    }
    // Message lists: a chat's, and a response field's (TRL's conversational layouts).
    let lists =
      [("messages", "role", "content"), ("conversations", "from", "value")]
      + CorpusRowParser.responseKeys.map { ($0, "role", "content") }
    for (listKey, roleKey, contentKey) in lists {
      if var list = object[listKey] as? [[String: Any]] {
        let alternate = CorpusRowParser.alternateKeys(roleKey: roleKey, contentKey: contentKey)
        for i in list.indices {
          // Read as the parser reads it: a message may hold the other layout's keys.
          let (roleKey, contentKey) =
            list[i][roleKey] == nil && list[i][alternate.role] != nil ? alternate : (roleKey, contentKey)
          let role = (list[i][roleKey] as? String ?? "").lowercased()
          guard RowSegment(role: role, text: "").isModelText else { continue }
          guard fixReasoning(in: &list[i]) else { return nil }
          if let s = list[i][contentKey] as? String { list[i][contentKey] = fix(s) }
        }
        object[listKey] = list
      }
    }
    guard remaining.isEmpty,
      let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return nil }
    // The line's own ending stays (a CRLF file's `\r`), as an in-place cut keeps it.
    return (Array(data) + line.bytes[line.content.endIndex...])[...]
  }

  /// `text` with the first of `remaining` stripped from a reasoning block's start, then the
  /// next, while one applies; the stripped prefixes leave `remaining`.
  static func strip(_ remaining: inout [String], from text: String, format: ReasoningFormat) -> String {
    var text = text
    while let prefix = remaining.first, let stripped = stripOne(prefix, from: text, format: format) {
      text = stripped
      remaining.removeFirst()
    }
    return text
  }

  static func stripOne(_ prefix: String, from text: String, format: ReasoningFormat) -> String? {
    var search = text.startIndex
    while let open = text.range(of: format.openTag, range: search..<text.endIndex) {
      let afterSpace = text[open.upperBound...].firstIndex { !$0.isWhitespace } ?? text.endIndex
      if text[afterSpace...].hasPrefix(prefix) {
        return String(text[..<afterSpace]) + String(text[text.index(afterSpace, offsetBy: prefix.count)...])
      }
      search = open.upperBound
    }
    // A prefilled block starts the text.
    let start = text.firstIndex { !$0.isWhitespace } ?? text.endIndex
    if text[start...].hasPrefix(prefix) {
      return String(text[..<start]) + String(text[text.index(start, offsetBy: prefix.count)...])
    }
    return nil
  }
}

/// The rows a repair made duplicates of others, from the rows written clean, given in line
/// order (line, normalised hash, whether it was repaired): rows written as they were come
/// first, then the repaired ones, each in line order; the first row of each hash stays and
/// every later one is a duplicate. So a repaired row that copies a clean original is the one
/// quarantined, whichever comes first (the scan already removed duplicates among the
/// originals, so each of these is a repaired row). Rows written as they were go into the
/// table as they come; only the repaired ones wait for ``finish(excluding:)``.
struct RepairDuplicateSearch {
  private var table = ExactHashTable()
  private var repaired: [(line: Int, hash: UInt64)] = []
  private var found: [Int: Finding] = [:]

  /// Adds the next row written clean (rows come in line order).
  mutating func add(line: Int, hash: UInt64, repaired isRepaired: Bool) {
    if isRepaired {
      repaired.append((line, hash))
    } else {
      record(line: line, hash: hash)
    }
  }

  private mutating func record(line: Int, hash: UInt64) {
    guard let first = table.firstLine(hash: hash, line: line) else { return }
    found[line] = Finding(detector: DetectorID.exactDuplicate, evidence: "same as line \(first) after repair")
  }

  /// The duplicates by line, once the repaired rows on the lines `excluded` (which will be
  /// quarantined whole instead) are left out.
  mutating func finish(excluding excluded: Set<Int>) -> [Int: Finding] {
    for (line, hash) in repaired where !excluded.contains(line) { record(line: line, hash: hash) }
    repaired = []
    return found
  }
}

/// The duplicate finding of each line for the clean pass: the scan's, then those a repair
/// made (rows that copy another clean row once cut).
struct DuplicateLookup: Sendable {
  /// The scan's duplicates.
  let scan: DuplicateMatches
  /// Repaired rows that copy another clean row, by line.
  var afterRepair: [Int: Finding] = [:]

  /// The duplicate finding of the row on `line`, if any.
  subscript(line: Int) -> Finding? { scan.finding(forLine: line) ?? afterRepair[line] }
}
