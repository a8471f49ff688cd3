import Foundation

/// The regex of a discovered opening's rule (``DiscoveryCandidate/rule()``), matched by hand on
/// plain ASCII bytes.
///
/// `clean` applies high-confidence candidates to every row, and in a leaky corpus most rows
/// open with one: through ICU each row cost a `String`, its UTF-16 view and a matcher. The rule's
/// regex is made from the shape by ``Discovery/regex(forShape:)`` (or, for a hash and a number,
/// ``Discovery/hashNumberPattern``) and one of two tails, so it is
/// a short sequence of a few kinds of element; this walks them with ICU's backtracking order
/// (greedy, longest first) and returns the same match. A test compares both on generated text.
package struct ShapeMatcher: Sendable, Hashable {
  enum Element: Sendable, Hashable {
    /// `[^\w\s]*[A-Z]{1,3}[0-9]+[a-z]?[^\w\s:]*`, the `X#` of a token (with the punctuation
    /// its shape leaves out).
    case code
    /// `(?:[a-fA-F-]*[0-9][0-9a-fA-F-]*|#)`, a `#` (digits, a hex identifier, or the text's
    /// own `#`).
    case digits
    /// `[xX]`: an ASCII letter (lower case here), either case.
    case letter(UInt8)
    /// `[A-Z]`: the letter of a label and a letter (`variant-X`).
    case capital
    /// `[0-9]+`: the number of a hash and a number (``Discovery/hashNumberPattern``).
    case number
    /// Any other ASCII byte, literally.
    case byte(UInt8)
    /// `\.?` and the like: the byte if the rest matches after it, else nothing.
    case optionalByte(UInt8)
    /// `[ \t]+`, between tokens.
    case blanks
  }

  enum Tail: Sendable, Hashable {
    /// ``Discovery/familyRuleTail``: up to five words (the first no sentence opener), then a
    /// separator; or else blanks before the start of a sentence.
    case family
    /// `(?:[^:\n]{0,60}:)?[ \t]*`: the rest of a label up to its colon, if any.
    case label
    /// `(?=…)`: the elements of the shape's words (``Discovery/tagAndWords(ofShape:)``), matched
    /// without taking them.
    case lookahead([Element])
    /// Nothing more (the end of a lookahead's elements).
    case end
  }

  let elements: [Element]
  let tail: Tail
  /// The codes a ``Element/code`` may be (``DiscoveryCandidate/codes``), or `nil` for any.
  let codes: CodeList?

  /// A family's codes, compared with a code of the text without making an array of it (this
  /// runs on most rows of a leaky corpus): those of up to seven bytes packed into a word each
  /// (``DesignatorMatcher/packed(_:)``),
  /// kept sorted and without repeats, so two lists of the same codes are equal.
  struct CodeList: Sendable, Hashable {
    private var packed: [UInt64] = []
    private var long: [[UInt8]] = []

    init(_ codes: [String]) {
      for code in codes {
        let bytes = Array(code.utf8)
        if bytes.count < 8 {
          packed.append(DesignatorMatcher.packed(bytes))
        } else {
          long.append(bytes)
        }
      }
      // As the `Set` this replaced: equal whatever the codes' order or repeats.
      packed = Array(Set(packed)).sorted()
      long = Array(Set(long)).sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Whether `w[range]` is one of the codes.
    func contains(_ w: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
      if range.count < 8 { return packed.contains(DesignatorMatcher.packed(w[range])) }
      return long.contains { $0.count == range.count && $0.elementsEqual(w[range]) }
    }
  }

  /// The matcher of the opening rule made from `shape` (a family's limited to `codes`), or
  /// `nil` when the shape has a character this does not handle (anything outside ASCII): ICU
  /// decides those.
  package init?(openingShape shape: String, codes: [String]? = nil) {
    guard shape.unicodeScalars.allSatisfy({ $0.isASCII || $0 == "…" }) else { return nil }
    guard codes?.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) ?? true else { return nil }
    self.codes = codes.map(CodeList.init)
    let family = Discovery.headFamily(ofShape: shape)
    let isFamily = family != nil
    // As `DiscoveryCandidate.rule()`: a tag (or code) and the words after it, the words only
    // looked at; the tag family rules (`km-# >> …`) have no matcher.
    if !isFamily && shape.hasSuffix(" …") { return nil }
    if !isFamily, let (tag, words) = Discovery.tagAndWords(ofShape: shape) {
      guard let lead = Self.elements(of: tag), let rest = Self.elements(of: words) else { return nil }
      elements = lead + [.blanks]
      tail = .lookahead(rest)
      return
    }
    if family == .hashNumber {
      elements = [.byte(UInt8(ascii: "#")), .number, .optionalByte(UInt8(ascii: "."))]
      tail = .family
      return
    }
    guard let elements = Self.elements(of: shape) else { return nil }
    self.elements = elements
    tail = isFamily ? .family : .label
  }

  /// The elements of `Discovery.regex(forShape:)`: the tokens of the shape without its ` …`,
  /// joined by blanks; `nil` for a byte outside ASCII.
  private static func elements(of shape: String) -> [Element]? {
    var elements: [Element] = []
    let tokens = shape.replacingOccurrences(of: " …", with: "").split(separator: " ")
    for (k, token) in tokens.enumerated() {
      if k > 0 { elements.append(.blanks) }
      var rest = Substring(token)
      if rest.hasPrefix("X#") {
        elements.append(.code)
        rest = rest.dropFirst(2)
      }
      let letterCode = Discovery.isLabelLetterShape(rest)
      var previous: UInt8 = 0
      for byte in rest.utf8 {
        defer { previous = byte }
        guard byte < 0x80 else { return nil }
        if byte == UInt8(ascii: "#") {
          elements.append(.digits)
        } else if letterCode && byte == UInt8(ascii: "X") && previous == UInt8(ascii: "-") {
          elements.append(.capital)
        } else if byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A {
          elements.append(.letter(byte | 0x20))
        } else {
          elements.append(.byte(byte))
        }
      }
    }
    return elements
  }

  /// The rule's match at the start of `text` (the first 160 Characters, as
  /// ``LeakRule``'s think-start match sees them): its length in bytes, `.some(nil)` for no
  /// match, or `nil` when the head is not plain ASCII (then ICU decides).
  package func matchLength(atStartOf text: UnsafeBufferPointer<UInt8>) -> Int?? {
    guard let n = RowBytes.asciiCharacterPrefix(text, 160) else { return nil }
    return .some(matchLength(UnsafeBufferPointer(rebasing: text[..<n])))
  }

  /// The match's length at the start of the plain ASCII `w`, or `nil`.
  func matchLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    // The code families' regexes (`X# …`, `X#-v# …`) start with the designator's lookahead for
    // domain terms (the other head families' do not: their head is no code).
    if tail == .family && elements.first == .code && DesignatorMatcher.startsWithDomainTerm(w) { return nil }
    var walk = Walk(w: w, elements: elements, tail: tail, codes: codes)
    return walk.element(0, 0)
  }

  /// Whether ``Discovery/familyRuleTail`` matches at the start of the plain ASCII `w` (what
  /// follows the head of a family: ``Discovery/hasHeadFamilyStructure(_:_:)``).
  static func familyTailMatches(_ w: UnsafeBufferPointer<UInt8>) -> Bool {
    let walk = Walk(w: w, elements: [], tail: .family, codes: nil)
    return walk.family(0, 0) != nil || walk.bare(0) != nil
  }

  /// One match attempt: each step tries the longest run first and then shorter ones, as ICU's
  /// greedy quantifiers do. A shorter run leaves a byte the next element cannot take, so the
  /// attempt stays linear in practice (a `#` has one way to split its run, as in its regex).
  private struct Walk {
    let w: UnsafeBufferPointer<UInt8>
    let elements: [Element]
    let tail: Tail
    let codes: CodeList?

    /// Whether the bytes `from..<to` may be a code (one of `codes`, when given).
    func allows(_ from: Int, _ to: Int) -> Bool {
      guard let codes else { return true }
      return codes.contains(w, from..<to)
    }

    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    static let isDigit = NoteMatcher.isDigit
    static let isBlank = NoteMatcher.isBlank
    /// `[0-9a-fA-F-]`.
    static func isHexOrHyphen(_ b: UInt8) -> Bool {
      isDigit(b) || b | 0x20 >= 0x61 && b | 0x20 <= 0x66 || b == 0x2D
    }
    /// `[^\w\s]` on ASCII (ICU's `\s` takes the White_Space characters: tab to carriage
    /// return and the space).
    static func isPunctuation(_ b: UInt8) -> Bool {
      !NoteMatcher.isWord(b) && b != 0x20 && !(0x09...0x0D).contains(b)
    }
    /// `[\w'-]` on ASCII.
    static func isWordish(_ b: UInt8) -> Bool { NoteMatcher.isWord(b) || b == 0x27 || b == 0x2D }

    /// The length of the run of bytes passing `test` from `i`, at most `limit`.
    func run(_ i: Int, limit: Int = .max, _ test: (UInt8) -> Bool) -> Int {
      min(limit, NoteMatcher.run(w, from: i, test) - i)
    }

    mutating func element(_ e: Int, _ p: Int) -> Int? {
      guard e < elements.count else {
        switch tail {
        case .family: return family(0, p) ?? bare(p)
        case .label: return label(p)
        case .lookahead(let rest):
          var ahead = Walk(w: w, elements: rest, tail: .end, codes: nil)
          return ahead.element(0, p) == nil ? nil : p
        case .end: return p
        }
      }
      switch elements[e] {
      case .code:
        // The punctuation before the code: no letter can be given back to it, so all of it.
        let from = p + run(p, Self.isPunctuation)
        let upper = run(from, limit: 3, Self.isUpper)
        guard upper >= 1 else { return nil }
        /// The punctuation after the code, longest first (a `|` may be the tail's separator).
        func after(_ q: Int) -> Int? {
          for t in stride(
            from: run(q) { Self.isPunctuation($0) && $0 != UInt8(ascii: ":") }, through: 0, by: -1)
          {
            if let end = element(e + 1, q + t) { return end }
          }
          return nil
        }
        for a in stride(from: upper, through: 1, by: -1) {
          let digits = run(from + a, Self.isDigit)
          for d in stride(from: digits, through: 1, by: -1) {
            let q = from + a + d
            if q < w.count && Self.isLower(w[q]) && allows(from, q + 1), let end = after(q + 1) { return end }
            if allows(from, q), let end = after(q) { return end }
          }
        }
        return nil
      case .digits:
        // ICU's backtracking over `[a-fA-F-]*[0-9][0-9a-fA-F-]*`: the first part stops at the
        // run's first digit, so it tries each length past that digit, longest first.
        let hexRun = run(p, Self.isHexOrHyphen)
        var firstDigit = 0
        while firstDigit < hexRun && !Self.isDigit(w[p + firstDigit]) { firstDigit += 1 }
        if firstDigit < hexRun {
          for d in stride(from: hexRun, through: firstDigit + 1, by: -1) {
            if let end = element(e + 1, p + d) { return end }
          }
        }
        // The alternative ICU tries next: a `#` of the text.
        guard p < w.count && w[p] == UInt8(ascii: "#") else { return nil }
        return element(e + 1, p + 1)
      case .letter(let lower):
        guard p < w.count && w[p] | 0x20 == lower else { return nil }
        return element(e + 1, p + 1)
      case .capital:
        guard p < w.count && Self.isUpper(w[p]) else { return nil }
        return element(e + 1, p + 1)
      case .number:
        for d in stride(from: run(p, Self.isDigit), through: 1, by: -1) {
          if let end = element(e + 1, p + d) { return end }
        }
        return nil
      case .byte(let byte):
        guard p < w.count && w[p] == byte else { return nil }
        return element(e + 1, p + 1)
      case .optionalByte(let byte):
        if p < w.count && w[p] == byte, let end = element(e + 1, p + 1) { return end }
        return element(e + 1, p)
      case .blanks:
        for b in stride(from: run(p, Self.isBlank), through: 1, by: -1) {
          if let end = element(e + 1, p + b) { return end }
        }
        return nil
      }
    }

    /// `(?:[ \t]+(?!opener)[\w'-]+(?:[ \t]+[\w'-]+){0,4})?[ \t]*(?::|\||–|—| - )[ \t]*` from
    /// `p`, after `k` words (the first of them no ``Discovery/sentenceOpeners`` word).
    func family(_ k: Int, _ p: Int) -> Int? {
      if k < 5 {
        for b in stride(from: run(p, Self.isBlank), through: 1, by: -1) {
          if k == 0 && Discovery.startsWithOpener(w, at: p + b) { continue }
          for word in stride(from: run(p + b, Self.isWordish), through: 1, by: -1) {
            if let end = family(k + 1, p + b + word) { return end }
          }
        }
      }
      // The dashes `–` and `—`, the no-break space and the fullwidth colon are not ASCII:
      // never in these bytes.
      for b in stride(from: run(p, Self.isBlank), through: 0, by: -1) {
        let q = p + b
        var after = -1
        if q < w.count && (w[q] == UInt8(ascii: ":") || w[q] == UInt8(ascii: "|")) {
          after = q + 1
        } else if q + 3 <= w.count && w[q] == 0x20 && w[q + 1] == UInt8(ascii: "-") && w[q + 2] == 0x20 {
          after = q + 3
        }
        if after >= 0 { return after + run(after, Self.isBlank) }
      }
      return nil
    }

    /// `[ \t]+(?=sentence start)` from `p` (``Discovery/startsSentence(_:at:)``): the blanks
    /// are taken whole, since the start of a sentence is no blank.
    func bare(_ p: Int) -> Int? {
      let b = run(p, Self.isBlank)
      return b > 0 && Discovery.startsSentence(w, at: p + b) ? p + b : nil
    }

    /// `(?:[^:\n]{0,60}:)?[ \t]*` from `p`.
    func label(_ p: Int) -> Int {
      let inLabel = run(p, limit: 60) { $0 != UInt8(ascii: ":") && $0 != 0x0A }
      // Only the whole run can be followed by the colon (shorter runs end before a byte of it).
      let q = p + inLabel
      let end = q < w.count && w[q] == UInt8(ascii: ":") ? q + 1 : p
      return end + run(end, Self.isBlank)
    }
  }
}
