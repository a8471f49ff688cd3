/// Detects run-together words: prose whose spaces went missing (`thecourtheldthattheclaim`).
///
/// Only scripts written with spaces are considered. A word (whitespace-separated, with
/// surrounding punctuation trimmed) counts as run-together when it is made of letters only,
/// is at least ``minWordLetters`` long, is not camelCase or an identifier (code, URLs and
/// paths contain `_`, `/`, `.`, digits or inner capitals), and holds at least two of the short
/// words prose is made of (`the`, `and`, `that`, `was`…): `thecourtheldthattheclaim` has four,
/// while long real words (German compounds such as `Arbeitsunfähigkeitsbescheinigung`,
/// chemical names) have at most one. The words are English ones: run-together text in other
/// languages is found by the spacing test only. The text is flagged when
/// run-together words hold at least ``minRunTogetherLetters`` letters, or when a long text has
/// almost no spaces at all (fewer than ``minSpaceRatio`` spaces per letter).
public struct RunTogetherCheck: Sendable, Hashable, Codable {
  /// Letters a word needs to be suspicious. Default 25 (longer than nearly all dictionary words).
  public var minWordLetters: Int
  /// Total letters in run-together words needed to flag. Default 25.
  public var minRunTogetherLetters: Int
  /// Spaces per letter below which a text of ``minLettersForRatio`` letters is flagged. Default 0.08
  /// (English prose has about 0.2; 0.08 means words average over 12 letters).
  public var minSpaceRatio: Double
  /// Letters needed before the ratio test applies. Default 200.
  public var minLettersForRatio: Int

  /// Creates a check.
  public init(
    minWordLetters: Int = 25, minRunTogetherLetters: Int = 25, minSpaceRatio: Double = 0.08,
    minLettersForRatio: Int = 200
  ) {
    self.minWordLetters = minWordLetters
    self.minRunTogetherLetters = minRunTogetherLetters
    self.minSpaceRatio = minSpaceRatio
    self.minLettersForRatio = minLettersForRatio
  }

  /// What was found.
  public struct Finding: Sendable, Hashable, Codable {
    /// Run-together words found.
    public var words: Int
    /// Share of the text's letters inside run-together words (1 when the ratio test fired).
    public var letterShare: Double
    /// The longest run-together word (at most 80 characters).
    public var example: String
  }

  /// Returns the finding when the text has run-together words, else `nil`.
  ///
  /// Pure-ASCII text (the common case) is classified byte by byte; other text scalar by scalar.
  public func detect(in text: String) -> Finding? {
    var words = WordTally(minWordLetters: minWordLetters)
    var text = text
    let ascii = text.withUTF8 { buffer -> Bool in
      guard ByteSearch.isASCII(buffer) else { return false }
      for (offset, b) in buffer.enumerated() { words.feedASCII(b, offset: offset) }
      return true
    }
    if !ascii {
      var offset = 0
      for scalar in text.unicodeScalars {
        let next = offset + UTF8.width(scalar)
        let v = scalar.value
        if v < 0x80 {
          words.feedASCII(UInt8(v), offset: offset)
        } else {
          let p = scalar.properties
          let script = ScriptClass.of(scalar)
          let isSpace = p.isWhitespace
          let isLetter = !isSpace && script != .common
          words.feedNonASCII(
            isSpace: isSpace, isLetter: isLetter, isUpper: isLetter && p.isUppercase,
            isLower: isLetter && p.isLowercase, unspacedScript: isLetter && script.isWrittenWithoutSpaces,
            offset: offset, next: next)
        }
        offset = next
      }
    }
    words.endWord()

    if words.suspiciousLetters >= minRunTogetherLetters, let range = words.longest {
      let utf8 = text.utf8
      let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
      let upper = utf8.index(utf8.startIndex, offsetBy: range.upperBound)
      return Finding(
        words: words.suspiciousWords,
        letterShare: words.letters == 0 ? 0 : Double(words.suspiciousLetters) / Double(words.letters),
        example: String(text[lower..<upper].prefix(80)))
    }
    if words.spacedLetters >= minLettersForRatio
      && Double(max(0, words.words - 1)) / Double(words.spacedLetters) < minSpaceRatio
    {
      let longestWord = text.split(whereSeparator: { $0.isWhitespace }).max { $0.count < $1.count } ?? ""
      return Finding(words: max(1, words.words), letterShare: 1, example: String(longestWord.prefix(80)))
    }
    return nil
  }
}

/// Word statistics for ``RunTogetherCheck``, fed one character class at a time.
extension RunTogetherCheck {
  /// Whether ``detect(in:)`` finds run-together words in UTF-8 `bytes`, without building the
  /// finding. ASCII text is read eight bytes at a time: words and letters are counted from
  /// byte masks, and only words long enough to be suspicious are examined byte by byte.
  ///
  /// Text whose non-ASCII characters are all symbols (neither whitespace nor letters, such as
  /// the `｜` and `▁` of DeepSeek's special tokens) is read the same way: such a character
  /// counts exactly like ASCII punctuation, and so do its bytes here.
  /// `knownASCII` says the caller already knows `bytes` to be ASCII.
  package func flags(in bytes: UnsafeBufferPointer<UInt8>, knownASCII: Bool = false) -> Bool {
    guard minWordLetters > 8, let base = bytes.baseAddress,
      knownASCII || ByteSearch.isASCII(bytes) || Self.nonASCIIIsPunctuation(bytes)
    else {
      return detect(in: String(decoding: bytes, as: UTF8.self)) != nil
    }
    let raw = UnsafeRawPointer(base)
    let n = bytes.count
    var words = 0
    var long = WordTally(minWordLetters: minWordLetters)
    var lastSpace = -1  // offset of the last whitespace byte
    var previousSpace: UInt64 = 0x80  // the byte before the chunk was whitespace (or the start)
    // A macro-like helper taking its state as arguments: a nested function capturing `long`
    // would box it and check exclusive access dynamically on every call. The rare long word
    // is fed out of line, so the chunk loop keeps no tally in registers.
    let minLetters = minWordLetters
    @inline(__always) func endWord(at end: Int, _ lastSpace: Int, _ long: inout WordTally) {
      // Words shorter than the minimum cannot be suspicious; only their counts matter.
      guard end - lastSpace - 1 >= minLetters else { return }
      Self.feedLongWord(base, lastSpace + 1, end, &long)
    }
    var i = 0
    while i + 8 <= n {
      let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      var space = SWAR.equalMask(v, 0x20)
      if SWAR.hasByteBelow(v, 0x0E) { space |= SWAR.rangeMask(v, 0x09, 0x0D) }
      words += SWAR.count(~space & SWAR.highs & (space << 8 | previousSpace))
      previousSpace = space >> 56
      if space != 0 {
        // Words between two spaces of one chunk are under eight bytes.
        endWord(at: i + space.trailingZeroBitCount >> 3, lastSpace, &long)
        lastSpace = i + (63 - space.leadingZeroBitCount) >> 3
      }
      i += 8
    }
    var afterSpace = previousSpace != 0
    while i < n {
      let b = base[i]
      if b == 0x20 || (b >= 0x09 && b <= 0x0D) {
        endWord(at: i, lastSpace, &long)
        lastSpace = i
        afterSpace = true
      } else {
        if afterSpace { words += 1 }
        afterSpace = false
      }
      i += 1
    }
    endWord(at: n, lastSpace, &long)
    return decide(long, words: words, bytes)
  }

  /// ``flags(in:knownASCII:)`` from `words`, the statistics of `bytes` read for both this check
  /// and the repetition check: only the long words are examined here. `longWordsIn` is the text
  /// the long words' ranges index when the statistics were read from another text with the same
  /// words (the model text with its tags' words left out).
  package func flags(
    in bytes: UnsafeBufferPointer<UInt8>, words: WordStatistics,
    longWordsIn source: UnsafeBufferPointer<UInt8>? = nil, knownASCII: Bool = false
  ) -> Bool {
    guard minWordLetters >= WordStatistics.longWordBytes, !words.containsOtherSpace,
      let base = (source ?? bytes).baseAddress,
      knownASCII || ByteSearch.isASCII(bytes) || Self.nonASCIIIsPunctuation(bytes)
    else {
      return flags(in: bytes, knownASCII: knownASCII)
    }
    var long = WordTally(minWordLetters: minWordLetters)
    for range in words.longWords where range.count >= minWordLetters {
      Self.feedLongWord(base, range.lowerBound, range.upperBound, &long)
    }
    return decide(long, words: words.count, bytes)
  }

  /// The verdict of the eight-bytes-at-a-time paths from the long words' tally and the word
  /// count of the ASCII (or symbols-only) text `bytes`.
  private func decide(_ long: WordTally, words: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    if long.suspiciousLetters >= minRunTogetherLetters && long.suspiciousWords > 0 { return true }
    // ASCII words are all spaced, so every letter counts for the ratio. There are at most
    // `bytes.count` letters: letters are counted only when that bound leaves the test open.
    let gaps = Double(max(0, words - 1))
    guard bytes.count >= minLettersForRatio, gaps / Double(bytes.count) < minSpaceRatio else { return false }
    let letters = Self.asciiLetters(bytes)
    return letters >= minLettersForRatio && gaps / Double(letters) < minSpaceRatio
  }

  /// Feeds the ASCII word at `start..<end` of `base` to `long`.
  @inline(never) fileprivate static func feedLongWord(
    _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ long: inout WordTally
  ) {
    for k in start..<end { long.feedASCII(base[k], offset: k) }
    long.endWord()
  }

  /// The number of ASCII letters in `bytes`, eight bytes at a time.
  static func asciiLetters(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    guard let base = bytes.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    var letters = 0
    var i = 0
    while i + 8 <= bytes.count {
      letters += SWAR.count(
        SWAR.rangeMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) | SWAR.ones &* 0x20, 0x61, 0x7A))
      i += 8
    }
    while i < bytes.count {
      if base[i] | 0x20 >= 0x61 && base[i] | 0x20 <= 0x7A { letters += 1 }
      i += 1
    }
    return letters
  }
}

extension RunTogetherCheck {
  /// Whether every non-ASCII scalar of the UTF-8 `bytes` is neither whitespace nor a letter
  /// (``ScriptClass/common``), so ``detect(in:)`` treats it as it treats ASCII punctuation.
  static func nonASCIIIsPunctuation(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = bytes.count
    while i < n {
      let lead = bytes[i]
      if lead < 0x80 {
        i += 1
        continue
      }
      let width = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
      guard width > 0, i + width <= n else { return false }
      var value = UInt32(lead) & (0xFF >> UInt32(width + 1))
      for k in 1..<width {
        let b = bytes[i + k]
        guard b & 0xC0 == 0x80 else { return false }
        value = value << 6 | UInt32(b & 0x3F)
      }
      guard let scalar = Unicode.Scalar(value), !ScriptClass.isNonASCIIWhitespace(value),
        ScriptClass.of(scalar) == .common
      else { return false }
      i += width
    }
    return true
  }
}

private struct WordTally {
  let minWordLetters: Int
  var letters = 0
  var words = 0
  var spacedLetters = 0
  var suspiciousWords = 0
  var suspiciousLetters = 0
  var longest: Range<Int>? = nil
  var longestLetters = 0
  // The current word.
  var inWord = false
  var wordLetters = 0
  var onlyLetters = true
  var innerUpper = false
  var spaced = true
  var previousLower = false
  var pendingNonLetter = false
  var firstLetter = 0
  var afterLastLetter = 0
  /// The word's last four ASCII letters, lower-cased (0 after any other character), and how
  /// many common English words end at its letters (``RunTogetherCheck`` doc).
  var recent: UInt32 = 0
  var functionWords = 0

  init(minWordLetters: Int) { self.minWordLetters = minWordLetters }

  /// Short words that prose run together holds and long words rarely do: `the`, `and`, `that`…
  /// (not those inside common word parts: `its` in German `-heits`, `some` in `chromosome`,
  /// `them` in `methemoglobin`).
  /// A German compound (`Arbeitsunfähigkeitsbescheinigung`) or a chemical name
  /// (`methylenedioxymethamphetamine`) has at most one; `thecourtheldthattheclaim` has four.
  static let threeLetterWords: Set<UInt32> = Set(
    ["the", "and", "was", "for", "are", "not", "but", "you", "can", "one", "any", "our"]
      .map(pack))
  static let fourLetterWords: Set<UInt32> = Set(
    [
      "that", "with", "this", "from", "have", "were", "they", "been", "than", "here", "need", "each", "will",
      "into", "only", "when", "what", "must", "does", "also",
    ].map(pack))

  static func pack(_ word: String) -> UInt32 { word.utf8.reduce(0) { $0 << 8 | UInt32($1) } }

  @inline(__always)
  mutating func feed(
    isSpace: Bool, isLetter: Bool, isUpper: Bool, isLower: Bool, unspacedScript: Bool, offset: Int, next: Int
  ) {
    if isSpace {
      endWord()
      return
    }
    inWord = true
    if isLetter {
      if unspacedScript { spaced = false }
      if wordLetters == 0 { firstLetter = offset }
      if pendingNonLetter { onlyLetters = false }
      pendingNonLetter = false
      wordLetters += 1
      if isUpper && previousLower { innerUpper = true }
      previousLower = isLower
      afterLastLetter = next
    } else {
      if wordLetters > 0 { pendingNonLetter = true }
      previousLower = false
    }
  }

  /// Feeds one non-ASCII scalar (``feed(isSpace:isLetter:isUpper:isLower:unspacedScript:offset:next:)``):
  /// it ends the window of ASCII letters.
  mutating func feedNonASCII(
    isSpace: Bool, isLetter: Bool, isUpper: Bool, isLower: Bool, unspacedScript: Bool, offset: Int, next: Int
  ) {
    recent = 0
    feed(
      isSpace: isSpace, isLetter: isLetter, isUpper: isUpper, isLower: isLower,
      unspacedScript: unspacedScript,
      offset: offset, next: next)
  }

  /// Feeds one ASCII character at UTF-8 offset `offset`.
  @inline(__always)
  mutating func feedASCII(_ b: UInt8, offset: Int) {
    let isLower = b >= 0x61 && b <= 0x7A
    let isUpper = b >= 0x41 && b <= 0x5A
    if isLower || isUpper {
      recent = recent << 8 | UInt32(b | 0x20)
      if Self.threeLetterWords.contains(recent & 0xFF_FFFF) || Self.fourLetterWords.contains(recent) {
        functionWords += 1
      }
      feed(
        isSpace: false, isLetter: true, isUpper: isUpper, isLower: isLower, unspacedScript: false,
        offset: offset,
        next: offset + 1)
      return
    }
    recent = 0
    feed(
      isSpace: b == 0x20 || (b >= 0x09 && b <= 0x0D), isLetter: isLower || isUpper, isUpper: isUpper,
      isLower: isLower, unspacedScript: false, offset: offset, next: offset + 1)
  }

  mutating func endWord() {
    guard inWord else { return }
    words += 1
    letters += wordLetters
    if spaced { spacedLetters += wordLetters }
    if spaced && onlyLetters && !innerUpper && wordLetters >= minWordLetters && functionWords >= 2 {
      suspiciousWords += 1
      suspiciousLetters += wordLetters
      if wordLetters > longestLetters {
        longestLetters = wordLetters
        longest = firstLetter..<afterLastLetter
      }
    }
    inWord = false
    wordLetters = 0
    onlyLetters = true
    innerUpper = false
    spaced = true
    previousLower = false
    pendingNonLetter = false
    recent = 0
    functionWords = 0
  }
}
