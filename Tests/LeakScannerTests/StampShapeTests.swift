import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// Stamps whose words no list names, found by their shape wherever a pipeline puts them and
/// cleaned; a natural construct of the same shape is left alone.
@Suite struct StampShapeTests {
  /// The texts `find` reports in `line`, in order.
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

  func edgedSettings(_ line: String, fromStart: Bool = true) -> [String] {
    found(in: line) { DiscoveryStats.forEachEdgedSetting(in: $0, fromStart: fromStart, $1) }
  }

  /// Varying words, so that only the planted text recurs across rows.
  func varying(_ i: Int) -> String {
    let words = ["claim", "latch", "housing", "sum", "ratio", "lemma", "prime", "order", "motion", "lease"]
    return (0..<6).map { words[(i / (1 + $0 * 3) + $0) % words.count] }.joined(separator: " ")
  }

  /// A corpus of `n` rows whose row `i` reasons `think(i)` and answers `answer(i)`.
  func corpus(_ n: Int, think: (Int) -> String, answer: (Int) -> String) -> String {
    (0..<n).map { i in
      messagesRow("r\(i)", "<think>\n\(think(i))\n</think>\n\n\(answer(i))", prompt: "Question \(i)?")
    }.joined(separator: "\n") + "\n"
  }

  @Test func aSettingBetweenEdgesOfMarksIsAStamp() {
    #expect(Discovery.isEdgedSetting(["||", "aug:para", "||"]))
    #expect(Discovery.isEdgedSetting(["~~", "src:bt", "~~"]))
    #expect(Discovery.isEdgedSetting(["::", "run:#", "::"]))
    for other in [
      ["|", "step:#", "|"], ["**", "note:", "**"], ["||", "http://x.io", "||"], ["$$", "ab:cd", "$$"],
      ["==", "#:#", "=="], ["||", "doi:#.#/nature.#", "||"], ["||", "aug:para", "|"],
      ["--", "aug:para", "--"],
      ["||", "a:b", "||"], ["||", "aug: para", "||"],
    ] {
      #expect(!Discovery.isEdgedSetting(other), "\(other)")
    }
    #expect(Discovery.unnaturalness("|| aug:para ||", kind: .repeatedLine) >= 0.8)
    #expect(Discovery.unnaturalness("|| aug:para ||", kind: .opening) >= 0.8)
    #expect(Discovery.unnaturalness("| step:# |", kind: .repeatedLine) < 0.8)
    #expect(edgedSettings("So the claim || aug:para || recites a latch.") == ["|| aug:para ||"])
    #expect(edgedSettings("|| aug:swap || Okay, so") == ["|| aug:swap ||"])
    #expect(edgedSettings("|| aug:swap || Okay, so", fromStart: false).isEmpty)
    for other in [
      "if a || b:c && d then", "x || key:val | y", "see http://example.com || now", "at 10:30 || 11:45 ||",
      "| step:1 | done |", "Note: this || holds",
    ] {
      #expect(edgedSettings(other).isEmpty, "\(other)")
    }
  }

  /// A setting between edges of marks, with a few values, inside the reasoning's lines or
  /// opening it, is found and cleaned value by value; a Markdown table's cells written `key:value`
  /// are not.
  @Test func edgedSettingsAreFoundAndCleaned() async throws {
    let dir = TempDir()
    let values = ["para", "backtrans", "swap"]
    let path = dir.file(
      "c.jsonl",
      corpus(1000) { i in
        switch i % 10 {
        case 0, 1: "Okay, so the \(varying(i)) || aug:\(values[i % 3]) || is read first."
        case 2: "|| aug:\(values[i % 3]) || Okay, so the \(varying(i)) is read first."
        case 3, 4, 5: "Okay, so the \(varying(i)) is read first.\n| ratio:\(i % 5) | done |"
        default: "Okay, so the \(varying(i)) is read first."
        }
      } answer: { i in
        "The \(varying(i)) holds."
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let confident = reports[0].discovered.filter(\.highConfidence)
    #expect(
      Set(confident.map(\.shape)) == Set(values.map { "|| aug:\($0) ||" }),
      "\(confident.map { ($0.kind, $0.shape, $0.count) })")
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 300 && counts.clean == 700)
  }

  @Test func aRowWordAndItsNumberInBracketsMayBeARowIndex() {
    for shape in ["<!-- row # -->", "(example #)", "[item #]", "(batch #)", "(sample #)"] {
      #expect(Discovery.isNumberedBracket(shape), "\(shape)")
    }
    for shape in [
      "(pr ##)", "(id #)", "(# cases in mind)", "(trial #)", "(row # of the table)", "(ticket #)", "row #",
      "(page #)", "(line #)", "(level #)",
    ] {
      #expect(!Discovery.isNumberedBracket(shape), "\(shape)")
    }
    #expect(Discovery.mayBeNumberedBracket(Array("<!-- row # -->".utf8)))
    #expect(!Discovery.mayBeNumberedBracket(Array("(# of #)".utf8)))
  }

  /// A row's word and a number new on nearly every row, in a comment, on 20% of the rows
  /// and wherever the line puts it, is a row index: confident on both paths and in merged
  /// shards, its distinct numbers shown. Numbers that repeat (`(batch 3)`, `(level 12)`) are a
  /// recipe's or a game's, a page a text cites is no row however new its number, and a row
  /// index on 3% of the rows is listed, not confident.
  @Test func aRowIndexInBracketsIsFoundAndCleaned() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      corpus(1000) { i in
        switch i % 10 {
        case 0: "Okay, so the \(varying(i)) <!-- row \(1000 + i * 7) --> is read first."
        case 1: "<!-- row \(1000 + i * 7) -->\nOkay, so the \(varying(i)) is read first."
        case 2, 3, 4: "Okay, so the \(varying(i)) is read first (batch \(i % 9 + 1))."
        case 5, 6, 7: "Okay, so the \(varying(i)) is read first (level \(i % 60 + 1))."
        case 8: "Okay, so the \(varying(i)) is read first (page \(2000 + i * 3))."
        default: "Okay, so the \(varying(i)) is read first."
        }
      } answer: { i in
        i % 100 < 3 ? "The \(varying(i)) holds (example \(5000 + i))." : "The \(varying(i)) holds."
      })
    let reports = try await scanBothWays(path)
    #expect(reports[0].discovered == reports[1].discovered)
    let confident = reports[0].discovered.filter(\.highConfidence)
    #expect(confident.map(\.shape) == ["<!-- row # -->"], "\(confident.map { ($0.shape, $0.count) })")
    let index = try #require(confident.first)
    #expect(index.count == 200 && (190...200).contains(index.distinctNumbers ?? 0))
    for listed in ["(batch #)", "(level #)", "(page #)"] {
      let candidate = reports[0].discovered.first { $0.shape == listed }
      #expect(candidate?.highConfidence == false && candidate?.distinctNumbers == nil, "\(listed)")
    }
    let rare = reports[0].discovered.first { $0.shape == "(example #)" }
    #expect(rare?.count == 30 && rare?.highConfidence == false && rare?.distinctNumbers == 30)
    // Shards' reports, through their JSON, merge to the same row index.
    var shards: [ScanReport] = []
    for k in 1...3 {
      let shard = try await CorpusScanner().scan(path: path, shard: (k, 3), parallelism: 1)
      shards.append(try JSONDecoder().decode(ScanReport.self, from: JSONEncoder().encode(shard)))
    }
    let merged = try ShardMerger.merge(shards, configuration: ScanConfiguration())
    #expect(merged.discovered.filter(\.highConfidence) == confident)
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 200 && counts.clean == 800)
  }
}
