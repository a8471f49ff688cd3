import Testing

@testable import LeakScanner

@Suite struct ShapeTests {
  @Test func codesNormalise() {
    #expect(Discovery.tokenShape("E1") == "X#")
    #expect(Discovery.tokenShape("A4") == "X#")
    #expect(Discovery.tokenShape("QA12b:") == "X#:")
    #expect(Discovery.openingShapes("A4 spice combinator: text") == ["X# spice combinator:", "X# …"])
    #expect(Discovery.tokenShape("Okay,") == "okay,")
  }
}
