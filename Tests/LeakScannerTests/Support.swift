import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// A JSON string literal for `s`.
func lit(_ s: String) -> String {
  String(
    decoding: try! JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed]), as: UTF8.self)
}

/// A `{messages}` row whose assistant turn is `output`.
func messagesRow(_ id: String, _ output: String, prompt: String = "Question?") -> String {
  "{\"id\":\(lit(id)),\"messages\":[{\"role\":\"user\",\"content\":\(lit(prompt))},{\"role\":\"assistant\",\"content\":\(lit(output))}]}"
}

func row(_ output: String, shape: CorpusShape = .promptResponse) -> CorpusRow {
  CorpusRow(
    line: 1, offset: 0, id: "t", shape: shape,
    segments: [RowSegment(role: "prompt", text: "Q"), RowSegment(role: "response", text: output)])
}

/// The detector's findings for a row whose response is `output`; for built-in detectors it
/// also checks that the byte-level answer agrees.
func findings(_ detector: some Detector, _ output: String) -> [Finding] {
  findings(detector, row(output))
}

/// The detector's findings for `row`, checking the byte-level answer agrees.
func findings(_ detector: some Detector, _ row: CorpusRow, format: ReasoningFormat = .think) -> [Finding] {
  let found = detector.findings(in: RowContext(row: row, format: format))
  expectBytesAgree(detector, row, found.isEmpty == false, format: format)
  return found
}

/// Expects a built-in detector's byte-level answer, where it gives one, to be `flagged`.
func expectBytesAgree(
  _ detector: some Detector, _ row: CorpusRow, _ flagged: Bool, format: ReasoningFormat = .think,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let fast = detector as? any ByteDetector else { return }
  var bytes = RowBytes(format: format)
  var scratch = DetectionScratch()
  guard bytes.load(row), let answer = fast.flags(bytes, &scratch) else { return }
  #expect(
    answer == flagged, "\(detector.id) on bytes disagrees: \(row.segments.map(\.text))",
    sourceLocation: sourceLocation)
}

/// The reports of one corpus read on bytes and through `RowContext` (one thread each), in that
/// order.
func scanBothWays(_ path: String) async throws -> [ScanReport] {
  var reports: [ScanReport] = []
  for byteRows in [true, false] {
    var scanner = CorpusScanner()
    scanner.usesByteRows = byteRows
    reports.append(try await scanner.scan(path: path, parallelism: 1))
  }
  return reports
}

/// How many rows of the corpus `rule`, accepted as a detector of its own, flags.
func acceptedRows(_ rule: LeakRule, in path: String, byteRows: Bool = true, parallelism: Int? = nil)
  async throws -> Int?
{
  var config = ScanConfiguration()
  config.detectors.append(RuleDetector(id: "accepted", summary: "accepted", rules: [rule]))
  var scanner = CorpusScanner(configuration: config)
  scanner.usesByteRows = byteRows
  let report =
    if let parallelism { try await scanner.scan(path: path, parallelism: parallelism) } else {
      try await scanner.scan(path: path)
    }
  return report.detectors.first { $0.id == "accepted" }?.rows
}

/// Natural reasoning openings and bodies for generated corpora.
let naturalOpenings = ["Okay, so ", "Let me think about this. ", "First, ", "Alright, ", "Hmm, ", "So "]
let bodies = [
  "the claim recites a housing and a latch, and the reference shows both.",
  "we need the sum of the first n odd numbers, which is n squared.",
  "the examiner combined two references without a reason to combine them.",
  "the portfolio should be diversified across stocks and bonds for a retiree.",
  "rest the steak five minutes per inch before slicing it.",
  "two books must be adjacent, so treat them as one block and count.",
]

/// A confident discovered opening of `shape` (unnaturalness 1, score = share), for tests of
/// the rule made from it.
func confidentOpening(_ shape: String, example: String, count: Int = 10, share: Double = 0.3)
  -> DiscoveryCandidate
{
  DiscoveryCandidate(
    kind: .opening, shape: shape, count: count, share: share, unnaturalness: 1, score: share,
    highConfidence: true, exampleLines: [1], example: example)
}

/// How `clean` with the default configuration splits the corpus at `path`: the quarantined
/// and clean line counts (the outputs go to a temporary folder).
func defaultCleanCounts(_ path: String) async throws -> (quarantined: Int, clean: Int) {
  try await cleanCounts(path)
}

/// How `clean` with `configuration`, the acceptable discovered candidates taking part when
/// `acceptDiscovered`, splits the corpus at `path` (the outputs go to a temporary folder).
func cleanCounts(
  _ path: String, configuration: ScanConfiguration = ScanConfiguration(), acceptDiscovered: Bool = false
) async throws -> (quarantined: Int, clean: Int) {
  let out = TempDir()
  let (summary, _) = try await CorpusCleaner(configuration: configuration, acceptDiscovered: acceptDiscovered)
    .clean(path: path, cleanOut: out.path("clean.jsonl"), quarantineOut: out.path("q.jsonl"))
  return (summary.quarantined, summary.clean)
}

/// The texts `find` reports in `line`, in order (a per-line search of ``DiscoveryStats`` that
/// calls back with byte ranges).
func found(
  in line: String, by find: (UnsafeBufferPointer<UInt8>, (Range<Int>) -> Void) -> Void
) -> [String] {
  var bytes = Array(line.utf8)
  return bytes.withUnsafeMutableBufferPointer { b in
    let piece = UnsafeBufferPointer(b)
    var out: [String] = []
    find(piece) { out.append(String(decoding: piece[$0], as: UTF8.self)) }
    return out
  }
}

/// The summary of a `--repair` clean of `path` (discovery on; the acceptable candidates taking part when
/// `acceptDiscovered`), with its outputs in `dir`, and the prefixes its audit says it removed.
func repairedPrefixes(_ path: String, in dir: TempDir, acceptDiscovered: Bool = false) async throws -> (
  CleanSummary, [String]
) {
  let (summary, _) = try await CorpusCleaner(
    configuration: ScanConfiguration(), acceptDiscovered: acceptDiscovered, repair: true
  ).clean(
    path: path, cleanOut: dir.path("clean.jsonl"), quarantineOut: dir.path("q.jsonl"),
    auditOut: dir.path("audit.jsonl"))
  let audit = try String(contentsOfFile: dir.path("audit.jsonl"), encoding: .utf8)
  let removed = try audit.split(separator: "\n").flatMap { line -> [String] in
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    return object?["removed"] as? [String] ?? []
  }
  return (summary, removed)
}
