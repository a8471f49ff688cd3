import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// A malformed row whose JSON parsed keeps its id in the quarantine record.
@Suite struct QuarantineIDTests {
  @Test func malformedRowsWithAnIDKeepIt() async throws {
    let dir = TempDir()
    let input = [
      #"{"id":"x1","prompt":"q"}"#,  // no response: missing field, the id readable
      #"{"id":42,"prompt":"q"}"#,  // a numeric id, as rows read it
      #"{"prompt":"q"}"#,  // no id to give
      #"{"id":"bad" "prompt"}"#,  // not JSON: no id
    ]
    let path = dir.file("c.jsonl", input.joined(separator: "\n") + "\n")
    let (c, q) = (dir.path("clean.jsonl"), dir.path("q.jsonl"))
    let (summary, _) = try await CorpusCleaner(configuration: ScanConfiguration()).clean(
      path: path, cleanOut: c, quarantineOut: q)
    #expect(summary.malformed == 4 && summary.quarantined == 4)
    let records = try String(contentsOfFile: q, encoding: .utf8).split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    func record(_ line: Int) -> [String: Any]? { records.first { $0["line"] as? Int == line } }
    #expect(record(1)?["id"] as? String == "x1")
    #expect((record(1)?["row"] as? [String: Any])?["id"] as? String == "x1")
    #expect(record(2)?["id"] as? String == "42")
    #expect(record(3) != nil && record(3)?["id"] == nil)
    #expect(record(4)?["raw_base64"] != nil && record(4)?["id"] == nil)
  }
}
