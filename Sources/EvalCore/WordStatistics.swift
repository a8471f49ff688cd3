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
  package private(set) var longWords: [Range<Int>] = []
  /// Whether the text holds a vertical tab or form feed.
  package private(set) var containsOtherSpace = false

  /// Words shorter than this are not kept in ``longWords``. Run-together checks with a
  /// ``RunTogetherCheck/minWordLetters`` of at least this many can use the statistics.
  package static let longWordBytes = 9

  /// Creates empty statistics (buffers are reused by ``read(_:)``).
  package init() {}

  /// Reads the words of `bytes`, replacing what was read before.
  package mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) {
    longWords.removeAll(keepingCapacity: true)
    // At most one word per two bytes: hashes are written through a pointer (an append per
    // word would check the array's uniqueness and capacity each time).
    let most = (bytes.count + 1) / 2
    if hashes.count < most { hashes = [UInt64](repeating: 0, count: max(most, 2 * hashes.count)) }
    var n = 0
    var long = longWords
    longWords = []
    let otherSpace = hashes.withUnsafeMutableBufferPointer { out in
      RepetitionCheck.words(in: bytes) { hash, range in
        out[n] = hash
        n += 1
        if range.count >= Self.longWordBytes { long.append(range) }
      }
    }
    longWords = long
    count = n
    containsOtherSpace = otherSpace
  }

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
