import Testing

@testable import LeakScanner

@Suite struct ShapeTests {
  /// The byte path for ASCII tokens must give the Character path's shape.
  @Test func asciiTokenShapesMatchTheGeneralPath() {
    let tokens = [
      "A4", "A4:", "E12b", "QA3", "a4", "ABCDEF1", "X#", "[variant", "3]", "persona=lawyer", "Okay,", "so",
      "12",
      "1a2b", "--A4--", "A4:x", ":", "", "Let's", "v2.1", "ABC12:", "Z9z:",
    ]
    for token in tokens {
      #expect(Discovery.tokenShape(Substring(token)) == Discovery.unicodeTokenShape(token), "\(token)")
    }
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
      "x", "ABC12:", "spice", "combinator:",
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
