/// Detects script drift: a run of letters in a script the text should not contain, such as
/// Hangul or Cyrillic inside an English reasoning trace.
///
/// Letters are classified by ``ScriptClass``. A run is a stretch of words (two letters or more)
/// from unexpected scripts; neutral characters (digits, punctuation, spaces) continue a run,
/// and a letter of an expected script ends it. Letters standing alone, as `θ`, `Δ` or the
/// `α+β+γ+δ` of a formula do in math, do not count.
///
/// Quoted words do not count either: a model that drifts does not quote itself, while an
/// answer that teaches or cites a word does (`The Russian word 'спасибо' means thank you.`).
/// Unexpected letters between a pair of quotes on one line — `'…'`, `"…"`, `‘…’`, `“…”`,
/// `«…»`, `„…“` (or `„…”`), `「…」`, `『…』`, `` `…` `` or `*…*` — are neutral, as long as the
/// pair holds at most ``maxQuotedLetters`` of them. A longer quotation (a sentence or more of
/// another script) still counts: reasoning that quotes whole sentences of another language
/// has left its own. The ASCII quotes, which double as apostrophes and markup, open only
/// after a character that is not a letter or digit and before one that is not a space, and
/// close (as `’` does) only after a character that is not a space and before one that is not
/// a letter or digit, so `don't … it's` quotes nothing. A quotation closes within
/// ``quoteLookahead`` characters, and a run around quoted words still counts its own letters
/// (`это очень 'хорошо' сказано` is drift).
public struct ScriptDriftCheck: Sendable, Hashable, Codable {
  /// Which scripts are expected.
  public enum Expected: Sendable, Hashable, Codable {
    /// Exactly these scripts (``ScriptClass/common`` is always allowed).
    case scripts(Set<ScriptClass>)
    /// The text's dominant script (by letter count), plus the scripts that go with it
    /// (Han and Kana together; Latin alongside anything, for code and names).
    case dominant
    /// The scripts of a context the caller gives, such as a corpus row's prompt
    /// (``contextScripts(of:)``): each script it writes a word in (Han and Kana together), the
    /// scripts of the languages it names (`Translate into Russian:`), and Latin. A Chinese
    /// question answered in Chinese passes, and so does an English request for a Russian
    /// translation; an English question whose reasoning turns to Chinese does not, however
    /// much of it does. Without a context that has letters, as ``dominant``.
    case context
  }

  /// Expected scripts. Default: Latin.
  public var expected: Expected
  /// Letters an unexpected run needs to count. Default 4.
  public var minRunLetters: Int

  /// The most unexpected letters a quotation may hold and still be neutral (a word, a name, a
  /// short phrase; not a sentence of reasoning in another script).
  public static let maxQuotedLetters = 40

  /// How many characters after its opening quote a quotation must close within.
  public static let quoteLookahead = 240

  /// Creates a check.
  public init(expected: Expected = .scripts([.latin]), minRunLetters: Int = 4) {
    self.expected = expected
    self.minRunLetters = minRunLetters
  }

  /// What was found.
  public struct Finding: Sendable, Hashable, Codable {
    /// The script of the longest unexpected run.
    public var script: ScriptClass
    /// Letters in the longest unexpected run.
    public var runLetters: Int
    /// Share of all letters that are in unexpected scripts.
    public var unexpectedShare: Double
    /// The longest run's text (at most 80 characters).
    public var example: String
  }

  /// Returns the longest unexpected run when it is long enough, else `nil`.
  public func detect(in text: String) -> Finding? { detect(in: text, context: nil) }

  /// ``detect(in:)`` with the context ``Expected/context`` reads (evaluated only then, and only
  /// when `text` has letters outside Latin and Common).
  public func detect(in text: String, context: @autoclosure () -> String?) -> Finding? {
    var text = text
    guard text.withUTF8({ mayFlag($0) }) else { return nil }
    let allowed: Set<ScriptClass>
    switch expected {
    case .scripts(let s): allowed = s.union([.common])
    case .dominant:
      guard let set = Self.dominantScripts(of: text) else { return nil }
      allowed = set
    case .context:
      if let context = context(), let set = Self.contextScripts(of: context) {
        allowed = set
      } else {
        guard let set = Self.dominantScripts(of: text) else { return nil }
        allowed = set
      }
    }
    var letters = 0
    var unexpected = 0
    var runLetters = 0
    var runScript = ScriptClass.common
    var runStart = text.unicodeScalars.startIndex
    var best: (ScriptClass, Int, Range<String.UnicodeScalarView.Index>)? = nil
    let scalars = text.unicodeScalars
    var idx = scalars.startIndex
    func endRun(at end: String.UnicodeScalarView.Index) {
      if runLetters > 0, runLetters > (best?.1 ?? 0) { best = (runScript, runLetters, runStart..<end) }
      runLetters = 0
    }
    var lastLetterEnd = idx
    // Letters count for a run only in words of two or more (`α+β+γ+δ = π` is math, `это` is
    // text); a single letter between neutral characters neither counts nor ends the run.
    var wordLetters = 0
    var wordStart = idx
    let allowedBits = allowed.reduce(UInt32(0)) { $0 | $1.bit }
    // The closing quote of the quotation `idx` is in, whose unexpected letters are neutral.
    var quoteEnd: String.UnicodeScalarView.Index? = nil
    var previous: Unicode.Scalar? = nil
    while idx != scalars.endIndex {
      let scalar = scalars[idx]
      let c = ScriptClass.of(scalar)
      let next = scalars.index(after: idx)
      let quoted = quoteEnd.map { idx < $0 } ?? false
      if c == .common {
        wordLetters = 0
        if !quoted,
          let end = Self.quotationEnd(in: scalars, at: idx, after: previous, allowedBits: allowedBits)
        {
          quoteEnd = end
        }
      } else {
        letters += 1
        if allowedBits & c.bit != 0 {
          endRun(at: lastLetterEnd)
          wordLetters = 0
        } else if quoted {
          unexpected += 1
          wordLetters = 0
        } else {
          unexpected += 1
          if wordLetters == 0 { wordStart = idx }
          wordLetters += 1
          if wordLetters >= 2 {
            if runLetters == 0 {
              runStart = wordStart
              runScript = c
            }
            runLetters += wordLetters == 2 ? 2 : 1
            lastLetterEnd = next
          }
        }
      }
      previous = scalar
      idx = next
    }
    endRun(at: lastLetterEnd)
    guard let b = best, b.1 >= minRunLetters else { return nil }
    let example = String(String.UnicodeScalarView(scalars[b.2])).prefix(80)
    return Finding(
      script: b.0, runLetters: b.1, unexpectedShare: letters == 0 ? 0 : Double(unexpected) / Double(letters),
      example: String(example))
  }

  /// Where the quotation that `scalars[open]` opens closes (the index of its closing quote),
  /// when it is one whose unexpected letters are neutral (see the type's description): it
  /// closes on the same line within ``quoteLookahead`` characters and holds at most
  /// ``maxQuotedLetters`` letters outside `allowedBits`. `nil` otherwise, or when
  /// `scalars[open]` opens no quotation; `previous` is the character before it.
  static func quotationEnd(
    in scalars: String.UnicodeScalarView, at open: String.UnicodeScalarView.Index,
    after previous: Unicode.Scalar?,
    allowedBits: UInt32
  ) -> String.UnicodeScalarView.Index? {
    // The closing quotes of each opening one, and whether the pair is an ASCII one (the same
    // character both ways, also an apostrophe or markup).
    let closing: [UInt32]
    let ascii: Bool
    switch scalars[open].value {
    case 0x27, 0x22, 0x60, 0x2A: (closing, ascii) = ([scalars[open].value], true)  // ' " ` *
    case 0x2018: (closing, ascii) = ([0x2019], false)  // ‘ ’
    case 0x201C: (closing, ascii) = ([0x201D], false)  // “ ”
    case 0xAB: (closing, ascii) = ([0xBB], false)  // « »
    case 0x201E: (closing, ascii) = ([0x201C, 0x201D], false)  // „ “ or „ ”
    case 0x300C: (closing, ascii) = ([0x300D], false)  // 「 」
    case 0x300E: (closing, ascii) = ([0x300F], false)  // 『 』
    default: return nil
    }
    let end = scalars.endIndex
    let first = scalars.index(after: open)
    guard first != end, !isSpace(scalars[first]) else { return nil }
    if ascii, let previous, isLetterOrDigit(previous) { return nil }
    var i = first
    var before = scalars[open]
    var unexpectedLetters = 0
    var steps = 0
    while i != end && steps < quoteLookahead {
      let s = scalars[i]
      if s == "\n" || s == "\r" { return nil }
      let next = scalars.index(after: i)
      if i != first && closing.contains(s.value) {
        // An apostrophe closes only where a quotation can end: after a character, before a
        // word's end (`don’t` and `it's` go on).
        let apostrophe = ascii || s.value == 0x2019
        if !apostrophe || (!isSpace(before) && (next == end || !isLetterOrDigit(scalars[next]))) {
          return i
        }
      }
      let c = ScriptClass.of(s)
      if c != .common && allowedBits & c.bit == 0 {
        unexpectedLetters += 1
        if unexpectedLetters > maxQuotedLetters { return nil }
      }
      before = s
      i = next
      steps += 1
    }
    return nil
  }

  /// Whether `s` is white space.
  private static func isSpace(_ s: Unicode.Scalar) -> Bool {
    s.value < 0x80 ? s == " " || (0x09...0x0D).contains(s.value) : ScriptClass.isNonASCIIWhitespace(s.value)
  }

  /// Whether `s` is a letter (of any script) or an ASCII digit.
  private static func isLetterOrDigit(_ s: Unicode.Scalar) -> Bool {
    ScriptClass.of(s) != .common || (0x30...0x39).contains(s.value)
  }

  /// The dominant script of `text` (by letter count) with the scripts that go with it (Han and
  /// Kana together; Latin alongside anything, for code and names) and Common; `nil` when it
  /// has no letters.
  static func dominantScripts(of text: String) -> Set<ScriptClass>? {
    var counts: [ScriptClass: Int] = [:]
    for scalar in text.unicodeScalars {
      let c = ScriptClass.of(scalar)
      if c != .common { counts[c, default: 0] += 1 }
    }
    guard let top = counts.max(by: { ($0.value, $0.key.rawValue) < ($1.value, $1.key.rawValue) })?.key else {
      return nil
    }
    var set: Set<ScriptClass> = [top, .common, .latin]
    if top == .han || top == .kana { set.formUnion([.han, .kana]) }
    return set
  }

  /// The scripts ``Expected/context`` expects of a context: each script with a word of
  /// ``minContextWordLetters`` letters or more in it (a quoted `да` or `什么` counts, a lone `π`
  /// does not), Han and Kana together, the scripts of the languages it names in English
  /// (``languageScripts``: `in Russian`, `to Japanese`), Latin and Common. `nil` when the
  /// context has no letters.
  public static func contextScripts(of text: String) -> Set<ScriptClass>? {
    var set: Set<ScriptClass> = [.common, .latin]
    var any = false
    var run = 0
    var runScript = ScriptClass.common
    var word: [UInt8] = []
    func endWord() {
      if word.count >= 3, let scripts = languageScripts[String(decoding: word, as: UTF8.self)] {
        set.formUnion(scripts)
      }
      word.removeAll(keepingCapacity: true)
    }
    for scalar in text.unicodeScalars {
      let c = ScriptClass.of(scalar)
      if c == .latin, scalar.isASCII {
        word.append(UInt8(scalar.value) | 0x20)
      } else {
        endWord()
      }
      if c == .common {
        run = 0
        continue
      }
      any = true
      run = c == runScript ? run + 1 : 1
      runScript = c
      if run >= minContextWordLetters { set.insert(c) }
    }
    endWord()
    guard any else { return nil }
    if set.contains(.han) || set.contains(.kana) { set.formUnion([.han, .kana]) }
    return set
  }

  /// The letters a context's word needs for its script to be expected
  /// (``contextScripts(of:)``).
  public static let minContextWordLetters = 2

  /// The scripts of languages a prompt names in English (lower case), for
  /// ``contextScripts(of:)``: a request to translate into one, or to answer in one.
  public static let languageScripts: [String: Set<ScriptClass>] = {
    var table: [String: Set<ScriptClass>] = [:]
    let names: [(ScriptClass, [String])] = [
      (
        .cyrillic,
        [
          "russian", "ukrainian", "belarusian", "bulgarian", "serbian", "macedonian", "kazakh", "kyrgyz",
          "mongolian", "tajik", "cyrillic",
        ]
      ),
      (.han, ["chinese", "mandarin", "cantonese", "hanzi", "kanji", "japanese"]),
      (.kana, ["japanese", "hiragana", "katakana", "kana"]),
      (.hangul, ["korean", "hangul"]),
      (.arabic, ["arabic", "persian", "farsi", "urdu", "pashto", "uyghur", "dari"]),
      (.hebrew, ["hebrew", "yiddish"]),
      (.greek, ["greek"]),
      (
        .indic,
        [
          "hindi", "marathi", "nepali", "sanskrit", "bengali", "bangla", "punjabi", "gujarati", "tamil",
          "telugu",
          "kannada", "malayalam", "sinhala", "odia", "devanagari",
        ]
      ),
      (.southeastAsian, ["thai", "lao", "khmer", "burmese", "myanmar"]),
      (.georgian, ["georgian"]),
      (.armenian, ["armenian"]),
    ]
    for (script, words) in names {
      for w in words { table[w, default: []].insert(script) }
    }
    return table
  }()

  /// Whether Latin is always expected, so plain ASCII (Latin letters and Common symbols) cannot
  /// drift.
  package var expectsLatin: Bool {
    if case .scripts(let set) = expected { return set.contains(.latin) }
    return true  // `.dominant` and `.context` allow Latin alongside anything
  }

  /// Whether ``detect(in:)`` can find drift in UTF-8 `bytes`: `false` when every scalar's
  /// script is expected (ASCII skipped eight bytes at a time when Latin is expected), which
  /// is the common case and needs no `String`.
  package func mayFlag(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard expectsLatin, let base = bytes.baseAddress else { return true }
    // With `.dominant` or `.context` only Latin is known to be expected: anything else is read.
    let s: Set<ScriptClass>
    if case .scripts(let set) = expected { s = set } else { s = [.latin] }
    let allowed = s.reduce(ScriptClass.common.bit) { $0 | $1.bit }  // no Set made per call
    let raw = UnsafeRawPointer(base)
    let n = bytes.count
    var i = 0
    while i < n {
      if i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & SWAR.highs == 0 {
        i += 8
        continue
      }
      let b = base[i]
      if b < 0x80 {
        i += 1
        continue
      }
      // Decode one scalar of valid UTF-8.
      let length = b >= 0xF0 ? 4 : (b >= 0xE0 ? 3 : 2)
      guard i + length <= n else { return true }
      var v = UInt32(b) & (length == 2 ? 0x1F : (length == 3 ? 0x0F : 0x07))
      for k in 1..<length { v = v << 6 | UInt32(base[i + k] & 0x3F) }
      guard let scalar = Unicode.Scalar(v) else { return true }
      if allowed & ScriptClass.of(scalar).bit == 0 { return true }
      i += length
    }
    return false
  }
}
