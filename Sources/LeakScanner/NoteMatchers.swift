import EvalCore

/// Hand-written matchers for the built-in producer-note regexes that confirm the most anchor
/// hits (`duplicate-of`, `copy-of` and `diversify`), for plain ASCII text.
///
/// In a leaky corpus a fifth of the rows hold "diversify …" or "duplicate of …", and ICU costs
/// microseconds per call (a `String`, its UTF-16 view, the matcher). Each function answers what
/// `Pattern.prefixMatch(in:)` of its regex answers on the same ASCII bytes, including the end of
/// the bytes as the end of the text; a test compares both on generated text.
enum NoteMatcher {
  /// The `duplicate-of` rule's regex (case-insensitive). The two words may stand on two lines
  /// (`duplicate\nof 3886`, a wrapped line), be joined by a hyphen (`duplicate-of 3886`, as a
  /// field name) or have a colon after them (`Duplicate of: 3886`). A target written with a row word and then placed
  /// somewhere (`row 3 in the table`, `item 4 of the list`) is a reference into a table or a
  /// list, not a note about the corpus.
  /// A bare `#` and number counts only in brackets, `(duplicate of #3886)`: "a duplicate of
  /// #4521 on GitHub" is an issue tracker's reference.
  /// A bare number stays a note wherever it is placed (`duplicate of 3886 in the batch`).
  static let duplicateOf =
    #"\bduplicate(?:[ \t]+|[ \t]*\r?\n[ \t]*|-)of:?[ \t]+(?:"# + rowTarget
    + #"|[0-9]+\b|"# + bracketedHash + #")"# + notACount

  /// The `copy-of` rule's regex (case-insensitive): `copy of 3886`, `copy of row 12`. "A copy
  /// of 1040" (a tax form), "a copy of 1984" (a novel) and "a copy of 3 documents" are prose:
  /// the rule is not tried after an article or a determiner (its `notAfter`), a bare number must
  /// end the note (`Copy of 3886.`, `(copy of 3886)`, `copy of 3886 - new city`; not `copy of
  /// 2023 tax return`, `copy of 10-K`, `copy of 1040–ES`, `copy of 401(k)`, `copy of 2001: A
  /// Space Odyssey`), and a row word's target is read as `duplicate-of`'s.
  static let copyOf =
    #"\bcopy of[ \t]+(?:"# + rowTarget + notACount + #"|"# + notAYear + #"[0-9]+"# + endsNoteAhead + #"|"#
    + bracketedHash + #")"#

  /// A lookahead: the number is no year (`a carbon copy of 2008`, `a faithful copy of 1954`).
  static let notAYear = #"(?!(?:18|19|20)[0-9]{2}\b)"#

  /// A lookahead: the note ends here (after a bare number): blanks, then the end, a line
  /// break, `;`, `!`, `?`, `)`, `]`, a quote, `*`, `<`, a dash, or `.` or `,` before no digit or
  /// letter (`1.e4` is chess); or blanks, `-` and a blank.
  static let endsNoteAhead =
    #"(?=[ \t]*(?:\z|[\r\n;!?)\]"*<”’]|[.,](?![0-9A-Za-z])|—)|[ \t]+[-–][ \t])"#

  /// `#` and a number with no row word before it, only before a closing bracket
  /// (`(duplicate of #3886)`): bare, it is an issue tracker's reference (`a duplicate of
  /// #4521 on GitHub`).
  static let bracketedHash = #"#[0-9]+(?=[ \t]*[)\]])"#

  /// A lookahead: the row is not placed in a table or a list (`row 3 in the table`, `item 4
  /// of the list`).
  static let notPlaced = #"(?![ \t]+(?:in|of|from|on)[ \t]+\w)"#

  /// A row word and its number, not placed in a table or a list (`row 3 in the table`).
  static let rowTarget = #"(?:row|item|sample|example|id)[ \t]*#?[0-9]+\b"# + notPlaced

  /// A lookahead: no plural noun (not `is`, `was`, …) one or two words on, which would make the
  /// number a count ("a duplicate of 3 earlier claims").
  static let notACount =
    #"(?![ \t]+(?:[a-z]+[ \t]+)?(?!(?:is|was|has|as|does|plus|thus|this|its|yes|us)\b)[a-z]+s\b)"#

  /// The `diversify` rule's regex (case-insensitive): `diversify by|with|across|using …` and
  /// `diversify the …` or a bare noun of ``bareVaried`` (see ``diversifyLength(_:)``), or a note after a colon, `Diversify: use
  /// a different city`: one of ``noteVerbs``, an optional determiner (``noteDeterminers``), an
  /// optional word of change (``noteModifiers``), and one of ``noteVaried`` ("Diversify: a guide
  /// to portfolios" is a title, "Diversify: use index funds" and "Diversify: pick another
  /// sector" are finance).
  static let diversify =
    #"\bdiversify(?: (?:(?:by|with|across|using)(?:[ \t]+(?!(?!(?:changing|varying|using|swapping|altering|rotating|mixing|switching|alternating|modifying|tweaking|replacing|rephrasing|rewording|randomizing|randomising|picking|choosing)(?![\w'-]))[\w'-]*ing(?![\w'-]))[\w'-]+){0,5}?[ \t]+(?:numbers?|names?|wording|phrasing|openings?|examples?|rows?|samples?|topics?|personas?|styles?|values?|scenarios?|templates?|prompts?|questions?|answers?|variants?)|the (?:opening|openings|phrasing|wording|style|answers?|examples?|rows?|samples?|names|numbers|personas?|scenarios|prompts|templates)|(?:names|personas|openings|wording|phrasing|scenarios|prompts|templates))"#
    + #"| ?:[ \t]*(?:"# + group(noteVerbs) + #")[ \t]+(?:(?:"# + group(noteDeterminers) + #")[ \t]+)?(?:(?:"#
    + group(noteModifiers) + #")[ \t]+)?(?:"# + group(noteVaried) + #"))\b"#

  /// `words` as the alternatives of a regex group.
  private static func group(_ words: [StaticString]) -> String {
    words.map { $0.description }.joined(separator: "|")
  }

  /// A rule with a hand matcher.
  enum Kind: Sendable {
    case duplicateOf, copyOf, diversify

    /// The hand matcher implementing `pattern`, if any.
    init?(_ pattern: Pattern) {
      guard pattern.caseInsensitive else { return nil }
      switch pattern.source {
      case NoteMatcher.duplicateOf: self = .duplicateOf
      case NoteMatcher.copyOf: self = .copyOf
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
      case .copyOf: NoteMatcher.copyOfLength(w)
      case .diversify: NoteMatcher.diversifyLength(w)
      }
    }
  }

  /// Calls `body` with each longest run of bytes of `text` that `member` takes (letters,
  /// digits), left to right, until `body` answers `true`; returns whether it did.
  @inline(__always) static func firstRun(
    in text: UnsafeBufferPointer<UInt8>, of member: (UInt8) -> Bool, where body: (Range<Int>) -> Bool
  ) -> Bool {
    var i = 0
    while i < text.count {
      guard member(text[i]) else {
        i += 1
        continue
      }
      var j = i
      while j < text.count && member(text[j]) { j += 1 }
      if body(i..<j) { return true }
      i = j
    }
    return false
  }

  /// The ASCII letters of `text` at `range` in lower case.
  static func lowercased(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    String(decoding: text[range].map { $0 | 0x20 }, as: UTF8.self)
  }

  @inline(__always) static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
  @inline(__always) static func isLetter(_ b: UInt8) -> Bool { b | 0x20 >= 0x61 && b | 0x20 <= 0x7A }
  @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
  /// An ASCII letter or digit.
  @inline(__always) static func isLetterOrDigit(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) }
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

  /// Whether `w` at `i` starts with one of `words` (lower-case ASCII bytes), ignoring case, as
  /// a whole word: no word byte follows it (the regex `(?i:w1|w2|…)\b` at `i`).
  static func startsWithWord(_ w: UnsafeBufferPointer<UInt8>, at i: Int, oneOf words: [[UInt8]]) -> Bool {
    guard i < w.count, isLetter(w[i]) else { return false }
    for word in words {
      let end = i + word.count
      guard end <= w.count else { continue }
      var k = 0
      while k < word.count && LiteralSet.fold(w[i + k]) == word[k] { k += 1 }
      if k == word.count && (end == w.count || !isWord(w[end])) { return true }
    }
    return false
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
    guard starts(w, at: 0, with: "duplicate") else { return nil }
    // Blanks, or blanks around one line break (`\r\n` or `\n`), then `of`.
    var i = run(w, from: 9, isBlank)
    if i == 9 && i < w.count && w[i] == UInt8(ascii: "-") {
      i += 1
    } else if i < w.count && w[i] == 0x0A {
      i = run(w, from: i + 1, isBlank)
    } else if i + 1 < w.count && w[i] == 0x0D && w[i + 1] == 0x0A {
      i = run(w, from: i + 2, isBlank)
    } else if i == 9 {
      return nil
    }
    guard starts(w, at: i, with: "of") else { return nil }
    let of = i + 2 < w.count && w[i + 2] == UInt8(ascii: ":") ? i + 3 : i + 2
    let blanks = run(w, from: of, isBlank)
    guard blanks > of else { return nil }
    return targetLength(w, from: blanks, bareEndsNote: false)
  }

  /// The length of ``copyOf``'s match at the start of `w` (up to the number), or `nil`.
  static func copyOfLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    guard starts(w, at: 0, with: "copy of") else { return nil }
    let blanks = run(w, from: 7, isBlank)
    guard blanks > 7 else { return nil }
    return targetLength(w, from: blanks, bareEndsNote: true)
  }

  /// The target after `duplicate of` or `copy of` and its blanks, at `start`: the offset where
  /// the match ends (after the number), or `nil`. A row word's target is ``rowTarget`` and then
  /// ``notACount``; a bare number is followed by ``notACount`` too, or, where `bareEndsNote`
  /// (`copy-of`), by the end of the note.
  static func targetLength(_ w: UnsafeBufferPointer<UInt8>, from start: Int, bareEndsNote: Bool) -> Int? {
    var i = start
    // The optional noun: each starts with a letter, so at most one of them can be taken. A `#`
    // after one, or bare before a closing bracket (`duplicate-of` only): "a duplicate of
    // #4521" is an issue tracker's reference.
    var noun = false
    for word: StaticString in ["row", "item", "sample", "example", "id"] where starts(w, at: i, with: word) {
      i = run(w, from: i + word.utf8CodeUnitCount, isBlank)
      if i < w.count && w[i] == UInt8(ascii: "#") { i += 1 }
      noun = true
      break
    }
    if !noun && i < w.count && w[i] == UInt8(ascii: "#") {
      // `duplicate of #3886)`: a bare `#` and number only before a closing bracket.
      let digits = run(w, from: i + 1, isDigit)
      guard digits > i + 1 else { return nil }
      let close = run(w, from: digits, isBlank)
      return close < w.count && (w[close] == UInt8(ascii: ")") || w[close] == UInt8(ascii: "]"))
        ? digits : nil
    }
    let digits = run(w, from: i, isDigit)
    guard digits > i else { return nil }
    if !noun && bareEndsNote {
      let year =
        digits - i == 4 && w[i] == UInt8(ascii: "1")
        && (w[i + 1] == UInt8(ascii: "8") || w[i + 1] == UInt8(ascii: "9"))
        || digits - i == 4 && w[i] == UInt8(ascii: "2") && w[i + 1] == UInt8(ascii: "0")
      return !year && endsNote(w, digits) ? digits : nil
    }
    // `[0-9]+\b`: the whole digit run, then no word character.
    guard digits == w.count || !isWord(w[digits]) else { return nil }
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

  /// Whether the note ends at `i` (after a bare number of `copy-of`), as ``endsNoteAhead``
  /// reads it on ASCII: blanks, then the end, a line break, `;`, `!`, `?`, `)`, `]`, `"`, `*`,
  /// `<`, or `.` or `,` before no digit or letter; or blanks, `-` and a blank.
  static func endsNote(_ w: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
    let j = run(w, from: i, isBlank)
    guard j < w.count else { return true }
    switch w[j] {
    case 0x0A, 0x0D, UInt8(ascii: ";"), UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: ")"),
      UInt8(ascii: "]"), UInt8(ascii: "\""), UInt8(ascii: "*"), UInt8(ascii: "<"):
      return true
    case UInt8(ascii: "."), UInt8(ascii: ","):
      return j + 1 == w.count || !isDigit(w[j + 1]) && !isLetter(w[j + 1])
    case UInt8(ascii: "-"): return j > i && j + 1 < w.count && isBlank(w[j + 1])
    default: return false
    }
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
    "rows", "sample", "samples", "names", "numbers", "persona", "personas", "scenarios", "prompts",
    "templates",
  ]
  /// What `diversify` takes with no article (`diversify names`, `TODO: diversify openings`):
  /// a generator's own material only ("diversify holdings" and "diversify income" are finance).
  static let bareVaried: [StaticString] = [
    "names", "personas", "openings", "wording", "phrasing", "scenarios", "prompts", "templates",
  ]

  /// The verbs of a note after `Diversify:` (`use a different city`, `change the names`).
  static let noteVerbs: [StaticString] = [
    "use", "change", "pick", "choose", "swap", "vary", "switch", "try", "alter", "rotate", "replace", "mix",
    "rename", "tweak", "modify", "select", "randomize", "randomise",
  ]
  /// The determiners a note after `Diversify:` may put before what it varies.
  static let noteDeterminers: [StaticString] = ["a", "an", "another", "the", "some", "each"]
  /// The words of change a note after `Diversify:` may put before what it varies.
  static let noteModifiers: [StaticString] = ["different", "new", "fresh", "other", "varied"]
  /// What a note after `Diversify:` varies: ``varied`` and a few things a generator swaps.
  static let noteVaried: [StaticString] = varied + ["city", "cities", "setting", "tone"]

  /// The length of ``diversify``'s match at the start of `w` (up to the end of its noun), or
  /// `nil`. The alternatives start differently (` by`, ` with`, ` across`, ` using`, ` the`,
  /// `:` or ` :`), so at most one can match.
  static func diversifyLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    guard starts(w, at: 0, with: "diversify") else { return nil }
    if w.count > 9 && w[9] == UInt8(ascii: ":") { return noteAfterColonLength(w, from: 10) }
    guard w.count > 10 && w[9] == 0x20 else { return nil }
    if w[10] == UInt8(ascii: ":") { return noteAfterColonLength(w, from: 11) }
    let i = 10
    // `the <noun>\b`: the word-character run after `the ` is the noun.
    if starts(w, at: i, with: "the ") {
      let end = run(w, from: i + 4, isWord)
      if equals(w, i + 4, end, oneOf: theVaried) { return end }
    }
    let bare = run(w, from: i, isWord)
    if equals(w, i, bare, oneOf: bareVaried) { return bare }
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

  /// The length of ``diversify``'s match when its colon ends at `colon`: blanks, one of
  /// ``noteVerbs`` and blanks, optionally one of ``noteDeterminers`` and blanks, optionally one
  /// of ``noteModifiers`` and blanks, then one of ``noteVaried`` as a whole word. The lists
  /// share no word, so the first reading that works is the only one.
  static func noteAfterColonLength(_ w: UnsafeBufferPointer<UInt8>, from colon: Int) -> Int? {
    /// The end of the blanks after the word at `at` when it is one of `words` and blanks follow.
    func word(at: Int, oneOf words: [StaticString]) -> Int? {
      let end = run(w, from: at, isLetter)
      guard end < w.count, isBlank(w[end]), equals(w, at, end, oneOf: words) else { return nil }
      return run(w, from: end, isBlank)
    }
    guard var i = word(at: run(w, from: colon, isBlank), oneOf: noteVerbs) else { return nil }
    if let next = word(at: i, oneOf: noteDeterminers) { i = next }
    if let next = word(at: i, oneOf: noteModifiers) { i = next }
    let end = run(w, from: i, isWord)
    return equals(w, i, end, oneOf: noteVaried) ? end : nil
  }
}
