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
    var text = text
    _ = text.withUTF8 { bytes in
      // Counted first, so a long text's hashes are one allocation of their size.
      var words = 0
      Self.words(in: bytes) { _, _ in words += 1 }
      hashes.reserveCapacity(words)
      return Self.words(in: bytes) { hash, _ in hashes.append(hash) }
    }
    let n = hashes.count
    guard let best = hashes.withUnsafeBufferPointer({ longestLoop($0) }) else { return nil }
    let b = best
    hashes = []
    // The fragment's bytes, from a second walk over the words (keeping every word's range
    // would take 16 bytes a word of a text that may be tens of megabytes).
    var first = 0..<0
    var last = 0..<0
    var k = 0
    _ = text.withUTF8 { bytes in
      Self.words(in: bytes) { _, range in
        if k == b.start { first = range }
        if k == b.start + b.period - 1 { last = range }
        k += 1
      }
    }
    let utf8 = text.utf8
    let lower = utf8.index(utf8.startIndex, offsetBy: first.lowerBound)
    let upper = utf8.index(utf8.startIndex, offsetBy: last.upperBound)
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
  @inlinable @inline(__always) package static func isWordSeparator(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D
  }

  /// The bits (bit `k` for byte `k`) of the eight-byte mask of high bits `mask`, as returned by
  /// the ``SWAR`` functions.
  @inline(__always) static func gatherBits(_ mask: UInt64) -> UInt64 {
    // Bit 8k moves to bit 56 + k; no two partial products meet below bit 64.
    ((mask >> 7) &* 0x0102_0408_1020_4080) >> 56
  }

  /// Whether `b` is the lead byte of a CJK character (U+3000–U+9FFF: E3–E9), a word of its own.
  @inline(__always) static func isCJKLead(_ b: UInt8) -> Bool { b >= 0xE3 && b <= 0xE9 }

  /// The hash of the word of `length` bytes at `start` of the `n` bytes at `base`.
  @inline(__always) static func hashWord(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ length: Int)
    -> UInt64
  {
    let raw = UnsafeRawPointer(base)
    if length < 16 && start + 16 <= n {
      // Two loads, no branch on the length.
      let f0 = SWAR.foldASCIICase(raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
      let f1 = SWAR.foldASCIICase(raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
      let short = length < 8
      return wordHash(
        mixed: short ? 0 : mixChunk(0, f0),
        packed: packedBytes(short ? f0 : f1, short ? length : length &- 8),
        length: length)
    }
    var mixed: UInt64 = 0
    var k = start
    while k + 8 <= start + length {
      mixed = mixChunk(mixed, SWAR.foldASCIICase(raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)))
      k += 8
    }
    var packed: UInt64 = 0
    while k < start + length {
      let b = base[k]
      packed = packed << 8 | UInt64((b >= 0x41 && b <= 0x5A) ? b | 0x20 : b)
      k += 1
    }
    return wordHash(mixed: mixed, packed: packed, length: length)
  }

  /// Reads what is at `i` of the `n` bytes at `base` byte by byte: a separator, a CJK
  /// character or a whole word (passed to `body`); `i` moves past it.
  @inline(__always) static func wordStep(
    _ base: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ otherSpace: inout Bool,
    _ body: (UInt64, Range<Int>) -> Void
  ) {
    let b = base[i]
    if isWordSeparator(b) {
      i += 1
      return
    }
    if isCJKLead(b) {
      let end = min(n, i + 3)
      var packed: UInt64 = 0
      for k in i..<end {
        // Only invalid UTF-8 puts a vertical tab or form feed here; the Character path then
        // decides, as for any other one.
        if base[k] == 0x0B || base[k] == 0x0C { otherSpace = true }
        packed = packed << 8 | UInt64(base[k])
      }
      body(wordHash(mixed: 0, packed: packed, length: end - i), i..<end)
      i = end
      return
    }
    let start = i
    // Eight bytes at a time while they stay inside the word; bytes after its end are read
    // again as part of the text that follows.
    while i + 8 <= n {
      let separators = wordEnds(
        UnsafeRawPointer(base).loadUnaligned(fromByteOffset: i, as: UInt64.self), &otherSpace)
      if separators == 0 {
        i += 8
        continue
      }
      i += separators.trailingZeroBitCount >> 3
      body(hashWord(base, n, start, i - start), start..<i)
      return
    }
    // Fewer than eight bytes left in the buffer.
    while i < n && !isWordSeparator(base[i]) && !isCJKLead(base[i]) {
      if base[i] == 0x0B || base[i] == 0x0C { otherSpace = true }
      i += 1
    }
    body(hashWord(base, n, start, i - start), start..<i)
  }

  /// The separators of the eight bytes at `offset` as eight bits, low bit first; `high` gets
  /// their high bits, `otherSpace` is set for a vertical tab or form feed.
  @inline(__always) static func separatorBits(
    _ raw: UnsafeRawPointer, _ offset: Int, _ high: inout UInt64, _ otherSpace: inout Bool
  ) -> UInt64 {
    let v = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    high |= v
    var s = SWAR.equalMask(v, 0x20)
    // Tabs, newlines and carriage returns are rarer: looked for when a byte is that low.
    if SWAR.hasByteBelow(v, 0x0E) {
      s |= SWAR.equalMask(v, 0x0A) | SWAR.equalMask(v, 0x09) | SWAR.equalMask(v, 0x0D)
      if SWAR.equalMask(v, 0x0B) | SWAR.equalMask(v, 0x0C) != 0 { otherSpace = true }
    }
    return gatherBits(s)
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
  /// Plain ASCII text is read 64 bytes at a time: the separators of a block become a bit mask,
  /// and the words that end in the block are taken from its set bits, so no word's bounds wait
  /// on the word before (the processor works on several at once). Blocks holding other bytes,
  /// and the last bytes of the text, are read word by word.
  ///
  /// Inlined into its callers, so the state `body` keeps (a running hash, a count) stays in
  /// registers instead of a closure context in memory.
  @discardableResult @inline(__always)
  package static func words(in buffer: UnsafeBufferPointer<UInt8>, _ body: (UInt64, Range<Int>) -> Void)
    -> Bool
  {
    guard let base = buffer.baseAddress else { return false }
    var otherSpace = false
    let n = buffer.count
    // `i` is never inside a word: at a separator, a word's first byte or the end.
    var i = 0
    wordBlocks(base, n, &i, &otherSpace, shift: 0, body)
    guard i < n else { return otherSpace }
    // The last bytes (under 64) as one block padded with spaces, when they are plain ASCII.
    var pad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    )
    let ascii = withUnsafeMutableBytes(of: &pad) { padBytes -> Bool in
      let tail = UnsafeRawBufferPointer(start: base + i, count: n - i)
      padBytes.copyMemory(from: tail)
      var high: UInt64 = 0
      for k in 0..<8 { high |= padBytes.load(fromByteOffset: 8 &* k, as: UInt64.self) }
      guard high & SWAR.highs == 0 else { return false }
      for k in tail.count..<padBytes.count { padBytes[k] = 0x20 }
      var j = 0
      let padBase = padBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
      wordBlocks(padBase, padBytes.count, &j, &otherSpace, shift: i, body)
      return true
    }
    if !ascii {
      while i < n { wordStep(base, n, &i, &otherSpace, body) }
    }
    return otherSpace
  }

  /// ``words(in:_:)`` on the 64-byte blocks of the `n` bytes at `base` from `i` (not inside a
  /// word) on, leaving `i` where fewer than 64 bytes are left; ranges passed to `body` are
  /// shifted by `shift`.
  @inline(__always) static func wordBlocks(
    _ base: UnsafePointer<UInt8>, _ n: Int, _ i: inout Int, _ otherSpace: inout Bool, shift: Int,
    _ body: (UInt64, Range<Int>) -> Void
  ) {
    let raw = UnsafeRawPointer(base)
    while i + 64 <= n {
      var high: UInt64 = 0
      var separators = separatorBits(raw, i, &high, &otherSpace)
      separators |= separatorBits(raw, i + 8, &high, &otherSpace) << 8
      separators |= separatorBits(raw, i + 16, &high, &otherSpace) << 16
      separators |= separatorBits(raw, i + 24, &high, &otherSpace) << 24
      separators |= separatorBits(raw, i + 32, &high, &otherSpace) << 32
      separators |= separatorBits(raw, i + 40, &high, &otherSpace) << 40
      separators |= separatorBits(raw, i + 48, &high, &otherSpace) << 48
      separators |= separatorBits(raw, i + 56, &high, &otherSpace) << 56
      if high & SWAR.highs != 0 {
        // Not plain ASCII (CJK lead bytes end words): this block word by word.
        let end = i + 64
        while i < end {
          wordStep(base, n, &i, &otherSpace) { hash, range in
            body(hash, (range.lowerBound &+ shift)..<(range.upperBound &+ shift))
          }
        }
        continue
      }
      let wordBytes = ~separators
      // First bytes of words (the byte before `i` is not inside a word), and the separators
      // right after a word: the k-th end closes the k-th word.
      var starts = wordBytes & ~(wordBytes << 1)
      var ends = separators & (wordBytes << 1)
      if ends == 0 {
        if starts == 0 {
          i += 64
        } else if starts & 1 == 0 {
          i += starts.trailingZeroBitCount  // the block again from the word's start
        } else {
          // A word of 64 bytes or more.
          wordStep(base, n, &i, &otherSpace) { hash, range in
            body(hash, (range.lowerBound &+ shift)..<(range.upperBound &+ shift))
          }
        }
        continue
      }
      repeat {
        let start = i &+ starts.trailingZeroBitCount
        let end = i &+ ends.trailingZeroBitCount
        body(hashWord(base, n, start, end &- start), (start &+ shift)..<(end &+ shift))
        starts &= starts &- 1
        ends &= ends &- 1
      } while ends != 0
      // A word that runs past the block is read again from its start.
      i += starts == 0 ? 64 : starts.trailingZeroBitCount
    }
  }
}
