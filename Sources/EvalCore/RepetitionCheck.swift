/// Detects repetition loops: the same fragment repeated many times in a row.
///
/// The text is split into words (hashed to integers); for every period `p` up to
/// ``maxPeriodWords`` the check looks for runs where word `i` equals word `i + p`. A run of
/// `L` matches means a fragment of `p` words repeated `L / p + 1` times back to back. The
/// text loops when some fragment repeats at least ``minRepeats`` times and the repeated span
/// covers at least ``minSpanWords`` words. This catches both a loop in the middle and a
/// periodic tail (generation that never escapes). A sentence that recurs now and then, with
/// other text between, is not a loop.
public struct RepetitionCheck: Sendable, Hashable, Codable {
  /// Longest fragment considered, in words. Default 64.
  public var maxPeriodWords: Int
  /// Back-to-back repeats needed. Default 4.
  public var minRepeats: Int
  /// Words the repeated span must cover. Default 24.
  public var minSpanWords: Int

  /// Creates a check.
  public init(maxPeriodWords: Int = 64, minRepeats: Int = 4, minSpanWords: Int = 24) {
    self.maxPeriodWords = maxPeriodWords
    self.minRepeats = minRepeats
    self.minSpanWords = minSpanWords
  }

  /// A loop found in a text.
  public struct Finding: Sendable, Hashable, Codable {
    /// The repeated fragment (its first occurrence, at most 200 characters).
    public var fragment: String
    /// Fragment length in words.
    public var periodWords: Int
    /// Back-to-back repetitions.
    public var repeats: Int
    /// Whether the repeated span reaches the end of the text (a periodic tail).
    public var atEnd: Bool
  }

  /// Returns the strongest loop in `text`, or `nil` when there is none.
  public func detect(in text: String) -> Finding? {
    var hashes: [UInt64] = []
    var ranges: [Range<Int>] = []
    hashes.reserveCapacity(text.utf8.count / 5)
    var text = text
    text.withUTF8 { bytes in
      Self.words(in: bytes) { hash, range in
        hashes.append(hash)
        ranges.append(range)
      }
    }
    let n = hashes.count
    guard let best = hashes.withUnsafeBufferPointer({ longestLoop($0) }) else { return nil }
    let b = best
    let utf8 = text.utf8
    let lower = utf8.index(utf8.startIndex, offsetBy: ranges[b.start].lowerBound)
    let upper = utf8.index(utf8.startIndex, offsetBy: ranges[b.start + b.period - 1].upperBound)
    return Finding(
      fragment: String(text[lower..<upper].prefix(200)), periodWords: b.period,
      repeats: b.length / b.period, atEnd: b.start + b.length >= n)
  }

  /// Whether ``detect(in:)`` finds a loop in UTF-8 `bytes`, without building the finding;
  /// `scratch` holds the words and is reused between calls.
  package func flags(in bytes: UnsafeBufferPointer<UInt8>, scratch: inout WordStatistics) -> Bool {
    scratch.read(bytes)
    return flags(words: scratch)
  }

  /// The longest qualifying loop over word hashes `h`: its period, first word and length in words.
  func longestLoop(_ h: UnsafeBufferPointer<UInt64>) -> (period: Int, start: Int, length: Int)? {
    let n = h.count
    guard n >= minSpanWords else { return nil }
    var best: (period: Int, start: Int, length: Int)? = nil
    var bestScore = 0
    let maxP = min(maxPeriodWords, n / max(2, minRepeats))
    guard maxP >= 1 else { return nil }
    func consider(p: Int, end: Int, run: Int) {
      let repeats = run / p + 1
      let span = run + p
      guard repeats >= minRepeats, span >= minSpanWords else { return }
      if span > bestScore {
        bestScore = span
        best = (p, end - run, span)
      }
    }
    // A run is a maximal stretch of i with word i == word i + p. Only runs of at least
    // `minRun` can qualify, and every such run contains a multiple of `minRun`: probe those
    // positions and grow a run around each hit.
    for p in 1...maxP {
      let minRun = max((minRepeats - 1) * p, minSpanWords - p, 1)
      var i = minRun - 1
      while i + p < n {
        guard h[i] == h[i + p] else {
          i += minRun
          continue
        }
        var start = i
        while start > 0 && h[start - 1] == h[start - 1 + p] { start -= 1 }
        var end = i + 1
        while end + p < n && h[end] == h[end + p] { end += 1 }
        consider(p: p, end: end, run: end - start)
        i = end + minRun
      }
    }
    return best
  }

  /// The bytes of `v` that end a word (``isWordSeparator(_:)``, or the lead byte of a CJK
  /// character), as a mask of high bits; sets `otherSpace` when `v` holds a vertical tab or
  /// form feed.
  @inline(__always) static func wordEnds(_ v: UInt64, _ otherSpace: inout Bool) -> UInt64 {
    var separators = SWAR.equalMask(v, 0x20)
    // Tabs, newlines and carriage returns are rarer: looked for when a byte is that low.
    if SWAR.hasByteBelow(v, 0x0E) {
      separators |= SWAR.equalMask(v, 0x0A) | SWAR.equalMask(v, 0x09) | SWAR.equalMask(v, 0x0D)
      if SWAR.equalMask(v, 0x0B) | SWAR.equalMask(v, 0x0C) != 0 { otherSpace = true }
    }
    if v & SWAR.highs != 0 {
      // Bytes E3–E9: high bit set, low seven bits 63–69.
      let heptets = v & 0x7F7F_7F7F_7F7F_7F7F
      let atLeast = heptets &+ 0x1D1D_1D1D_1D1D_1D1D  // 0x80 - 0x63
      let atMost = heptets &+ 0x1616_1616_1616_1616  // 0x7F - 0x69
      separators |= atLeast & ~atMost & v & SWAR.highs
    }
    return separators
  }

  /// The running hash of a word's full eight-byte chunks, with the next (ASCII case folded)
  /// chunk mixed in.
  @inline(__always) static func mixChunk(_ hash: UInt64, _ folded: UInt64) -> UInt64 {
    (hash ^ folded.byteSwapped) &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019
  }

  /// The first `count` (0–7) bytes of `v`, big-endian (0 when `count` is 0).
  @inline(__always) static func packedBytes(_ v: UInt64, _ count: Int) -> UInt64 {
    let bits = UInt64(8 &* count)
    return (v & ((1 &<< bits) &- 1)).byteSwapped &>> (64 &- bits)
  }

  /// A word's hash: its mixed full chunks, its last bytes packed, and its length.
  @inline(__always) static func wordHash(mixed: UInt64, packed: UInt64, length: Int) -> UInt64 {
    (mixed ^ packed) &+ UInt64(length) &* 0x9E37_79B9_7F4A_7C15
  }

  /// Whether `b` separates the words of ``words(in:_:)``: space, tab, newline or carriage return.
  @inline(__always) package static func isWordSeparator(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D
  }

  /// Calls `body` with a hash and UTF-8 offset range of each word (case-folded for ASCII): runs
  /// of bytes between spaces, tabs, newlines and carriage returns, and each CJK character
  /// (U+3000–U+9FFF) on its own.
  /// Words of up to eight bytes hash without collisions among words of their length (their
  /// bytes, with the length added times an odd constant); longer ones mix eight bytes at a time.
  ///
  /// - Returns: whether the text holds a vertical tab or a form feed (found on the way, since
  ///   each byte that is not a separator is read as part of a word).
  ///
  /// Inlined into its callers, so the state `body` keeps (a running hash, a count) stays in
  /// registers instead of a closure context in memory.
  @discardableResult @inline(__always)
  package static func words(in buffer: UnsafeBufferPointer<UInt8>, _ body: (UInt64, Range<Int>) -> Void)
    -> Bool
  {
    guard let base = buffer.baseAddress else { return false }
    var otherSpace = false
    let raw = UnsafeRawPointer(base)
    let n = buffer.count
    // Scripts written without spaces: each character of U+3000–U+9FFF (CJK punctuation, kana,
    // ideographs; lead bytes E3–E9) is a word of its own, so `我需要再检查一下。` repeated is a loop.
    @inline(__always) func isCJKLead(_ b: UInt8) -> Bool { b >= 0xE3 && b <= 0xE9 }
    var i = 0
    while i < n {
      if isWordSeparator(base[i]) {
        i += 1
        continue
      }
      if isCJKLead(base[i]) {
        let end = min(n, i + 3)
        var packed: UInt64 = 0
        for k in i..<end { packed = packed << 8 | UInt64(base[k]) }
        body(wordHash(mixed: 0, packed: packed, length: end - i), i..<end)
        i = end
        continue
      }
      let start = i
      if i + 16 <= n {
        // Words under sixteen bytes (nearly all) from two loads, without a branch on their
        // length: the hash below is the one the loop after computes for them.
        let v0 = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let v1 = raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
        let length0 = wordEnds(v0, &otherSpace).trailingZeroBitCount >> 3  // 8 when none
        let length1 = wordEnds(v1, &otherSpace).trailingZeroBitCount >> 3
        let short = length0 < 8
        let length = short ? length0 : 8 + length1
        if length < 16 {
          let f0 = SWAR.foldASCIICase(v0)
          // `length1` is 0 only after a full first chunk: nothing is packed then.
          let packed = packedBytes(short ? f0 : SWAR.foldASCIICase(v1), short ? length0 : length1)
          body(
            wordHash(mixed: short ? 0 : mixChunk(0, f0), packed: packed, length: length), start..<(i + length)
          )
          i += length
          continue
        }
      }
      var hash: UInt64 = 0
      var packed: UInt64 = 0
      var ended = false
      // Eight bytes at a time while they stay inside the word.
      while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        // Bytes after the word's end are read again as part of the text that follows.
        let separators = wordEnds(v, &otherSpace)
        if separators == 0 {
          hash = mixChunk(hash, SWAR.foldASCIICase(v))
          i += 8
          continue
        }
        let length = separators.trailingZeroBitCount >> 3
        packed = packedBytes(SWAR.foldASCIICase(v), length)
        i += length
        ended = true
        break
      }
      if !ended {
        // Fewer than eight bytes left in the buffer.
        while i < n && !isWordSeparator(base[i]) && !isCJKLead(base[i]) {
          let b = base[i]
          if b == 0x0B || b == 0x0C { otherSpace = true }
          packed = packed << 8 | UInt64((b >= 0x41 && b <= 0x5A) ? b | 0x20 : b)
          i += 1
        }
      }
      body(wordHash(mixed: hash, packed: packed, length: i - start), start..<i)
    }
    return otherSpace
  }
}
