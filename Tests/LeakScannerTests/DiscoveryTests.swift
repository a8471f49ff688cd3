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
}
