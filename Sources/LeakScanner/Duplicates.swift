@_spi(FieldEvalInternal) import EvalCore
import Foundation

/// A 64-bit hash of the row's text, lower-cased (ASCII) with whitespace runs folded to one
/// space and none at the ends, so rows that differ only in case or spacing hash alike: the
/// hash of its sequence of words (``RepetitionCheck``'s, split at spaces, tabs, newlines and
/// carriage returns), which is one-to-one with that normalised text.
package func normalizedHash(_ text: String) -> UInt64 { normalizedHash([text]) }

/// ``normalizedHash(_:)`` of `parts` joined by newlines, without joining them.
package func normalizedHash(_ parts: [String]) -> UInt64 {
  var hasher = NormalizedHasher()
  for var part in parts { part.withUTF8 { hasher.add($0) } }
  return hasher.value
}

/// The hash exact duplicates are found by: of each segment in order, whether the model writes
/// it (``RowSegment/isModelText``) and ``normalizedHash(_:)``'s words of its text. Rows that
/// differ only in case or spacing hash alike, and so do the same turns in another layout
/// (`{messages}` user/assistant, `{conversations}` human/gpt, `{prompt, response}`); rows holding
/// the same words split otherwise between their segments (`Translate hello to` / `French
/// Bonjour` against `Translate hello to French` / `Bonjour`), or with the model's and the
/// prompt's turns swapped, train on other targets and hash apart.
package func normalizedHash(_ segments: [RowSegment]) -> UInt64 {
  var hasher = NormalizedHasher()
  for segment in segments {
    hasher.startSegment(model: segment.isModelText)
    var text = segment.text
    text.withUTF8 { hasher.add($0) }
  }
  return hasher.value
}

/// Computes ``normalizedHash(_:)`` over parts given one at a time (joined by newlines), word by
/// word: a part boundary ends a word, as the joining newline would.
struct NormalizedHasher {
  /// The words so far.
  var words = WordSequenceHash()

  /// Marks the start of a row's segment, the model's or the prompt's: a value of its own in
  /// the sequence, which no word's hash is but by a 64-bit chance.
  mutating func startSegment(model: Bool) {
    words.add(model ? 0x5E67_3E47_9A1D_C0DE : 0xA1B2_C3D4_0F0E_0D0C)
  }

  /// Adds one word's hash (from ``RepetitionCheck/words(in:_:)``).
  mutating func add(word: UInt64) { words.add(word) }

  /// Adds the words of the next part's UTF-8 bytes.
  mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) { words.add(wordsOf: bytes) }

  /// The hash of the parts added so far.
  var value: UInt64 { mix64(words.state ^ words.count) }
}

@inline(__always) func mix64(_ x: UInt64) -> UInt64 {
  var z = x &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// MinHash signatures over word shingles, with banded LSH for candidate search.
public struct MinHasher: Sendable, Hashable, Codable {
  /// Words per shingle. Default 3.
  public var shingleWords: Int
  /// Number of hash functions (= bands × rowsPerBand). Default 64.
  public var permutations: Int
  /// LSH bands. Default 8 (8 rows per band: a pair at 0.8 Jaccard becomes a candidate with
  /// probability 0.77). A scan uses more when its near-duplicate threshold needs them
  /// (``banded(forThreshold:)``).
  public var bands: Int

  /// Creates a hasher.
  public init(shingleWords: Int = 3, permutations: Int = 64, bands: Int = 8) {
    self.shingleWords = max(1, shingleWords)
    self.bands = max(1, bands)
    self.permutations = max(self.bands, permutations - permutations % max(1, bands))
  }

  /// The signature of `text` (16-bit values; the estimated Jaccard similarity of two rows is
  /// the share of equal positions).
  public func signature(of text: String) -> [UInt16] {
    var words: [UInt64] = []
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    var inWord = false
    for b in text.utf8 {
      let isLetter = b >= 0x80 || (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
      if isLetter {
        let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
        hash = (hash ^ UInt64(folded)) &* 0x100_0000_01b3
        inWord = true
      } else if inWord {
        words.append(hash)
        hash = 0xcbf2_9ce4_8422_2325
        inWord = false
      }
    }
    if inWord { words.append(hash) }
    var mins = [UInt64](repeating: .max, count: permutations)
    let k = min(shingleWords, max(1, words.count))
    if words.isEmpty { return [UInt16](repeating: 0, count: permutations) }
    let (a, b) = Self.permutationKeys(permutations)
    mins.withUnsafeMutableBufferPointer { mins in
      for i in 0...(words.count - k) {
        var s: UInt64 = 0
        for j in 0..<k { s = mix64(s ^ words[i + j]) }
        // Permutation p is the multiply-add `a[p] * s + b[p]` of the shingle's (well mixed)
        // hash: one multiply per permutation instead of a full mix.
        for p in 0..<mins.count {
          let h = a[p] &* s &+ b[p]
          if h < mins[p] { mins[p] = h }
        }
      }
    }
    return mins.map { UInt16(truncatingIfNeeded: $0 >> 48) }
  }

  /// Odd multipliers and offsets of the permutations, fixed by seed.
  static func permutationKeys(_ n: Int) -> ([UInt64], [UInt64]) {
    n == defaultKeys.0.count ? defaultKeys : makePermutationKeys(n)
  }

  private static let defaultKeys = makePermutationKeys(64)

  private static func makePermutationKeys(_ n: Int) -> ([UInt64], [UInt64]) {
    (
      (0..<n).map { mix64(UInt64($0) &* 0x9E37_79B9_7F4A_7C15 &+ 1) | 1 },
      (0..<n).map { mix64(UInt64($0) &+ 0xD1B5_4A32_D192_ED03) }
    )
  }

  /// This hasher with at least as many bands as a pair at Jaccard similarity `threshold` needs
  /// to become a candidate with probability 0.75 or more (`1 - (1 - t^r)^b`, `r` rows in each
  /// of `b` bands): the default 8 bands suit 0.8, a threshold of 0.5 takes 32. More bands find
  /// more candidates (each is checked against the threshold) and hold more bucket entries.
  public func banded(forThreshold threshold: Double) -> MinHasher {
    var out = self
    for b in 1...permutations where permutations % b == 0 && b >= bands {
      let r = Double(permutations / b)
      out.bands = b
      if 1 - pow(1 - pow(threshold, r), Double(b)) >= 0.75 { break }
    }
    return out
  }

  /// Hashes of each band of a signature (the LSH bucket keys).
  public func bandKeys(_ signature: [UInt16]) -> [UInt64] {
    let rows = permutations / bands
    return (0..<bands).map { b in
      var h = UInt64(b) &* 0x100_0000_01b3
      for r in 0..<rows { h = mix64(h ^ UInt64(signature[b * rows + r])) }
      return h
    }
  }

  /// Estimated Jaccard similarity of two signatures.
  public static func similarity(_ a: [UInt16], _ b: [UInt16]) -> Double {
    guard a.count == b.count, !a.isEmpty else { return 0 }
    var same = 0
    for i in 0..<a.count where a[i] == b[i] { same += 1 }
    return Double(same) / Double(a.count)
  }
}

/// Row hashes → the first line with each, by open addressing on the hash itself (already
/// mixed): a `Dictionary` hashes its keys again, which cost most of the exact-duplicate pass.
///
/// Hashes and lines live in two parallel arrays, 12 bytes a slot at a load of 3/8 to 3/4
/// (16–32 bytes a row): probes read only the hashes, and a line fits 32 bits (lines from
/// `UInt32.max` on keep the sentinel `UInt32.max` and their line in a side table). Hash 0 marks
/// an empty slot, so a row hash of 0 is stored as 1, which can only merge two rows whose
/// hashes are 0 and 1 (one chance in 2⁶³ a pair). The capacity need not be a power of two: a
/// hash's home slot is the high word of `hash × capacity`.
struct ExactHashTable {
  private var hashes: [UInt64]
  private var lines: [UInt32]
  /// Lines that do not fit 32 bits, by stored hash.
  private var wideLines: [UInt64: Int] = [:]
  private(set) var count = 0

  /// A table sized for `expected` hashes before it grows.
  init(expected: Int = 0) { self.init(capacity: max(16, expected + expected / 2)) }

  private init(capacity: Int) {
    hashes = Array(repeating: 0, count: capacity)
    lines = Array(repeating: 0, count: capacity)
  }

  /// The number of slots (for tests).
  var capacity: Int { hashes.count }

  @inline(__always) private static func stored(_ hash: UInt64) -> UInt64 { hash == 0 ? 1 : hash }

  @inline(__always) private func home(_ hash: UInt64) -> Int {
    Int(truncatingIfNeeded: hash.multipliedFullWidth(by: UInt64(hashes.count)).high)
  }

  /// The slot holding `hash` (stored form), or the empty slot where it would go.
  @inline(__always) private func slot(of hash: UInt64) -> (slot: Int, found: Bool) {
    hashes.withUnsafeBufferPointer { table in
      var slot = home(hash)
      while true {
        let h = table[slot]
        if h == hash { return (slot, true) }
        if h == 0 { return (slot, false) }
        slot += 1
        if slot == table.count { slot = 0 }
      }
    }
  }

  private func line(atSlot slot: Int, hash: UInt64) -> Int {
    let short = lines[slot]
    return short == .max ? wideLines[hash]! : Int(short)
  }

  /// The first line recorded with `hash`, recording `line` (at least 1) when there is none.
  mutating func firstLine(hash: UInt64, line: Int) -> Int? {
    precondition(line > 0, "lines count from 1")
    let hash = Self.stored(hash)
    var (slot, found) = slot(of: hash)
    if found { return self.line(atSlot: slot, hash: hash) }
    if 4 * (count + 1) > 3 * hashes.count {
      grow()
      slot = self.slot(of: hash).slot
    }
    hashes[slot] = hash
    if line < Int(UInt32.max) {
      lines[slot] = UInt32(line)
    } else {
      lines[slot] = .max
      wideLines[hash] = line
    }
    count += 1
    return nil
  }

  /// The line recorded with `hash`, recording nothing.
  func line(of hash: UInt64) -> Int? {
    let hash = Self.stored(hash)
    let (slot, found) = slot(of: hash)
    return found ? line(atSlot: slot, hash: hash) : nil
  }

  private mutating func grow() {
    var bigger = ExactHashTable(capacity: 2 * hashes.count)
    for i in hashes.indices where hashes[i] != 0 {
      let slot = bigger.slot(of: hashes[i]).slot
      bigger.hashes[slot] = hashes[i]
      bigger.lines[slot] = lines[i]
    }
    bigger.wideLines = wideLines
    bigger.count = count
    self = bigger
  }
}

/// Finds exact and near duplicates in row order: the first kept occurrence is the original.
package struct DuplicateIndex {
  var exact = ExactHashTable()
  // LSH buckets as chains: band key → newest entry; each entry holds a row slot and the next
  // entry of its bucket. Most band keys occur once, and an array per key cost ~4× the memory.
  var bucketHeads: [UInt64: Int32] = [:]
  var entrySlots: [Int32] = []
  var entryNext: [Int32] = []
  var signatures: [[UInt16]] = []
  var lines: [Int] = []
  let hasher: MinHasher
  let threshold: Double

  package init(hasher: MinHasher, threshold: Double) {
    self.hasher = hasher.banded(forThreshold: threshold)
    self.threshold = threshold
  }

  /// Records an exact hash; returns the first line with the same hash if this is a repeat.
  ///
  /// A row that is not `kept` (flagged by a detector, so it will not be in the clean output)
  /// is looked up but not recorded: the first kept copy is the original the later ones repeat.
  package mutating func exactDuplicate(hash: UInt64, line: Int, kept: Bool = true) -> Int? {
    kept ? exact.firstLine(hash: hash, line: line) : exact.line(of: hash)
  }

  /// Records a signature (unless the row is not `kept`, as ``exactDuplicate(hash:line:kept:)``);
  /// returns the first earlier line at or above the threshold, if any.
  package mutating func nearDuplicate(signature: [UInt16], line: Int, kept: Bool = true) -> (
    line: Int, similarity: Double
  )? {
    let keys = hasher.bandKeys(signature)
    var best: (Int, Double)? = nil
    var checked = Set<Int32>()
    for key in keys {
      var entry = bucketHeads[key] ?? -1
      while entry >= 0 {
        let slot = entrySlots[Int(entry)]
        entry = entryNext[Int(entry)]
        guard checked.insert(slot).inserted else { continue }
        let sim = MinHasher.similarity(signature, signatures[Int(slot)])
        if sim >= threshold, best.map({ lines[Int(slot)] < $0.0 }) ?? true { best = (lines[Int(slot)], sim) }
      }
    }
    guard kept else { return best }
    let slot = Int32(signatures.count)
    signatures.append(signature)
    lines.append(line)
    for key in keys {
      entrySlots.append(slot)
      entryNext.append(bucketHeads[key] ?? -1)
      bucketHeads[key] = Int32(entrySlots.count - 1)
    }
    return best
  }
}
