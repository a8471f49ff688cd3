/// The words of one text as ``RepetitionCheck`` and ``RunTogetherCheck`` split it, read in one
/// pass for both: word hashes for the loop search, the word count and the long words for the
/// run-together test.
///
/// A word is a maximal run of bytes other than space, tab, newline and carriage return. The
/// run-together check also splits at vertical tabs and form feeds, so a text holding one of
/// those is flagged in ``containsOtherSpace`` and checked on its own.
package struct WordStatistics: Sendable {
  /// Word hashes (``RepetitionCheck``'s), the first ``count`` of them valid.
  package private(set) var hashes: [UInt64] = []
  /// Words in the text.
  package private(set) var count = 0
  /// Byte ranges of the words of at least ``longWordBytes`` bytes, in text order.
  package var longWords: ArraySlice<Range<Int>> { longStore[..<longCount] }
  private var longStore: [Range<Int>] = []
  private var longCount = 0
  /// Whether the text holds a vertical tab or form feed.
  package private(set) var containsOtherSpace = false

  /// Words shorter than this are not kept in ``longWords``. Run-together checks with a
  /// ``RunTogetherCheck/minWordLetters`` of at least this many can use the statistics.
  package static let longWordBytes = 9

  /// Creates empty statistics (buffers are reused by ``read(_:)``).
  package init() {}

  /// Reads the words of `bytes`, replacing what was read before.
  package mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) {
    var sequence = WordSequenceHash()
    read(bytes, skipping: (-1, -1), sequence: &sequence)
  }

  /// Reads the words of `bytes`, replacing what was read before, and appends all of them to
  /// `sequence`; the words that start at the offsets `skipping` go to `sequence` only: the
  /// statistics are those of the text without them.
  package mutating func read(
    _ bytes: UnsafeBufferPointer<UInt8>, skipping: (Int, Int), sequence: inout WordSequenceHash
  ) {
    // At most one word per two bytes, and one long word per `longWordBytes + 1`: both are
    // written through pointers, with the counts and the running hash in locals, so nothing in
    // the loop calls out (an append, or a store that may alias a captured variable, would keep
    // them in memory across every word).
    if bytes.count > Self.largeText {
      // A text of tens of megabytes: buffers for the most words it could hold would take 5.6
      // bytes a byte of it, so its words are counted first and the buffers made that size.
      var words = 0
      var long = 0
      RepetitionCheck.words(in: bytes) { _, range in
        words += 1
        if range.count >= Self.longWordBytes { long += 1 }
      }
      hashes = [UInt64](repeating: 0, count: words)
      longStore = [Range<Int>](repeating: 0..<0, count: long)
    } else {
      let most = (bytes.count + 1) / 2
      // After a large text, the buffers go back to a row's size.
      if hashes.count > 2 * Self.largeText { hashes = [] }
      if longStore.count > Self.largeText { longStore = [] }
      if hashes.count < most { hashes = [UInt64](repeating: 0, count: max(most, 2 * hashes.count)) }
      let mostLong = bytes.count / (Self.longWordBytes + 1) + 1
      if longStore.count < mostLong {
        longStore = [Range<Int>](repeating: 0..<0, count: max(mostLong, 2 * longStore.count))
      }
    }
    let start = sequence
    let (n, longCount, otherSpace, running) = hashes.withUnsafeMutableBufferPointer { out in
      longStore.withUnsafeMutableBufferPointer { long in
        var n = 0
        var longCount = 0
        var running = start
        let otherSpace = RepetitionCheck.words(in: bytes) { hash, range in
          running.add(hash)
          if range.lowerBound == skipping.0 || range.lowerBound == skipping.1 { return }
          out[n] = hash
          n += 1
          if range.count >= Self.longWordBytes {
            long[longCount] = range
            longCount += 1
          }
        }
        return (n, longCount, otherSpace, running)
      }
    }
    sequence = running
    count = n
    self.longCount = longCount
    containsOtherSpace = otherSpace
  }

  /// Texts longer than this (bytes) get buffers of their words' count, not of the most they
  /// could hold.
  static let largeText = 1 << 22

  /// Calls `body` with the valid hashes.
  package func withHashes<R>(_ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
    hashes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[..<count])) }
  }
}

extension RepetitionCheck {
  /// Whether ``detect(in:)`` finds a loop in the text `words` were read from.
  package func flags(words: WordStatistics) -> Bool {
    words.withHashes { longestLoop($0) } != nil
  }
}

/// A running hash of a sequence of word hashes (``RepetitionCheck``'s): each word is mixed in
/// by an exclusive or and a multiplication by an odd constant (both one-to-one), so sequences
/// of one length that differ in a single word always hash apart. Parts read apart continue one
/// state, so they hash as their concatenation.
package struct WordSequenceHash: Sendable, Hashable {
  /// The running state.
  package private(set) var state: UInt64 = 0x243F_6A88_85A3_08D3
  /// Words in the sequence.
  package private(set) var count: UInt64 = 0

  /// An empty sequence.
  package init() {}

  /// Appends one word's hash.
  @inline(__always) package mutating func add(_ word: UInt64) {
    state = (state ^ word) &* 0xD6E8_FEB8_6659_FD93
    count &+= 1
  }

  /// Appends the words of the UTF-8 `bytes` (``RepetitionCheck/words(in:_:)``).
  package mutating func add(wordsOf bytes: UnsafeBufferPointer<UInt8>) {
    var sequence = self
    RepetitionCheck.words(in: bytes) { word, _ in sequence.add(word) }
    self = sequence
  }
}
