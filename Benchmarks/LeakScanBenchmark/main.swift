// Times LeakScanner's library scan on one corpus (no CLI, no llama.cpp): the default detector
// set on all cores, then on one thread. `leak-bench.sh` compares the CLI with the Python audit;
// this is for profiling the hot path.
//
//   swift run -c release leak-scan-bench CORPUS.jsonl [threads]
import EvalCore
import Foundation
import LeakScanner

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
  FileHandle.standardError.write("usage: leak-scan-bench CORPUS.jsonl [threads]\n".data(using: .utf8)!)
  exit(2)
}
let path = arguments[1]
if ProcessInfo.processInfo.environment["LEAK_MICRO"] != nil {
  // The shared text checks alone on each line's bytes, in memory, best of five.
  let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
  let bytes = Double(lines.reduce(0) { $0 + $1.count })
  func time(_ name: String, _ body: ([UInt8]) -> Bool) {
    var best = Double.infinity
    var hits = 0
    for _ in 0..<5 {
      let clock = ContinuousClock()
      let start = clock.now
      hits = 0
      for line in lines where body(line) { hits += 1 }
      let d = clock.now - start
      best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    print(String(format: "%-14@ %6.3f ns/byte  %d hits", name as NSString, best * 1e9 / bytes, hits))
  }
  let runTogether = RunTogetherCheck()
  time("run-together") { line in line.withUnsafeBufferPointer { runTogether.flags(in: $0) } }
  let repetition = RepetitionCheck()
  var scratch = WordStatistics()
  time("repetition") { line in line.withUnsafeBufferPointer { repetition.flags(in: $0, scratch: &scratch) } }
  let anchors = LiteralSet(
    [
      "duplicate of", "same as ", "diversify ", "vary ", "avoid repeating ", "note to self", "generator note",
      "pipeline note", "internal note", "regenerate this ", "rewrite of ", "paraphrase of ", "variation of ",
    ], ignoringASCIICase: true)
  time("anchors") { line in
    var found = false
    line.withUnsafeBufferPointer { buffer in
      anchors.forEachMatch(in: buffer, wordStartsOnly: true) { _, _ in
        found = true
        return true
      }
    }
    return found
  }
  time("isASCII") { line in line.withUnsafeBufferPointer { ByteSearch.isASCII($0) } }
  exit(0)
}
let threads = arguments.count > 2 ? Int(arguments[2]) ?? 1 : ProcessInfo.processInfo.activeProcessorCount
let size = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
// LEAK_SKIP=id,id,... leaves detectors out (and `duplicates`, `discovery`), to see what each costs.
let skip = Set(
  (ProcessInfo.processInfo.environment["LEAK_SKIP"] ?? "").split(separator: ",").map(String.init))
var configuration = ScanConfiguration()
configuration.detectors.removeAll { skip.contains($0.id) }
if skip.contains("duplicates") { configuration.exactDuplicates = false }
if skip.contains("discovery") { configuration.discovery = false }
// LEAK_NEAR=1 turns near-duplicates on.
if ProcessInfo.processInfo.environment["LEAK_NEAR"] != nil { configuration.nearDuplicates = true }
let scanner = CorpusScanner(configuration: configuration)
let clock = ContinuousClock()
let start = clock.now
let report = try await scanner.scan(path: path, parallelism: threads)
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(
  String(
    format: "%d rows, %d flagged, %.3f s, %.1f MB/s on %d threads", report.rows, report.flaggedRows, seconds,
    size / 1e6 / seconds, threads))
for d in report.detectors where d.rows > 0 { print("  \(d.id): \(d.rows)") }
if ProcessInfo.processInfo.environment["LEAK_ENCODE"] != nil {
  let e = JSONEncoder()
  e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  let t0 = clock.now
  let data = try e.encode(report)
  print("JSON report: \(data.count) bytes in \(clock.now - t0)")
}
