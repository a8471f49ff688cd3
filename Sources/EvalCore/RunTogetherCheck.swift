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
    var spaces = 0
    var spacedLetters = 0
    var suspiciousWords = 0
    var suspiciousLetters = 0
    var longest = Substring()
    for word in text.split(whereSeparator: { $0.isWhitespace }) {
      spaces += 1
      let trimmed = word.trimmingPunctuation()
      var wordLetters = 0
      var onlyLetters = true
      var innerUpper = false
      var spaced = true
      var previousLower = false
      for scalar in trimmed.unicodeScalars {
        let script = ScriptClass.of(scalar)
        if script == .common {
          onlyLetters = false
          previousLower = false
          continue
        }
        if script.isWrittenWithoutSpaces { spaced = false }
        wordLetters += 1
        let isUpper = scalar.properties.isUppercase
        if isUpper && previousLower { innerUpper = true }
        previousLower = scalar.properties.isLowercase
      }
      letters += wordLetters
      if spaced { spacedLetters += wordLetters }
      if spaced && onlyLetters && !innerUpper && wordLetters >= minWordLetters {
        suspiciousWords += 1
        suspiciousLetters += wordLetters
        if trimmed.count > longest.count { longest = trimmed }
      }
    }
    if suspiciousLetters >= minRunTogetherLetters {
      return Finding(
        words: suspiciousWords, letterShare: letters == 0 ? 0 : Double(suspiciousLetters) / Double(letters),
        example: String(longest.prefix(80)))
    }
    if spacedLetters >= minLettersForRatio && Double(max(0, spaces - 1)) / Double(spacedLetters) < minSpaceRatio {
      let longestWord = text.split(whereSeparator: { $0.isWhitespace }).max { $0.count < $1.count } ?? ""
      return Finding(words: max(1, spaces), letterShare: 1, example: String(longestWord.prefix(80)))
    }
    return nil
  }
}

extension Substring {
  func trimmingPunctuation() -> Substring {
    var s = self
    while let f = s.unicodeScalars.first, !f.properties.isAlphabetic, f.properties.numericType == nil {
      s = s.dropFirst()
    }
    while let l = s.unicodeScalars.last, !l.properties.isAlphabetic, l.properties.numericType == nil {
      s = s.dropLast()
    }
    return s
  }
}
