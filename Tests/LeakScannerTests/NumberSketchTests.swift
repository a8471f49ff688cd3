import Testing

@testable import LeakScanner

@Suite struct NumberSketchTests {
  /// The estimate of distinct numbers is near the truth from a handful to tens of thousands,
  /// repeats do not count, and merging sketches gives the sketch of all the numbers, whatever
  /// the split (shards merge exactly).
  @Test func estimatesDistinctNumbersAndMergesExactly() {
    func sketch(_ numbers: some Sequence<Int>) -> [UInt8] {
      var s: [UInt8] = []
      for n in numbers { NumberSketch.add(digits: Array(String(n).utf8), to: &s) }
      return s
    }
    for distinct in [1, 5, 40, 300, 2_000, 30_000] {
      let estimate = NumberSketch.estimate(sketch((0..<distinct).map { $0 * 13 + 7 }))
      #expect(abs(estimate - Double(distinct)) <= max(1, 0.2 * Double(distinct)), "\(distinct): \(estimate)")
    }
    // Each number ten times is still its number.
    let repeated = sketch((0..<5_000).map { $0 % 500 })
    #expect(abs(NumberSketch.estimate(repeated) - 500) <= 100)
    var merged = sketch(0..<3_000)
    NumberSketch.merge(&merged, sketch(2_000..<6_000))
    #expect(merged == sketch(0..<6_000))
    var fromEmpty: [UInt8] = []
    NumberSketch.merge(&fromEmpty, merged)
    #expect(fromEmpty == merged)
    // `007` and `7` are written apart.
    #expect(NumberSketch.estimate(sketch([7]) + []) == NumberSketch.estimate(sketch([7])))
    var two: [UInt8] = []
    NumberSketch.add(digits: Array("007".utf8), to: &two)
    NumberSketch.add(digits: Array("7".utf8), to: &two)
    #expect(NumberSketch.estimate(two) > 1.5)
  }

  /// A number stands in a text as a whole run of digits, never as part of a longer one.
  @Test func findsAWholeNumberInText() {
    func holds(_ text: String, _ digits: String) -> Bool {
      Array(text.utf8).withUnsafeBufferPointer { t in
        Array(digits.utf8).withUnsafeBufferPointer { NumberSketch.holds(t, $0) }
      }
    }
    #expect(holds("Solve question 873.", "873") && holds("873", "873") && holds("q873a", "873"))
    #expect(holds("12 and 873", "873") && holds("1,873 or 873", "873"))
    #expect(!holds("question 8730", "873") && !holds("1873", "873") && !holds("87 3", "873"))
    #expect(!holds("", "873") && !holds("873", ""))
  }

  /// Row numbering needs rows enough, and nearly as many distinct numbers as rows.
  @Test func decidesRowNumberingFromTheShareOfDistinctNumbers() {
    var unique: [UInt8] = []
    for n in 0..<300 { NumberSketch.add(digits: Array(String(3000 + n).utf8), to: &unique) }
    #expect(NumberSketch.numbersTheRows(unique, rows: 300))
    #expect(!NumberSketch.numbersTheRows(unique, rows: 1_000))
    #expect(!NumberSketch.numbersTheRows(nil, rows: 300))
    var few: [UInt8] = []
    for n in 0..<10 { NumberSketch.add(digits: Array(String(n).utf8), to: &few) }
    #expect(!NumberSketch.numbersTheRows(few, rows: 10))
    #expect(!NumberSketch.numbersTheRows(few, rows: 300))
  }
}
