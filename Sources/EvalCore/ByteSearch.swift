#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The first occurrence of `needle` (UTF-8 bytes) in `text` at or after `from`.
package func find(_ needle: [UInt8], in text: String, from: String.Index) -> Range<String.Index>? {
  guard !needle.isEmpty else { return nil }
  var text = text
  let utf8 = text.utf8
  let start = utf8.distance(from: utf8.startIndex, to: from)
  let found = text.withUTF8 { ByteSearch.firstOffset(of: needle, in: $0, from: start) }
  guard let offset = found else { return nil }
  let lower = utf8.index(utf8.startIndex, offsetBy: offset)
  return lower..<utf8.index(lower, offsetBy: needle.count)
}

/// Byte-level substring search (memchr for the first byte), for hot paths where Foundation's
/// `contains` is too slow.
package enum ByteSearch {
  /// Whether `needle` occurs in `haystack` (an empty needle always does).
  package static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    needle.withUnsafeBufferPointer { contains(haystack, $0) }
  }

  /// Whether the bytes `needle` occur in `haystack` (an empty needle always does).
  package static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>)
    -> Bool
  {
    needle.isEmpty || firstOffset(of: needle, in: haystack, from: 0) != nil
  }

  /// The offset of the first occurrence of `needle` in `buffer` at or after `from` (memchr for
  /// the first byte); `nil` for an empty needle.
  package static func firstOffset(of needle: [UInt8], in buffer: UnsafeBufferPointer<UInt8>, from: Int)
    -> Int?
  {
    needle.withUnsafeBufferPointer { firstOffset(of: $0, in: buffer, from: from) }
  }

  /// ``firstOffset(of:in:from:)`` of a needle read in place.
  package static func firstOffset(
    of needle: UnsafeBufferPointer<UInt8>, in buffer: UnsafeBufferPointer<UInt8>, from: Int
  ) -> Int? {
    guard let first = needle.first, let base = buffer.baseAddress, from >= 0 else { return nil }
    var position = from
    let last = buffer.count - needle.count
    while position <= last {
      guard let hit = memchr(base + position, Int32(first), last - position + 1) else { return nil }
      let offset = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      var k = 1
      while k < needle.count && base[offset + k] == needle[k] { k += 1 }
      if k == needle.count { return offset }
      position = offset + 1
    }
    return nil
  }

  /// Whether `needle` occurs in `text`.
  package static func contains(_ text: String, _ needle: String) -> Bool {
    var text = text
    let n = Array(needle.utf8)
    return text.withUTF8 { contains($0, n) }
  }

  /// Number of non-overlapping occurrences of `needle` in `text`.
  package static func count(_ text: String, _ needle: String) -> Int {
    var text = text
    let bytes = Array(needle.utf8)
    return text.withUTF8 { buffer in
      var n = 0
      var from = 0
      while let offset = firstOffset(of: bytes, in: buffer, from: from) {
        n += 1
        from = offset + bytes.count
      }
      return n
    }
  }

  /// Whether every byte is below 0x80, checked eight bytes at a time.
  package static func isASCII(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = buffer.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    let count = buffer.count
    var i = 0
    var acc: UInt64 = 0
    while i + 8 <= count {
      acc |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      i += 8
    }
    while i < count {
      acc |= UInt64(base[i])
      i += 1
    }
    return acc & SWAR.highs == 0
  }

  /// Whether `text` is pure ASCII (no copy for native strings).
  package static func isASCII(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { isASCII($0) }
  }
}

/// A set of byte strings searched for in one pass.
///
/// Each position's next four bytes (ASCII-case-folded when `ignoringASCIICase`) are hashed
/// into a 64 Ki-bit filter built from the needles' first four bytes; only filter hits are
/// compared with the needles. Text is read once whatever the number of needles, which is
/// what makes the producer-note prefilter and special-token search run near memory speed.
package struct LiteralSet: Sendable {
  /// The needles as given (folded to lower case when ignoring case).
  package let needles: [[UInt8]]
  /// Whether ASCII letters match regardless of case.
  package let ignoringASCIICase: Bool
  private var filter: [UInt64]
  /// The needles of four bytes or more grouped by their head (first four bytes as a
  /// little-endian word, ORed with the case mask), each group in needle order.
  private var grouped: [Int32] = []
  /// An open-addressing table of the distinct heads (home slot `hash(head) & slotMask`): the
  /// head, and its group's range in `grouped` (an empty range marks an empty slot). A filter hit
  /// finds its needles in one or two probes, however many needles there are.
  private var slotHeads: [UInt32] = []
  private var slotRanges: [(start: Int32, end: Int32)] = []
  private var slotMask = 0
  private var short: [Int]  // needles under four bytes, searched one by one
  private var sharedFirstByte: Int32?  // when every needle starts with the same non-letter byte

  /// Creates a set; empty needles are ignored.
  package init(_ needles: [String], ignoringASCIICase: Bool) {
    self.ignoringASCIICase = ignoringASCIICase
    self.needles = needles.map { n in
      Array(n.utf8).map { ignoringASCIICase ? Self.fold($0) : $0 }
    }
    isEmpty = self.needles.allSatisfy(\.isEmpty)
    filter = [UInt64](repeating: 0, count: 1024)
    short = []
    let firsts = Set(self.needles.compactMap(\.first))
    if firsts.count == 1, let b = firsts.first, !(b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) {
      sharedFirstByte = Int32(b)
    }
    needlesStartWords = self.needles.allSatisfy { $0.count >= 4 && Self.isWordByte($0[0]) }
    needlesStartLetters = self.needles.allSatisfy {
      $0.count >= 4 && $0[0] | 0x20 >= 0x61 && $0[0] | 0x20 <= 0x7A
    }
    // Each distinct head (in order of first use) and its needles, in needle order.
    var heads: [UInt32] = []
    var groups: [UInt32: [Int32]] = [:]
    for (i, n) in self.needles.enumerated() where !n.isEmpty {
      if n.count < 4 {
        short.append(i)
        continue
      }
      let word = UInt32(n[0]) | UInt32(n[1]) << 8 | UInt32(n[2]) << 16 | UInt32(n[3]) << 24
      let head = ignoringASCIICase ? word | 0x2020_2020 : word
      let h = Self.hash(head)
      filter[h >> 6] |= 1 << UInt64(h & 63)
      if groups[head] == nil { heads.append(head) }
      groups[head, default: []].append(Int32(i))
    }
    var size = 16
    while size < heads.count * 2 { size *= 2 }
    slotMask = size - 1
    slotHeads = [UInt32](repeating: 0, count: size)
    slotRanges = Array(repeating: (0, 0), count: size)
    for head in heads {
      let start = Int32(grouped.count)
      grouped += groups[head]!
      var slot = Self.hash(head) & slotMask
      while slotRanges[slot].end > slotRanges[slot].start { slot = (slot + 1) & slotMask }
      slotHeads[slot] = head
      slotRanges[slot] = (start, Int32(grouped.count))
    }
  }

  /// Whether the set has no needles.
  package let isEmpty: Bool
  /// Whether every needle is four bytes or more and starts with a word byte.
  private var needlesStartWords = false
  /// Whether every needle is four bytes or more and starts with an ASCII letter.
  private var needlesStartLetters = false

  /// Whether `b` is an ASCII word byte, `[0-9A-Za-z_]`.
  @inlinable @inline(__always) package static func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F
  }

  @inlinable @inline(__always) package static func fold(_ b: UInt8) -> UInt8 {
    b >= 0x41 && b <= 0x5A ? b | 0x20 : b
  }
  @inline(__always) static func hash(_ w: UInt32) -> Int { Int((w &* 0x9E37_79B1) >> 16) }

  /// Whether the four-byte `head` (ORed with the case mask) has its bit set in the filter `bits`.
  @inline(__always) static func passes(_ head: UInt32, _ bits: UnsafeBufferPointer<UInt64>) -> Bool {
    let h = hash(head)
    return bits[h >> 6] & (1 << UInt64(h & 63)) != 0
  }

  @inline(__always) func matches(_ needle: [UInt8], at offset: Int, in base: UnsafePointer<UInt8>, count: Int)
    -> Bool
  {
    guard offset + needle.count <= count else { return false }
    if ignoringASCIICase {
      for k in 0..<needle.count where Self.fold(base[offset + k]) != needle[k] { return false }
    } else {
      for k in 0..<needle.count where base[offset + k] != needle[k] { return false }
    }
    return true
  }

  /// Calls `body(needleIndex, offset)` for matches in increasing offset order (at one offset,
  /// in needle order) until it returns `false`.
  ///
  /// With `wordStartsOnly`, matches right after an ASCII word byte (`[0-9A-Za-z_]`) may be left
  /// out: callers that only want matches at the start of a word say so, and when every needle
  /// is four bytes or more and starts with a word byte only word starts are examined (found
  /// eight bytes at a time).
  package func forEachMatch(
    in buffer: UnsafeBufferPointer<UInt8>, wordStartsOnly: Bool = false, _ body: (Int, Int) -> Bool
  ) {
    guard let base = buffer.baseAddress else { return }
    let count = buffer.count
    let raw = UnsafeRawPointer(base)
    let mask: UInt32 = ignoringASCIICase ? 0x2020_2020 : 0
    if wordStartsOnly && needlesStartWords {
      filter.withUnsafeBufferPointer { bits in
        @inline(__always) func check(_ at: Int) -> Bool {
          guard at + 4 <= count else { return true }
          let head = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self) | mask
          guard Self.passes(head, bits) else { return true }
          return forEachNeedle(withHead: head, at: at, in: base, count: count, body)
        }
        var i = 0
        var previousWord: UInt64 = 0  // high bit set when the byte before the chunk is a word byte
        while i + 8 <= count {
          let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
          let letters = SWAR.rangeMask(v | 0x2020_2020_2020_2020, 0x61, 0x7A)
          // When every needle starts with a letter, letters after a non-letter are examined: a
          // superset of the word starts that can match (after a digit or `_` is allowed).
          let word =
            needlesStartLetters ? letters : letters | SWAR.rangeMask(v, 0x30, 0x39) | SWAR.equalMask(v, 0x5F)
          var starts = word & ~(word << 8 | previousWord)
          previousWord = word >> 56
          while starts != 0 {
            guard check(i + starts.trailingZeroBitCount >> 3) else { return }
            starts &= starts - 1
          }
          i += 8
        }
        while i < count {
          if Self.isWordByte(base[i]) && (i == 0 || !Self.isWordByte(base[i - 1])) {
            guard check(i) else { return }
          }
          i += 1
        }
      }
      return
    }
    var shortHits: [(offset: Int, needle: Int)] = []
    for i in short {
      var from = 0
      while from < count, let hit = firstOffset(of: needles[i], in: base, count: count, from: from) {
        shortHits.append((hit, i))
        from = hit + 1
      }
    }
    shortHits.sort { ($0.offset, $0.needle) < ($1.offset, $1.needle) }
    var nextShort = 0
    if let first = sharedFirstByte, short.isEmpty {
      // Jump between occurrences of the shared first byte (`<` of special tokens).
      var i = 0
      filter.withUnsafeBufferPointer { bits in
        while i < count, let hit = memchr(base + i, first, count - i) {
          let at = UnsafeRawPointer(hit) - raw
          i = at + 1
          // Every needle is four bytes or more (`short` is empty): the filter rules most hits out.
          guard at + 4 <= count else { return }
          let head = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self) | mask
          guard Self.passes(head, bits) else { continue }
          guard forEachNeedle(withHead: head, at: at, in: base, count: count, body) else { return }
        }
      }
      return
    }
    filter.withUnsafeBufferPointer { bits in
      var i = 0
      while i + 4 <= count {
        let head = raw.loadUnaligned(fromByteOffset: i, as: UInt32.self) | mask
        if Self.passes(head, bits) {
          while nextShort < shortHits.count && shortHits[nextShort].offset < i {
            guard body(shortHits[nextShort].needle, shortHits[nextShort].offset) else { return }
            nextShort += 1
          }
          guard forEachNeedle(withHead: head, at: i, in: base, count: count, body) else { return }
        }
        i += 1
      }
      while nextShort < shortHits.count {
        guard body(shortHits[nextShort].needle, shortHits[nextShort].offset) else { return }
        nextShort += 1
      }
    }
  }

  /// Calls `body(k, at)` for each needle `k` of four bytes or more that matches at `at`, whose
  /// first four bytes (ORed with the case mask) are `head`, in needle order; `false` when `body`
  /// does.
  @inline(__always) private func forEachNeedle(
    withHead head: UInt32, at: Int, in base: UnsafePointer<UInt8>, count: Int, _ body: (Int, Int) -> Bool
  ) -> Bool {
    var slot = Self.hash(head) & slotMask
    while true {
      let range = slotRanges[slot]
      guard range.end > range.start else { return true }  // an empty slot: no needle has this head
      if slotHeads[slot] == head {
        for j in Int(range.start)..<Int(range.end) {
          let k = Int(grouped[j])
          guard matches(needles[k], at: at, in: base, count: count) else { continue }
          guard body(k, at) else { return false }
        }
        return true
      }
      slot = (slot + 1) & slotMask
    }
  }

  private func firstOffset(of needle: [UInt8], in base: UnsafePointer<UInt8>, count: Int, from: Int) -> Int? {
    var i = from
    while i + needle.count <= count {
      if matches(needle, at: i, in: base, count: count) { return i }
      i += 1
    }
    return nil
  }

  /// The first match: needle index and byte offset.
  package func firstMatch(in buffer: UnsafeBufferPointer<UInt8>) -> (needle: Int, offset: Int)? {
    var found: (Int, Int)? = nil
    forEachMatch(in: buffer) { n, o in
      found = (n, o)
      return false
    }
    return found
  }

  /// The first match in `text`.
  package func firstMatch(in text: String) -> (needle: Int, offset: Int)? {
    var text = text
    return text.withUTF8 { firstMatch(in: $0) }
  }

  /// Whether any needle occurs in `text`.
  package func containsAny(_ text: String) -> Bool { firstMatch(in: text) != nil }
}

/// Eight-bytes-at-a-time ("SIMD within a register") tests on a little-endian `UInt64` load.
/// Masks have the high bit of each matching byte set.
///
/// Public only as SPI (`@_spi(FieldEvalInternal)`): `package` functions are not inlined
/// across modules, and these must be, in LeakScanner's hot loops.
@_spi(FieldEvalInternal) public enum SWAR {
  // Literal constants and `@inlinable` bodies: callers in other modules inline these.
  @usableFromInline static var ones: UInt64 { 0x0101_0101_0101_0101 }
  @usableFromInline static var highs: UInt64 { 0x8080_8080_8080_8080 }
  @usableFromInline static var sevens: UInt64 { 0x7F7F_7F7F_7F7F_7F7F }

  /// The bytes of `v` equal to `byte` (exact for every byte).
  @inlinable @inline(__always) public static func equalMask(_ v: UInt64, _ byte: UInt8) -> UInt64 {
    let x = v ^ (ones &* UInt64(byte))
    return ~(((x & sevens) &+ sevens) | x) & highs
  }

  /// Whether some byte of `v` is below `bound` (at most 128).
  @inlinable @inline(__always) public static func hasByteBelow(_ v: UInt64, _ bound: UInt8) -> Bool {
    (v &- ones &* UInt64(bound)) & ~v & highs != 0
  }

  /// `v` with the ASCII upper-case letters of each byte folded to lower case.
  @inlinable @inline(__always) public static func foldASCIICase(_ v: UInt64) -> UInt64 {
    let heptets = v & sevens
    let aboveZ = heptets &+ ones &* (0x7F - 0x5A)
    let atLeastA = heptets &+ ones &* (0x80 - 0x41)
    let upper = (atLeastA ^ aboveZ) & ~v & highs
    return v | (upper >> 2)
  }

  /// The number of bytes set in a mask of high bits (as the other functions return): one
  /// multiply instead of a population count, which compiles to a long portable sequence
  /// without `-mpopcnt`.
  @inlinable @inline(__always) public static func count(_ mask: UInt64) -> Int {
    Int(((mask >> 7) &* ones) >> 56)
  }

  /// The bytes of `v` in `lo...hi` (both below 0x80), exact for every byte whatever its
  /// neighbours; none of the bytes at or above 0x80 is set.
  @inlinable @inline(__always) public static func rangeMask(_ v: UInt64, _ lo: UInt8, _ hi: UInt8) -> UInt64 {
    // On the low seven bits, so no byte carries into the next.
    let heptets = v & sevens
    let atLeast = heptets &+ ones &* UInt64(0x80 - lo)
    let atMost = heptets &+ ones &* UInt64(0x7F - hi)
    return atLeast & ~atMost & ~v & highs
  }
}
