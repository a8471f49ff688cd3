// Emission-check throughput over generated model outputs.
//
//   swift run -c release emission-bench [ROWS] [PATH]
//
// Generates ROWS (default 1,000,000) realistic outputs — healthy traces, loops, unclosed and
// empty think blocks, R1-style prefilled outputs, mojibake, script drift, run-together words,
// and a malformed line every 10,000 rows — into PATH (default a temp file), then measures side
// by side in one run:
//   1. reading + decoding the JSONL only (the floor set by the JSON decoder),
//   2. the full emission checks on one thread,
//   3. the full emission checks on all cores (byte-range shards, merged),
// and prints MB/s and rows/s for each, plus the ratio of 3 to 1 and 2.
import EmissionGate
import Foundation

let arguments = CommandLine.arguments
let rows = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let path =
  arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "fieldeval-emission-bench-\(rows).jsonl"

func generate(rows: Int, path: String) throws {
  let sentences = [
    "Anticipation requires that a single reference disclose every element of the claim.",
    "The first n odd integers sum to n squared, so the sum is 2500.",
    "Treat the two books as one block, then arrange four units in 4! ways.",
    "Check divisibility by primes up to the square root of 221.",
    "The examiner must articulate a reason to combine the references.",
    "Powers of 2 modulo 7 cycle with period 3, so the remainder is 2.",
    "Let me restate the conditions and verify each one before answering.",
    "Terms of degree are not indefinite when the specification gives a standard.",
  ]
  _ = FileManager.default.createFile(atPath: path, contents: nil)
  let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
  var buffer = ""
  var rng = SystemRandomNumberGenerator()
  func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }
  for i in 0..<rows {
    var think = (0..<Int.random(in: 4...12, using: &rng)).map { _ in sentences.randomElement(using: &rng)! }
      .joined(
        separator: " ")
    var output = "<think>\n\(think)\n</think>\n\nThe answer follows from the reasoning above."
    var finish = "stop"
    switch i % 50 {
    case 1:
      output =
        "<think>\n" + String(repeating: "So the remainder is 2 because the cycle has length 3. ", count: 40)
      finish = "length"
    case 2: output = "<think>\n" + think
    case 3: output = "<think>\n\n</think>\n\nAnswer."
    case 4: output = think + "\n</think>\n\nAnswer."
    case 5:
      think += " The applicantâ€™s argument isnâ€™t persuasive."
      output = "<think>\(think)</think>ok"
    case 6: output = "<think>\(think) 그러므로 답은 다음과 같습니다</think>ok"
    case 7: output = "<think>thetwobooksmustbeadjacentsotreatthemasoneblock \(think)</think>ok"
    default: break
    }
    if i % 10_000 == 9_999 {
      buffer += "{\"id\":\"row-\(i)\",\"output\":\"truncated\n"
      continue
    }
    buffer +=
      "{\"id\":\"row-\(i)\",\"category\":\"\(i % 2 == 0 ? "patent" : "math")\",\"prompt\":\"Question \(i)\",\"output\":\"\(escape(output))\",\"completion_tokens\":\(Int.random(in: 100...1024, using: &rng)),\"max_new_tokens\":1024,\"finish_reason\":\"\(finish)\"}\n"
    if buffer.utf8.count > 1 << 22 {
      try handle.write(contentsOf: Data(buffer.utf8))
      buffer = ""
    }
  }
  try handle.write(contentsOf: Data(buffer.utf8))
  try handle.close()
}

if !FileManager.default.fileExists(atPath: path) {
  print("generating \(rows) rows into \(path) …")
  try generate(rows: rows, path: path)
}
let size = try JSONLReader(path: path).fileSize()
let mb = Double(size) / 1_000_000
let cores = ProcessInfo.processInfo.activeProcessorCount
print("file: \(path)  \(String(format: "%.1f", mb)) MB  cores: \(cores)")

func time<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
  let start = ContinuousClock.now
  let value = try await body()
  let d = ContinuousClock.now - start
  return (value, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

func report(_ name: String, rows: Int, seconds: Double) {
  print(
    String(
      format: "%-34@ %8.2f s  %8.1f MB/s  %10.0f rows/s", name as NSString, seconds, mb / seconds,
      Double(rows) / seconds))
}

let (decoded, tDecode) = try await time { () -> Int in
  var n = 0
  try OutputRecordReader(path: path).forEach { _ in
    n += 1
  } onIssue: { _ in
  }
  return n
}
report("read + decode only (1 thread)", rows: decoded, seconds: tDecode)

let analyzer = EmissionAnalyzer()
let (single, tSingle) = try await time { try EmissionSummary.measure(path: path, analyzer: analyzer) }
report("emission checks (1 thread)", rows: single.overall.rows, seconds: tSingle)

let (parallel, tParallel) = try await time {
  try await EmissionSummary.measure(path: path, analyzer: analyzer, parallelism: cores)
}
report("emission checks (\(cores) threads)", rows: parallel.overall.rows, seconds: tParallel)

precondition(
  parallel.overall.rows == single.overall.rows && parallel.badLines == single.badLines, "shard merge mismatch"
)
print(
  String(
    format: "ratio: checks(%d threads) / decode-only = %.2f×   checks(%d threads) / checks(1 thread) = %.2f×",
    cores,
    tDecode / tParallel, cores, tSingle / tParallel))
print(
  "rows: \(single.overall.rows)  malformed lines: \(single.badLines)  loop rate: \(String(format: "%.3f", single.overall.value(of: .loopRate)))"
)
