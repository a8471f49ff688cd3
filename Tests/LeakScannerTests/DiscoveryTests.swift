import Testing

@testable import LeakScanner

@Suite struct ShapeTests {
  /// The byte path for ASCII tokens must give the Character path's shape.
  @Test func asciiTokenShapesMatchTheGeneralPath() {
    let tokens = [
      "A4", "A4:", "E12b", "QA3", "a4", "ABCDEF1", "X#", "[variant", "3]", "persona=lawyer", "Okay,", "so",
      "12",
      "1a2b", "--A4--", "A4:x", ":", "", "Let's", "v2.1", "ABC12:", "Z9z:", "7f3a9c21-b4e1:", "(a3f9c21)",
      "550e8400-e29b-41d4-a716-446655440000", "deadbeef", "F00D1234", "12-345-678", "abc1234x",
    ]
    for token in tokens {
      #expect(Discovery.tokenShape(Substring(token)) == Discovery.unicodeTokenShape(token), "\(token)")
    }
  }

  /// A hex identifier (seven hex digits or more, a digit and a letter, hyphens between) is one
  /// `#`, so row ids group as row numbers do; words, numbers and codes keep their shapes.
  @Test func hexIdentifiersAreOneNumber() {
    #expect(Discovery.tokenShape("7f3a9c21-b4e1:") == "#:")
    #expect(Discovery.tokenShape("(a3f9c21)") == "(#)")
    #expect(Discovery.tokenShape("550e8400-e29b-41d4-a716-446655440000") == "#")
    #expect(Discovery.tokenShape("DEADBEEF") == "deadbeef")  // no digit: a word
    #expect(Discovery.tokenShape("12345678") == "#")  // digits only: a number as before
    #expect(Discovery.tokenShape("a4b") == "a#b")  // too short
    #expect(Discovery.tokenShape("abc1234x") == "abc#x")  // not hex
    #expect(Discovery.tokenShape("2024-01-15") == "#-#-#")
    #expect(Discovery.tokenShape("AB12345") == "X#")  // a family code, though its letters are hex
    #expect(Discovery.tokenShape("CAB1234:") == "X#:")
    #expect(Discovery.tokenShape("ab12345") == "#")  // lower-case: not a code
    // One way to split a run: a long one is matched at once, not in cubic time.
    let long = DiscoveryCandidate(
      kind: .repeatedLine, shape: "# items", count: 10, share: 0.1, unnaturalness: 0.5, score: 0.05,
      highConfidence: false, exampleLines: [1], example: ""
    ).rule()
    #expect(long.match(Substring(String(repeating: "a1", count: 3000) + " x")) == nil)
    let rule = DiscoveryCandidate(
      kind: .opening, shape: "#: the claim", count: 10, share: 0.1, unnaturalness: 0.3, score: 0.03,
      highConfidence: false, exampleLines: [1], example: ""
    ).rule()
    #expect(rule.match("7f3a9c21-b4e1: the claim recites"[...]) != nil)
    #expect(rule.match("12: the claim recites"[...]) != nil)
    #expect(rule.match("Okay: the claim recites"[...]) == nil)
  }

  @Test func codesNormalise() {
    #expect(Discovery.tokenShape("E1") == "X#")
    #expect(Discovery.tokenShape("A4") == "X#")
    #expect(Discovery.tokenShape("QA12b:") == "X#:")
    #expect(Discovery.openingShapes("A4 spice combinator: text") == ["X# spice combinator:", "X# …"])
    #expect(Discovery.tokenShape("Okay,") == "okay,")
  }
  /// The opening tally names shapes from bytes; they must be the names `openingShapes` gives.
  @Test func openingTallyCountsTheShapesOfTheStringPath() {
    let tokens = [
      "A4", "A4:", "E12b", "[variant", "3]", "persona=lawyer", "Okay,", "so", "12", "<<seed>>", "{{t}}:",
      "Let's",
      "x", "ABC12:", "spice", "combinator:", "7f3a9c21-b4e1:", "(a3f9c21)", "@persona3", "/gen/7",
    ]
    var rng = SystemRandomNumberGenerator()
    var lines: [String] = []
    for _ in 0..<3000 {
      let n = Int.random(in: 0...5, using: &rng)
      lines.append(
        (0..<n).map { _ in tokens.randomElement(using: &rng)! }.joined(
          separator: Bool.random(using: &rng) ? " " : " \t "))
    }
    var tally = OpeningTally()
    var byBytes = DiscoveryStats()
    var byStrings = DiscoveryStats()
    for (i, line) in lines.enumerated() {
      let bytes = Array(line.utf8)
      tally.startRow()
      bytes.withUnsafeBufferPointer { tally.add($0, line: i + 1) }
      byStrings.addOpenings([line], line: i + 1)
    }
    tally.flush(into: &byBytes)
    #expect(byBytes.openings == byStrings.openings)
    #expect(byBytes.openings.keys.contains("X# …"))
  }
}
