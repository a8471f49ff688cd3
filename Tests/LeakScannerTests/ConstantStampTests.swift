import Foundation
import TestSupport
import Testing

@testable import LeakScanner

/// Constant stamps that no word list names, opening a tenth of the reasoning blocks or more,
/// found by their shape (a word in parentheses, a word between spaced or struck edges, a short
/// sentence) and cut by `--repair`; the natural constructs of the same shapes are left alone.
@Suite struct ConstantStampTests {
  /// A 1,200-row corpus whose every sixth row (200 rows) opens with `stamp(i)` and then a
  /// natural opening.
  func stampedCorpus(in dir: TempDir, every: Int = 6, _ stamp: (Int) -> String) -> String {
    dir.file(
      "c.jsonl",
      generatedCorpus(1200) { i in
        i % every == 0 ? stamp(i) + naturalOpenings[(i / every) % naturalOpenings.count] : nil
      })
  }

  @Test func stampShapesAreReadApartFromMarkdownAndListMarkers() {
    #expect(Discovery.isClosedWord("(draft)") && Discovery.isClosedWord("(scratch):"))
    #expect(Discovery.isClosedWord("{draft}"))
    for marker in ["(a)", "(i)", "(iv)", "(xii)", "(#)", "(ok)", "[draft]", "(draft", "(two words"] {
      #expect(!Discovery.isClosedWord(marker), "\(marker)")
    }
    #expect(
      Discovery.isSpacedEdgedTag(["~~", "swirl", "~~"]) && Discovery.isSpacedEdgedTag(["**", "swirl", "**"]))
    #expect(Discovery.isSpacedEdgedTag(["||", "v#", "||"]))
    for tokens in [
      ["~~", "swirl", "**"], ["*", "swirl", "*"], ["$$", "x", "$$"], ["==", "history", "=="],
      ["|", "ratio", "|"],
      ["~~", "~~", "~~"], ["**note:**", "okay,", "so"],
    ] {
      #expect(!Discovery.isSpacedEdgedTag(tokens), "\(tokens)")
    }
    #expect(Discovery.isStruckWord("~~swirl~~") && Discovery.isStruckWord("||draft||"))
    // Markdown's emphasis, code and highlight, and a word struck only at one end.
    for token in ["**note:**", "**analysis**", "_this_", "`code`", "==key==", "~~swirl", "~~~~", "~~a~"] {
      #expect(!Discovery.isStruckWord(token), "\(token)")
    }
    #expect(Discovery.constantSentenceTokens(["tone", "check", "ok."]) == 3)
    #expect(Discovery.constantSentenceTokens(["tone", "ok.", "given"]) == 2)
    for tokens in [
      ["good", "question.", "let"], ["sure.", "the", "claim"], ["that", "makes", "sense."],
      ["let", "me", "think."], ["okay,", "let's", "see."], ["stay", "concise.", "okay,"],
      ["tone", "check", "is"], ["row", "#.", "okay,"],
    ] {
      #expect(Discovery.constantSentenceTokens(tokens) == nil, "\(tokens)")
    }
    #expect(Discovery.constantStamp(ofShape: "(draft) …") == .newFamily)
    #expect(Discovery.constantStamp(ofShape: "~~ swirl ~~ …") == .newFamily)
    #expect(Discovery.constantStamp(ofShape: "tone check ok. …") == .sentence)
    #expect(Discovery.constantStamp(ofShape: "~~swirl~~ …") == .listedFamily)
    #expect(Discovery.constantStamp(ofShape: "(gen) …") == nil)  // one of the generator's words
    #expect(Discovery.constantStamp(ofShape: "(draft) okay, so") == nil)
  }

  /// Each stamp, the same on every row it opens, on a tenth of the rows, is one family counted
  /// alike on both paths, listed high but not confident (natural text has each shape on as
  /// many rows: `(laughs)`, `(Proof)`, `~~Done~~`, `Base case.`): `clean` leaves it until it is
  /// accepted, and then its rule flags exactly its rows and `--repair` cuts the stamp alone.
  @Test(arguments: [
    ("(draft) ", "(draft) …"), ("(scratch) ", "(scratch) …"), ("~~ swirl ~~ ", "~~ swirl ~~ …"),
    ("** swirl ** ", "** swirl ** …"), ("~~swirl~~ ", "~~swirl~~ …"), ("Tone check ok. ", "tone check ok. …"),
    ("Tone ok. ", "tone ok. …"),
  ])
  func aConstantStampIsListedAndCleanedOnceAccepted(stamp: String, shape: String) async throws {
    let dir = TempDir()
    let path = stampedCorpus(in: dir) { _ in stamp }
    for report in try await scanBothWays(path) {
      let family = try #require(
        report.discovered.first { $0.shape == shape }, "\(report.discovered.map(\.shape))")
      #expect(!family.highConfidence && family.count == 200 && family.unnaturalness >= 0.7)
    }
    #expect(try await defaultCleanCounts(path).quarantined == 0)
    let family = try #require(
      try await CorpusScanner().scan(path: path).discovered.first { $0.shape == shape })
    for byteRows in [true, false] {
      #expect(try await acceptedRows(family.rule(), in: path, byteRows: byteRows, parallelism: 1) == 200)
    }
    let (summary, removed) = try await repairedPrefixes(path, in: dir, acceptDiscovered: true)
    #expect(summary.repaired == 200 && summary.quarantined == 0)
    #expect(Set(removed) == [stamp] && removed.count == 200)
  }

  /// A stamp on fewer than a tenth of the rows is not confident: the new families (`(draft)
  /// …`) are not reported, one edged by marks (`~~swirl~~ …`) is listed as before.
  @Test func aStampOnFewRowsIsNotConfident() async throws {
    for (stamp, shape, listed) in [
      ("(draft) ", "(draft) …", false), ("~~ swirl ~~ ", "~~ swirl ~~ …", false),
      ("Tone check ok. ", "tone check ok. …", false), ("~~swirl~~ ", "~~swirl~~ …", true),
    ] {
      let dir = TempDir()
      let path = stampedCorpus(in: dir, every: 20) { _ in stamp }
      let report = try await CorpusScanner().scan(path: path)
      let family = report.discovered.first { $0.shape == shape }
      #expect((family != nil) == listed && family?.highConfidence != true, "\(stamp)")
      #expect(try await defaultCleanCounts(path).quarantined == 0)
    }
  }

  /// Markdown's bold openings, list markers, struck words and natural short first sentences on
  /// a sixth of the rows each: no confident candidate, nothing quarantined or repaired.
  @Test func naturalConstructsOfTheSameShapesAreLeftAlone() async throws {
    let struck = ["wrong", "maybe", "seven", "first", "later", "never", "again", "twice", "often", "early"]
    let natural: [(String, (Int) -> String)] = [
      ("bold label", { _ in "**Note:** " }), ("bold step", { _ in "**Step 1** " }),
      ("bold heading", { _ in "**Analysis** " }), ("letter marker", { _ in "(a) " }),
      ("roman marker", { i in ["(i) ", "(ii) ", "(iii) ", "(iv) "][i % 4] }),
      ("struck words", { i in "~~\(struck[(i / 6) % struck.count])~~ " }),
      ("good question", { _ in "Good question. " }), ("sure", { _ in "Sure. " }),
      ("base case", { _ in "Base case. " }), ("quick check", { _ in "Quick check. " }),
      ("makes sense", { _ in "That makes sense. " }), ("got it", { _ in "Got it, thanks. " }),
    ]
    for (name, stamp) in natural {
      let dir = TempDir()
      let path = stampedCorpus(in: dir, stamp)
      let report = try await CorpusScanner().scan(path: path)
      #expect(!report.discovered.contains { $0.highConfidence }, "\(name): \(report.discovered.map(\.shape))")
      let (summary, removed) = try await repairedPrefixes(path, in: dir)
      #expect(summary.repaired == 0 && summary.quarantined == 0 && removed.isEmpty, "\(name)")
    }
  }
}
