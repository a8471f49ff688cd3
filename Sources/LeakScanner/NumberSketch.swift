import Foundation

/// How many distinct numbers a numbered opening (`Row 3551.`, `Example 12:`) was seen with, as
/// a HyperLogLog sketch of 512 one-byte registers: a generator's row index takes a new number
/// on nearly every row it opens, while reasoning numbers its own steps and parts 1, 2, 3.
///
/// Sketches merge exactly (each register is the larger of the two), so shards merge to the
/// sketch of the whole corpus, whatever the split. The estimate is within about 4.6 % (one
/// standard error) of the true count, and near exact for small counts (linear counting).
enum NumberSketch {
  /// Registers per sketch.
  static let registers = 512

  /// An empty sketch.
  static func empty() -> [UInt8] { [UInt8](repeating: 0, count: registers) }

  /// Adds the number written by the ASCII digits `digits` (the digits as written: `007` and `7`
  /// count apart) to `sketch`.
  static func add(digits: some Collection<UInt8>, to sketch: inout [UInt8]) {
    var x = UInt64(digits.count)
    for d in digits { x = x &* 0x100_0000_01B3 ^ UInt64(d) }
    let h = mix64(x)
    let register = Int(h >> 55)
    // The rank of the first set bit of the other 55 bits (1-based; 56 when none is set).
    let rank = UInt8(min(56, ((h << 9) | 0x100).leadingZeroBitCount + 1))
    if sketch.count != registers { sketch = empty() }
    if sketch[register] < rank { sketch[register] = rank }
  }

  /// ``add(digits:to:)`` to a sketch that may not exist yet (`nil` until a shape's first number).
  static func add(digits: some Collection<UInt8>, to sketch: inout [UInt8]?) {
    var made = sketch ?? []
    add(digits: digits, to: &made)
    sketch = made
  }

  /// Whether `text` holds the number written `digits` as a whole number: a run of ASCII digits
  /// equal to them, with no digit just before or after it.
  static func holds(_ text: UnsafeBufferPointer<UInt8>, _ digits: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = digits.count
    guard n > 0, text.count >= n else { return false }
    return NoteMatcher.firstRun(in: text, of: NoteMatcher.isDigit) { run in
      run.count == n && memcmp(text.baseAddress! + run.lowerBound, digits.baseAddress!, n) == 0
    }
  }

  /// Whether `text` holds `word` (ASCII letters and digits) as a whole word: those bytes,
  /// with no ASCII letter or digit just before or after them.
  static func holdsWord(_ text: UnsafeBufferPointer<UInt8>, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = word.count
    guard n > 0, text.count >= n, let base = text.baseAddress, let w = word.baseAddress else { return false }
    var i = 0
    while i + n <= text.count, let hit = memchr(base + i, Int32(w[0]), text.count - n + 1 - i) {
      let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      if memcmp(base + at, w, n) == 0 && (at == 0 || !NoteMatcher.isLetterOrDigit(text[at - 1]))
        && (at + n == text.count || !NoteMatcher.isLetterOrDigit(text[at + n]))
      {
        return true
      }
      i = at + 1
    }
    return false
  }

  /// `sketch` merged with `other` (register by register, the larger).
  static func merge(_ sketch: inout [UInt8], _ other: [UInt8]) {
    guard other.count == registers else { return }
    guard sketch.count == registers else {
      sketch = other
      return
    }
    for k in 0..<registers where other[k] > sketch[k] { sketch[k] = other[k] }
  }

  /// The estimated number of distinct numbers added to `sketch`.
  static func estimate(_ sketch: [UInt8]) -> Double {
    guard sketch.count == registers else { return 0 }
    let m = Double(registers)
    var sum = 0.0
    var zeros = 0
    for r in sketch {
      sum += 1 / Double(UInt64(1) << UInt64(r))
      if r == 0 { zeros += 1 }
    }
    let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
    // Few numbers: linear counting on the empty registers is the better estimate.
    if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) }
    return raw
  }

  /// Whether the numbers of an opening counted on `rows` rows number the rows: at least
  /// ``rowNumberingShare`` as many distinct numbers as rows, on at least ``rowNumberingRows``
  /// rows.
  static func numbersTheRows(_ sketch: [UInt8]?, rows: Int) -> Bool {
    guard let sketch, rows >= rowNumberingRows else { return false }
    return estimate(sketch) >= rowNumberingShare * Double(rows)
  }

  /// The share of distinct numbers to rows at which a numbered opening numbers the rows: a
  /// row index is new on every row (a share near 1, less the exact duplicates); steps, parts,
  /// claims and pages repeat their small numbers (`Step 1:` on every row is 1 number), and
  /// numbers drawn from a range of a few hundred over a thousand rows stay under half. Numbers
  /// drawn from a range much wider than the rows also pass, so a row index is confident only on
  /// a large share of the corpus as well (``Discovery/candidates(from:rows:minRows:minShare:highConfidenceShare:ignoring:)``),
  /// and numbers the prompt holds are not counted (``RowBytes/echoes(_:before:in:)``).
  static let rowNumberingShare = 0.85

  /// The fewest rows a numbered opening needs before its numbers decide.
  static let rowNumberingRows = 20
}
