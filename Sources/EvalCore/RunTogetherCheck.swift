/// Detects run-together words: prose whose spaces went missing (`thecourtheldthattheclaim`).
///
/// Only scripts written with spaces are considered. A word (whitespace-separated, with
/// surrounding punctuation trimmed) counts as run-together when it is made of letters only,
/// is at least ``minWordLetters`` long and is not camelCase or an identifier (code, URLs and
/// paths contain `_`, `/`, `.`, digits or inner capitals). The text is flagged when
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
  public func detect(in text: String) -> Finding? {
    var letters = 0
    var words = 0
    var spacedLetters = 0
    var suspiciousWords = 0
    var suspiciousLetters = 0
    var longest: Range<String.UnicodeScalarView.Index>? = nil
    var longestLetters = 0
    let scalars = text.unicodeScalars

    // State of the current word.
    var inWord = false
    var wordLetters = 0
    var onlyLetters = true
    var innerUpper = false
    var spaced = true
    var previousLower = false
    var pendingNonLetter = false
    var firstLetter = scalars.startIndex
    var afterLastLetter = scalars.startIndex

    func endWord() {
      guard inWord else { return }
      words += 1
      letters += wordLetters
      if spaced { spacedLetters += wordLetters }
      if spaced && onlyLetters && !innerUpper && wordLetters >= minWordLetters {
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
    }

    var index = scalars.startIndex
    while index != scalars.endIndex {
      let scalar = scalars[index]
      let next = scalars.index(after: index)
      let v = scalar.value
      let isSpace: Bool
      var isLetter = false
      var isUpper = false
      var isLower = false
      if v < 0x80 {
        isSpace = v == 0x20 || (v >= 0x09 && v <= 0x0D)
        if v >= 0x61 && v <= 0x7A {
          isLetter = true
          isLower = true
        } else if v >= 0x41 && v <= 0x5A {
          isLetter = true
          isUpper = true
        }
      } else {
        let p = scalar.properties
        isSpace = p.isWhitespace
        let script = ScriptClass.of(scalar)
        if !isSpace && script != .common {
          isLetter = true
          if script.isWrittenWithoutSpaces { spaced = false }
          isUpper = p.isUppercase
          isLower = p.isLowercase
        }
      }
      if isSpace {
        endWord()
      } else {
        if !inWord {
          inWord = true
        }
        if isLetter {
          if wordLetters == 0 { firstLetter = index }
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
      index = next
    }
    endWord()

    if suspiciousLetters >= minRunTogetherLetters, let range = longest {
      return Finding(
        words: suspiciousWords, letterShare: letters == 0 ? 0 : Double(suspiciousLetters) / Double(letters),
        example: String(String.UnicodeScalarView(scalars[range]).prefix(80)))
    }
    if spacedLetters >= minLettersForRatio && Double(max(0, words - 1)) / Double(spacedLetters) < minSpaceRatio {
      let longestWord = text.split(whereSeparator: { $0.isWhitespace }).max { $0.count < $1.count } ?? ""
      return Finding(words: max(1, words), letterShare: 1, example: String(longestWord.prefix(80)))
    }
    return nil
  }
}
