import EvalCore

/// Hand-written matchers for the built-in producer-note regexes that confirm the most anchor
/// hits (`duplicate-of` and `diversify`), for plain ASCII text.
///
/// In a leaky corpus a fifth of the rows hold "diversify …" or "duplicate of …", and ICU costs
/// microseconds per call (a `String`, its UTF-16 view, the matcher). Each function answers what
/// `Pattern.prefixMatch(in:)` of its regex answers on the same ASCII bytes, including the end of
/// the bytes as the end of the text; a test compares both on generated text.
enum NoteMatcher {
  /// The `duplicate-of` rule's regex (case-insensitive). A target written with a row word and
  /// then placed somewhere (`row 3 in the table`, `item 4 of the list`) is a reference into a
  /// table or a list, not a note about the corpus.
  static let duplicateOf =
    #"\bduplicate of[ \t]+(?:(?:row|item|sample|example|id)[ \t]*#?[0-9]+\b(?![ \t]+(?:in|of|from|on)[ \t]+\w)|[0-9]+\b)(?![ \t]+(?:[a-z]+[ \t]+)?(?!(?:is|was|has|as|does|plus|thus|this|its|yes|us)\b)[a-z]+s\b)"#

  /// The `diversify` rule's regex (case-insensitive).
  static let diversify =
    #"\bdiversify (?:(?:by|with|across|using)(?:[ \t]+(?!(?!(?:changing|varying|using|swapping|altering|rotating|mixing|switching|alternating|modifying|tweaking|replacing|rephrasing|rewording|randomizing|randomising|picking|choosing)(?![\w'-]))[\w'-]*ing(?![\w'-]))[\w'-]+){0,5}?[ \t]+(?:numbers?|names?|wording|phrasing|openings?|examples?|rows?|samples?|topics?|personas?|styles?|values?|scenarios?|templates?|prompts?|questions?|answers?|variants?)|the (?:opening|openings|phrasing|wording|style|answers?|examples?|rows?|samples?|names|numbers|personas|scenarios|prompts|templates))\b"#

  /// A rule with a hand matcher.
  enum Kind: Sendable {
    case duplicateOf, diversify

    /// The hand matcher implementing `pattern`, if any.
    init?(_ pattern: Pattern) {
      guard pattern.caseInsensitive else { return nil }
      switch pattern.source {
      case NoteMatcher.duplicateOf: self = .duplicateOf
      case NoteMatcher.diversify: self = .diversify
      default: return nil
      }
    }

    /// Whether the rule's regex matches at the start of the plain ASCII bytes `w`.
    func matchesStart(_ w: UnsafeBufferPointer<UInt8>) -> Bool { matchLength(w) != nil }

    /// The length of the rule's regex match at the start of the plain ASCII bytes `w` (what
    /// `Pattern.prefixMatch(in:)` returns), or `nil` for none.
    func matchLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
      switch self {
      case .duplicateOf: NoteMatcher.duplicateOfLength(w)
      case .diversify: NoteMatcher.diversifyLength(w)
      }
    }
  }

  @inline(__always) static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
  @inline(__always) static func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }
  @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
  /// `\w` on ASCII: letters, digits, `_`.
  @inline(__always) static func isWord(_ b: UInt8) -> Bool { LiteralSet.isWordByte(b) }

  /// Whether `w` at `i` starts with `word` (lower-case ASCII), ignoring case.
  static func starts(_ w: UnsafeBufferPointer<UInt8>, at i: Int, with word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard i + n <= w.count else { return false }
    let p = word.utf8Start
    for k in 0..<n where w[i + k] | 0x20 != p[k] || !isLetter(w[i + k]) && w[i + k] != p[k] { return false }
    return true
  }

  /// The end of the run of bytes satisfying `test` from `i`.
  @inline(__always) static func run(
    _ w: UnsafeBufferPointer<UInt8>, from i: Int, _ test: (UInt8) -> Bool
  ) -> Int {
    var j = i
    while j < w.count && test(w[j]) { j += 1 }
    return j
  }

  /// Whether the word-character run `w[i..<end]` is, ignoring case, one of `words`.
  static func equals(_ w: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int, oneOf words: [StaticString])
    -> Bool
  {
    words.contains { $0.utf8CodeUnitCount == end - i && starts(w, at: i, with: $0) }
  }

  static let countWords: [StaticString] = [
    "is", "was", "has", "as", "does", "plus", "thus", "this", "its", "yes", "us",
  ]

  /// The length of ``duplicateOf``'s match at the start of `w` (up to the number: the rest is
  /// a lookahead), or `nil`.
  static func duplicateOfLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    guard starts(w, at: 0, with: "duplicate of") else { return nil }
    var i = 12
    let blanks = run(w, from: i, isBlank)
    guard blanks > i else { return nil }
    i = blanks
    // The optional noun: each starts with a letter, so at most one of them can be taken. A `#`
    // only after one: "a duplicate of #4521" is an issue tracker's reference.
    var noun = false
    for word: StaticString in ["row", "item", "sample", "example", "id"] where starts(w, at: i, with: word) {
      i = run(w, from: i + word.utf8CodeUnitCount, isBlank)
      if i < w.count && w[i] == UInt8(ascii: "#") { i += 1 }
      noun = true
      break
    }
    let digits = run(w, from: i, isDigit)
    // `[0-9]+\b`: the whole digit run, then no word character.
    guard digits > i, digits == w.count || !isWord(w[digits]) else { return nil }
    // After a noun, `in`, `of`, `from` or `on` and a word place the row in a table or a list
    // ("a duplicate of row 3 in the table").
    if noun {
      let place = run(w, from: digits, isBlank)
      for word: StaticString in ["in", "of", "from", "on"]
      where place > digits && starts(w, at: place, with: word) {
        let next = run(w, from: place + word.utf8CodeUnitCount, isBlank)
        if next > place + word.utf8CodeUnitCount && next < w.count && isWord(w[next]) { return nil }
      }
    }
    // The lookahead: a plural noun (not `is`, `was`, …) one or two words on is a count
    // ("a duplicate of 3 earlier claims"), not a row number.
    func isPlural(_ start: Int, _ end: Int) -> Bool {
      end - start >= 2 && w[end - 1] | 0x20 == UInt8(ascii: "s") && (end == w.count || !isWord(w[end]))
        && !equals(w, start, end, oneOf: countWords)
    }
    let first = run(w, from: digits, isBlank)
    guard first > digits else { return digits }
    let firstEnd = run(w, from: first, isLetter)
    guard firstEnd > first else { return digits }
    if isPlural(first, firstEnd) { return nil }
    let second = run(w, from: firstEnd, isBlank)
    guard second > firstEnd else { return digits }
    let secondEnd = run(w, from: second, isLetter)
    return secondEnd > second && isPlural(second, secondEnd) ? nil : digits
  }

  /// The gerunds a `diversify by …` note may use before what it varies.
  static let varyingVerbs: [StaticString] = [
    "changing", "varying", "using", "swapping", "altering", "rotating", "mixing", "switching", "alternating",
    "modifying", "tweaking", "replacing", "rephrasing", "rewording", "randomizing", "randomising", "picking",
    "choosing",
  ]

  static let varied: [StaticString] = [
    "number", "numbers", "name", "names", "wording", "phrasing", "opening", "openings", "example", "examples",
    "row", "rows", "sample", "samples", "topic", "topics", "persona", "personas", "style", "styles", "value",
    "values", "scenario", "scenarios", "template", "templates", "prompt", "prompts", "question", "questions",
    "answer", "answers", "variant", "variants",
  ]
  static let theVaried: [StaticString] = [
    "opening", "openings", "phrasing", "wording", "style", "answer", "answers", "example", "examples", "row",
    "rows", "sample", "samples", "names", "numbers", "personas", "scenarios", "prompts", "templates",
  ]

  /// The length of ``diversify``'s match at the start of `w` (up to the end of its noun), or
  /// `nil`. The two alternatives start with different words, so at most one can match.
  static func diversifyLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    guard starts(w, at: 0, with: "diversify ") else { return nil }
    let i = 10
    // `the <noun>\b`: the word-character run after `the ` is the noun.
    if starts(w, at: i, with: "the ") {
      let end = run(w, from: i + 4, isWord)
      if equals(w, i + 4, end, oneOf: theVaried) { return end }
    }
    var at = -1
    for verb: StaticString in ["by", "with", "across", "using"] where starts(w, at: i, with: verb) {
      at = i + verb.utf8CodeUnitCount
      break
    }
    guard at >= 0 else { return nil }
    // Up to five words of `[\w'-]` (each a whole run ended by a blank), then the varied noun:
    // the lazy `{0,5}?` takes the fewest fillers that work.
    for fillers in 0...5 {
      let start = run(w, from: at, isBlank)
      guard start > at else { return nil }
      let nounEnd = run(w, from: start, isWord)
      if equals(w, start, nounEnd, oneOf: varied) { return nounEnd }
      guard fillers < 5 else { return nil }
      let end = run(w, from: start) { isWord($0) || $0 == UInt8(ascii: "'") || $0 == UInt8(ascii: "-") }
      guard end > start, end < w.count, isBlank(w[end]) else { return nil }
      // A filler ending in -ing is one of the ways of varying: "diversify by buying stocks
      // with different names" is finance.
      if end - start >= 3 && starts(w, at: end - 3, with: "ing")
        && !equals(w, start, end, oneOf: varyingVerbs)
      {
        return nil
      }
      at = end
    }
    return nil
  }
}
