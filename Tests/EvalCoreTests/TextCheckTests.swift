import Testing

@testable import EvalCore

@Suite struct RepetitionCheckTests {
  let check = RepetitionCheck()

  @Test func periodicTailIsALoop() throws {
    let text =
      "The powers cycle. "
      + String(repeating: "So 2^100 mod 7 is 2 because the cycle has length 3. ", count: 12)
    let finding = try #require(check.detect(in: text))
    #expect(finding.repeats >= 11)
    #expect(finding.atEnd)
    #expect(finding.fragment.contains("cycle has length 3"))
  }

  @Test func loopInTheMiddleIsFound() throws {
    let text =
      "Let me start. " + String(repeating: "wait wait I need to check again ", count: 8)
      + "Okay, the claim is anticipated by Smith because every element is shown."
    let finding = try #require(check.detect(in: text))
    #expect(!finding.atEnd)
    #expect(finding.periodWords == 7)
  }

  @Test func singleWordStutterLoop() throws {
    let text = "The answer is " + String(repeating: "very ", count: 40)
    #expect(check.detect(in: text)?.periodWords == 1)
  }

  @Test func healthyTraceReusingASentenceIsNotALoop() {
    let s = "Anticipation requires every element in one reference."
    let text =
      "\(s) Smith shows the housing and the latch. \(s) Smith does not show the spring. \(s) So there is no anticipation, though obviousness remains open. \(s)"
    #expect(check.detect(in: text) == nil)
  }

  @Test func threeBackToBackRepeatsAreBelowTheDefault() {
    let s = "I will verify the arithmetic carefully before I answer the question here. "
    #expect(check.detect(in: "Start. " + String(repeating: s, count: 3) + "Done.") == nil)
    #expect(check.detect(in: "Start. " + String(repeating: s, count: 4) + "Done.") != nil)
  }

  /// The probing search must find exactly what a scan of every period and position finds.
  @Test func probingSearchAgreesWithTheExhaustiveScan() {
    var rng = SystemRandomNumberGenerator()
    let vocabulary = ["a", "b", "c", "so", "the"]
    for trial in 0..<400 {
      var words: [String] = []
      while words.count < Int.random(in: 20...160, using: &rng) {
        if Bool.random(using: &rng) {
          words.append(vocabulary.randomElement(using: &rng)!)
        } else {
          let fragment = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
            vocabulary.randomElement(using: &rng)!
          }
          for _ in 0..<Int.random(in: 1...8, using: &rng) { words += fragment }
        }
      }
      let text = words.joined(separator: " ")
      let check = RepetitionCheck(
        maxPeriodWords: [8, 64][trial % 2], minRepeats: [2, 4][trial % 3 == 0 ? 0 : 1],
        minSpanWords: [6, 24][trial % 2])
      let found = check.detect(in: text)
      let expected = exhaustive(check, words)
      #expect(found?.periodWords == expected?.period, "\(text)")
      #expect(found?.repeats == expected?.repeats, "\(text)")
      #expect(found?.atEnd == expected?.atEnd, "\(text)")
    }
  }

  /// Word splitting and hashing, eight bytes at a time, agree with a plain split at every
  /// length and alignment; equal words (ignoring ASCII case) hash equal, different ones differ.
  @Test func wordHashesMatchAPlainSplit() {
    let words = (1...20).flatMap { n in
      [
        "abcdefghijklmnopqrstu".prefix(n), "ABCDEFGHIJKLMNOPQRSTU".prefix(n),
        "abcdefghijklmnopqrstv".prefix(n),
      ]
    }.map(String.init)
    for lead in ["", " ", "\n\t ", "  \r\n"] {
      let text = lead + words.joined(separator: [" ", "\n", "\t", "  "][words.count % 4]) + lead
      var found: [(UInt64, String)] = []
      let utf8 = Array(text.utf8)
      _ = utf8.withUnsafeBufferPointer { bytes in
        RepetitionCheck.words(in: bytes) { hash, range in
          found.append((hash, String(decoding: utf8[range], as: UTF8.self)))
        }
      }
      #expect(found.map(\.1) == words)
      var byWord: [String: UInt64] = [:]
      for (hash, word) in found {
        if let seen = byWord[word.lowercased()] { #expect(seen == hash, "\(word)") }
        byWord[word.lowercased()] = hash
      }
      #expect(Set(byWord.values).count == byWord.count)
    }
  }

  /// The word split and hashes, by every path (two-load short words, eight-byte chunks, the
  /// byte-by-byte tail), equal the definition spelled out byte by byte, on random text at
  /// every length up to 80 bytes.
  @Test func wordSplitMatchesItsDefinitionOnRandomText() {
    let pieces: [[UInt8]] = [
      Array("a".utf8), Array("Q".utf8), Array("z9".utf8), Array("-".utf8), Array(" ".utf8), Array("  ".utf8),
      [0x0A], [0x09], [0x0D], [0x0B], Array("é".utf8), Array("我".utf8), Array("xyzXYZuvw".utf8),
      Array("ABCDEFGHIJKLMNOPQRS".utf8),
    ]
    // Every other text is plain ASCII (read 64 bytes at a time); lengths reach 400 bytes, so
    // texts hold several blocks, words that cross them and words of 64 bytes or more.
    let ascii = pieces.filter { $0.allSatisfy { $0 < 0x80 } }
    var rng = SplitMix(seed: 7)
    for trial in 0..<6000 {
      var text: [UInt8] = []
      let target = trial < 3000 ? trial % 81 : trial % 401
      let choice = trial % 2 == 0 ? pieces : ascii
      while text.count < target { text += choice[Int(rng.next() % UInt64(choice.count))] }
      var found: [(UInt64, Range<Int>)] = []
      let otherSpace = text.withUnsafeBufferPointer { bytes in
        RepetitionCheck.words(in: bytes) { found.append(($0, $1)) }
      }
      let expected = Self.definedWords(text)
      #expect(found.map(\.1) == expected.words.map(\.1), "\(text)")
      #expect(found.map(\.0) == expected.words.map(\.0), "\(text)")
      #expect(otherSpace == expected.otherSpace, "\(text)")
    }
  }

  /// ``RepetitionCheck/words(in:_:)`` byte by byte: a word's full eight-byte chunks (ASCII
  /// case folded, big-endian) are mixed in turn, its last `count % 8` bytes are packed
  /// big-endian, and the length is added times an odd constant; a CJK character (lead byte
  /// E3–E9, up to three bytes) is a word of its own.
  static func definedWords(_ text: [UInt8]) -> (words: [(UInt64, Range<Int>)], otherSpace: Bool) {
    let k: UInt64 = 0x9E37_79B9_7F4A_7C15
    func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
    var words: [(UInt64, Range<Int>)] = []
    var i = 0
    while i < text.count {
      let b = text[i]
      if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D {
        i += 1
        continue
      }
      if b >= 0xE3 && b <= 0xE9 {
        let end = min(text.count, i + 3)
        words.append((text[i..<end].reduce(0) { $0 << 8 | UInt64($1) } &+ UInt64(end - i) &* k, i..<end))
        i = end
        continue
      }
      var j = i
      while j < text.count && ![0x20, 0x0A, 0x09, 0x0D].contains(text[j])
        && !(text[j] >= 0xE3 && text[j] <= 0xE9)
      {
        j += 1
      }
      let word = text[i..<j].map(fold)
      var hash: UInt64 = 0
      var c = 0
      while c + 8 <= word.count {
        let chunk = word[c..<(c + 8)].reduce(0) { $0 << 8 | UInt64($1) }
        hash = (hash ^ chunk) &* k &+ 0x632B_E59B_D9B4_E019
        c += 8
      }
      let packed = word[c...].reduce(0) { $0 << 8 | UInt64($1) }
      words.append(((hash ^ packed) &+ UInt64(word.count) &* k, i..<j))
      i = j
    }
    return (words, text.contains(0x0B) || text.contains(0x0C))
  }

  /// A vertical tab or form feed is reported wherever it falls: inside an eight-byte chunk,
  /// after a word's end in that chunk, in the short tail, or alone between separators.
  @Test func wordSplitReportsVerticalTabsAndFormFeedsAnywhere() {
    let base = "alpha bravo charlie delta echo foxtrot golf hotel"
    var clean = WordStatistics()
    Array(base.utf8).withUnsafeBufferPointer { clean.read($0) }
    #expect(!clean.containsOtherSpace)
    let utf8 = Array(base.utf8)
    for control: UInt8 in [0x0B, 0x0C] {
      for position in 0...utf8.count {
        var text = utf8
        text.insert(control, at: position)
        var words = WordStatistics()
        text.withUnsafeBufferPointer { words.read($0) }
        #expect(words.containsOtherSpace, "\(control) at \(position)")
      }
      var alone = WordStatistics()
      [0x20, control, 0x20].withUnsafeBufferPointer { alone.read($0) }
      #expect(alone.containsOtherSpace)
    }
  }

  /// The original scan: every period, every position.
  func exhaustive(_ c: RepetitionCheck, _ words: [String]) -> (period: Int, repeats: Int, atEnd: Bool)? {
    let n = words.count
    guard n >= c.minSpanWords else { return nil }
    let maxP = min(c.maxPeriodWords, n / max(2, c.minRepeats))
    guard maxP >= 1 else { return nil }
    var best: (p: Int, start: Int, span: Int)? = nil
    for p in 1...maxP {
      var run = 0
      for i in 0..<(n - p) + 1 {
        if i < n - p && words[i] == words[i + p] {
          run += 1
          continue
        }
        if run > 0, run / p + 1 >= c.minRepeats, run + p >= c.minSpanWords, run + p > (best?.span ?? 0) {
          best = (p, i - run, run + p)
        }
        run = 0
      }
    }
    return best.map { ($0.p, $0.span / $0.p, $0.start + $0.span >= n) }
  }

  /// Chinese and Japanese are written without spaces: each character is a word.
  @Test func loopsInScriptsWithoutSpaces() throws {
    let chinese = "好的，" + String(repeating: "我需要再检查一下。", count: 30)
    let finding = try #require(RepetitionCheck().detect(in: chinese))
    #expect(finding.periodWords == 9 && finding.repeats >= 29)
    #expect(RepetitionCheck().detect(in: String(repeating: "もう一度確認します。", count: 10)) != nil)
    #expect(RepetitionCheck().detect(in: "这个问题需要先计算面积，然后再比较两个答案，最后得出结论并检查单位是否正确。") == nil)
    // Mixed with Latin words, each side keeps its own words.
    var words: [String] = []
    let text = Array("ab我c 字d".utf8)
    text.withUnsafeBufferPointer { bytes in
      _ = RepetitionCheck.words(in: bytes) { _, range in
        words.append(String(decoding: bytes[range], as: UTF8.self))
      }
    }
    #expect(words == ["ab", "我", "c", "字", "d"])
  }

  @Test func shortTextIsNeverALoop() {
    #expect(check.detect(in: "no no no no") == nil)
  }
}

/// Texts of several megabytes (a row a pipeline concatenated) are read with buffers of their
/// words' size, with the results of the row-sized path.
@Suite struct LargeTextTests {
  @Test func largeTextsReadAsSmallOnes() {
    let unit = "the claim recites anticipationneedseveryelement and a latch\n"
    let large = String(repeating: unit, count: (WordStatistics.largeText / unit.utf8.count) + 10)
    #expect(large.utf8.count > WordStatistics.largeText)
    var big = WordStatistics()
    var small = WordStatistics()
    var sequence = WordSequenceHash()
    var reference = WordSequenceHash()
    var words: [UInt64] = []
    var longWords: [Range<Int>] = []
    var text = large
    text.withUTF8 { bytes in
      big.read(bytes, skipping: (0, -1), sequence: &sequence)
      reference.add(wordsOf: bytes)
      RepetitionCheck.words(in: bytes) { hash, range in
        guard range.lowerBound != 0 else { return }
        words.append(hash)
        if range.count >= WordStatistics.longWordBytes { longWords.append(range) }
      }
      // A row-sized text afterwards still reads right (the buffers go back to its size).
      small.read(UnsafeBufferPointer(rebasing: bytes[..<unit.utf8.count]))
    }
    #expect(big.count == words.count && big.withHashes { Array($0) } == words)
    #expect(Array(big.longWords) == longWords)
    #expect(sequence == reference)
    #expect(small.count == 7 && small.longWords.count == 1)
    big.read(Array(unit.utf8).withUnsafeBufferPointer { $0 })
    #expect(big.count == 7 && big.longWords.count == 1)
    // The loop search names the fragment of a long text without each word's range kept.
    let loop = RepetitionCheck().detect(
      in: "Intro text here. " + String(repeating: "and then again ", count: 400_000))
    #expect(loop?.fragment == "and then again" && loop?.periodWords == 3 && loop?.atEnd == true)
  }
}

@Suite struct MojibakeCheckTests {
  let check = MojibakeCheck()

  @Test func utf8DecodedAsWindows1252() throws {
    let finding = try #require(check.detect(in: "The applicantâ€™s argument isnâ€™t persuasive."))
    #expect(finding.sequences == 2)
    #expect(finding.example == "â€™ → ’")
  }

  @Test func utf8DecodedAsLatin1() throws {
    #expect(try #require(check.detect(in: "cafÃ© au lait")).example == "Ã© → é")
    #expect(check.detect(in: "emoji ðŸ˜€ here") != nil)
  }

  @Test func replacementCharacters() throws {
    let finding = try #require(check.detect(in: "bad \u{FFFD} byte"))
    #expect(finding.replacementCharacters == 1)
    #expect(MojibakeCheck(countReplacementCharacters: false).detect(in: "bad \u{FFFD} byte") == nil)
  }

  @Test func realAccentedTextIsNotMojibake() {
    #expect(check.detect(in: "Ça va? Crème brûlée, naïve façade, São Paulo, Ægir, ÀÉÎ.") == nil)
    #expect(check.detect(in: "Müller v. Straße — “quoted” ’tis") == nil)
    #expect(check.detect(in: "plain ASCII text") == nil)
  }
}

@Suite struct ScriptDriftCheckTests {
  @Test func scriptClassesAgreeWithTheUnicodeProperties() {
    // Every scalar: `common` only for non-letters (the symbol blocks decided without a
    // lookup among them), `otherLetter` only for letters; and the short white-space list is
    // the property's.
    var wrong: [String] = []
    for v in UInt32(0x80)...0x10FFFF {
      guard let scalar = Unicode.Scalar(v) else { continue }
      let properties = scalar.properties
      let c = ScriptClass.of(scalar)
      if c == .common && properties.isAlphabetic {
        wrong.append("U+\(String(v, radix: 16)) common but alphabetic")
      }
      if c == .otherLetter && !properties.isAlphabetic {
        wrong.append("U+\(String(v, radix: 16)) otherLetter")
      }
      if ScriptClass.isNonASCIIWhitespace(v) != properties.isWhitespace {
        wrong.append("U+\(String(v, radix: 16)) white space")
      }
    }
    #expect(wrong.isEmpty, "\(wrong.prefix(20))")
    #expect(ScriptClass.of("｜") == .common && ScriptClass.of("▁") == .common)
  }

  @Test func hangulInsideEnglish() throws {
    let finding = try #require(ScriptDriftCheck().detect(in: "So the answer is 48. 그러므로 답은 48입니다. Done."))
    #expect(finding.script == .hangul)
    #expect(finding.runLetters >= 4)
  }

  @Test func cyrillicAndHanRuns() {
    #expect(ScriptDriftCheck().detect(in: "We compute это значение here")?.script == .cyrillic)
    #expect(ScriptDriftCheck().detect(in: "Therefore 所以答案是 four")?.script == .han)
  }

  @Test func mathSymbolsAndNamesAreNotDrift() {
    #expect(ScriptDriftCheck().detect(in: "Let θ be the angle and Δx the step; α + β = π.") == nil)
    #expect(ScriptDriftCheck().detect(in: "Résumé of the Müller decision, naïve approach.") == nil)
    #expect(ScriptDriftCheck().detect(in: "Let α+β+γ+δ = π and solve for ε, ζ, η.") == nil)
    // Greek words are text, not symbols.
    #expect(ScriptDriftCheck().detect(in: "So η απάντηση είναι 48.")?.script == .greek)
  }

  @Test func dominantModeAcceptsTheTextsOwnScript() {
    let korean = "이 문제는 두 권의 책을 하나로 묶어서 생각합니다"
    #expect(ScriptDriftCheck(expected: .dominant).detect(in: korean) == nil)
    #expect(ScriptDriftCheck().detect(in: korean) != nil)
    let japanese = "この問題は二冊の本を一つとして数えます"
    #expect(ScriptDriftCheck(expected: .dominant).detect(in: japanese) == nil)
    #expect(ScriptDriftCheck(expected: .dominant).detect(in: "이 문제는 두 권의 책을 это значение очень") != nil)
  }

  /// A word an English answer quotes (a language lesson, a citation) is not drift, in any of
  /// the quotes the check knows, alone or in a list.
  @Test(arguments: [
    "The Russian word 'спасибо' means thank you.",
    "In Japanese, 'ありがとう' is the polite thank you.",
    "The Greek 'λόγος' gives us the word logic.",
    "Say \"пожалуйста\" for please.",
    "The Korean ‘감사합니다’ is formal.",
    "The Korean “감사합니다” is formal.",
    "French quotes: «спасибо» in Russian.",
    "German style: „спасибо“ or „спасибо”.",
    "Write 「ありがとう」 or 『ありがとう』 in Japanese.",
    "The variable `значение` holds it.",
    "The word *спасибо* is stressed on the second syllable.",
    "The words 'да', 'нет' and 'спасибо' are the first ones to learn.",
    "(\"שלום\") is Hebrew for peace; don't confuse it with 'سلام', it's Arabic.",
    "The phrase «Я не знаю, что это значит» means I do not know what it means.",
  ])
  func quotedForeignWordsAreNotDrift(text: String) {
    #expect(ScriptDriftCheck().detect(in: text) == nil)
    #expect(ScriptDriftCheck(expected: .context).detect(in: text, context: "What does it mean?") == nil)
  }

  /// Drift is drift however it is written around quotes: unquoted words, a quotation of a
  /// sentence or more, apostrophes that quote nothing, a quote that never closes or closes on
  /// another line, and a run that goes on around a quoted word. Each beside the quoted words
  /// that are not drift.
  @Test(arguments: [
    ("The Russian word спасибо means thank you.", "The Russian word 'спасибо' means thank you."),
    (
      "So the answer: 'Поэтому ответ равен сорока восьми, потому что мы сложили все числа.'",
      "So the answer: 'Поэтому ответ равен сорока.'"
    ),
    ("I don't think это значение it's right.", "I don't think 'это значение' is right."),
    ("The word 'спасибо means thank you.", "The word 'спасибо' means thank you."),
    ("The word 'спасибо\n' means thank you.", "The word 'спасибо'\nmeans thank you."),
    ("Это очень 'хорошо' сказано, and so on.", "'Это', 'очень' and 'хорошо' are words, and so on."),
    ("The word'спасибо' is glued to a letter.", "The word ('спасибо') is in brackets."),
    ("So ' спасибо' has a space after the quote.", "So 'спасибо' has none."),
    (
      "Therefore «所以答案是四十八因为我们把所有的数字都加起来了然后再除以二得到结果再乘以三最后减去一个数得到答案就是这样的了没错吧好的» is the answer.",
      "Therefore «所以答案是四十八» is the answer."
    ),
  ])
  func unquotedOrLongQuotedRunsAreStillDrift(drift: String, quoted: String) {
    #expect(ScriptDriftCheck().detect(in: drift) != nil, "\(drift)")
    #expect(ScriptDriftCheck().detect(in: quoted) == nil, "\(quoted)")
  }

  /// The limit on a neutral quotation is its unexpected letters: forty are quoted words, one
  /// more is drift.
  @Test func quotationsHoldAtMostMaxQuotedLettersOfAnotherScript() {
    let limit = ScriptDriftCheck.maxQuotedLetters
    func text(_ letters: Int) -> String {
      "Quoted: '" + String(repeating: "абвгд ", count: letters / 5).dropLast() + "' in English."
    }
    #expect(ScriptDriftCheck().detect(in: text(limit)) == nil)
    #expect(ScriptDriftCheck().detect(in: text(limit + 5))?.runLetters == limit + 5)
  }
}

@Suite struct RunTogetherCheckTests {
  /// The byte path (pure ASCII) and the scalar path must judge ASCII text alike: a trailing
  /// " é" forces the scalar path without changing any ASCII word.
  @Test func asciiAndScalarPathsAgree() {
    let texts = [
      "thecourtheldthattheclaimwasanticipatedbysmith and more",
      "So the sum is 2500. Let me verify: 1 + 3 + 5 = 9.",
      String(repeating: "andthewas", count: 30),
      "camelCaseIdentifiersLikeThisOneAreNotRunTogether ok https://example.com/a_very_long_path",
    ]
    for text in texts {
      let ascii = RunTogetherCheck().detect(in: text)
      let scalar = RunTogetherCheck().detect(in: text + " é")
      #expect(ascii?.words == scalar?.words && ascii?.example == scalar?.example, "\(text)")
    }
  }

  /// Long real words are not run-together prose: compounds and chemical names hold at most
  /// one of the short words prose is made of, glued prose holds several.
  @Test func longRealWordsAreNotRunTogether() {
    for word in [
      "Arbeitsunfähigkeitsbescheinigung", "Donaudampfschifffahrtsgesellschaftskapitän",
      "arbeidsongeschiktheidsverzekering", "methylenedioxymethamphetamine", "dichlorodiphenyltrichloroethane",
      "Pneumonoultramicroscopicsilicovolcanoconiosis",
      "lentokonesuihkuturbiinimoottoriapumekaanikkoaliupseerioppilas",
      "Rindfleischetikettierungsueberwachungsaufgabenuebertragungsgesetz",
      "Kraftfahrzeughaftpflichtversicherungsgesellschaften", "methemoglobinreductasedeficiency",
      "chromosomeconformationcapture", "glyceraldehydephosphatedehydrogenase",
    ] {
      let text = "Also, die \(word) muss vorgelegt werden."
      #expect(RunTogetherCheck().detect(in: text) == nil, "\(word)")
      var copy = text
      #expect(copy.withUTF8 { RunTogetherCheck().flags(in: $0) } == false, "\(word)")
    }
    #expect(RunTogetherCheck().detect(in: "So thecourtheldthattheclaimwasanticipated here.") != nil)
    // Glued prose made mostly of content words still holds a few short ones (`need`, `one`,
    // `here`).
    let glued = "Alright, anticipationneedseveryelementinonereferencesothereisnoanticipationhere."
    #expect(RunTogetherCheck().detect(in: glued)?.example.hasPrefix("anticipationneeds") == true)
    var copy = glued
    #expect(copy.withUTF8 { RunTogetherCheck().flags(in: $0) })
  }

  @Test func wordsWithoutSpaces() throws {
    let finding = try #require(
      RunTogetherCheck().detect(in: "thetwobooksmustbeadjacentsotreatthemasoneblock. Then count."))
    #expect(finding.words == 1)
    #expect(finding.example.hasPrefix("thetwobooks"))
  }

  @Test func proseWithAlmostNoSpaces() {
    let text = String(repeating: "thecourtheldthat theclaimwas anticipatedbysmith ", count: 6)
    #expect(RunTogetherCheck().detect(in: text) != nil)
  }

  @Test func longWordsCodeAndUrlsAreNotRunTogether() {
    let text =
      "Electroencephalography and internationalization are long words. See https://example.com/some/very/long/path_name and callSomeVeryLongFunctionNameInCamelCase() or snake_case_identifier_that_is_long."
    #expect(RunTogetherCheck().detect(in: text) == nil)
    #expect(RunTogetherCheck().detect(in: "这是一个没有空格的中文句子但是这是正常的写法因为中文不用空格分词所以不算") == nil)
  }
}

@Suite struct TokenCounterTests {
  @Test func approximateCounterScalesWithText() {
    let c = ApproximateTokenCounter()
    #expect(c.countTokens(in: "") == 0)
    #expect(c.countTokens(in: "The cat sat.") == 4)
    #expect(c.countTokens(in: "internationalization") == 4)
    #expect(c.countTokens(in: "reasoning") == 2)
    #expect(c.countTokens(in: "你好世界") == 4)
    let long = String(repeating: "Let me check the claim again. ", count: 100)
    #expect(c.countTokens(in: long) == 700)
  }
}

/// A seeded generator (SplitMix64), so a failing random text is the same on every run.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct ContextScriptTests {
  /// A context expects each script it writes a word in and the scripts of the languages it
  /// names, besides Latin; a lone letter of a formula or a name's look-alike adds nothing.
  @Test func contextScriptsAreItsWordsAndTheLanguagesItNames() {
    #expect(ScriptDriftCheck.contextScripts(of: "What is 2+2?") == [.latin, .common])
    #expect(
      ScriptDriftCheck.contextScripts(of: "Translate into Russian: the train") == [
        .latin, .common, .cyrillic,
      ])
    #expect(
      ScriptDriftCheck.contextScripts(of: "Reply in JAPANESE, please.") == [.latin, .common, .han, .kana])
    #expect(ScriptDriftCheck.contextScripts(of: "[ru] изучении Python") == [.latin, .common, .cyrillic])
    #expect(ScriptDriftCheck.contextScripts(of: "这个问题怎么解？") == [.latin, .common, .han, .kana])
    #expect(ScriptDriftCheck.contextScripts(of: "Find x if π x = 3.") == [.latin, .common])
    #expect(ScriptDriftCheck.contextScripts(of: "Russians and Thais meet.") == [.latin, .common])
    #expect(ScriptDriftCheck.contextScripts(of: "12 + 3 = ?") == nil)
  }
}
