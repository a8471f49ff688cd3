import Foundation

/// Special-token conventions of common chat templates, for the special-token detector.
public struct ChatTemplateTokens: Sendable, Hashable {
  /// Template name used in rulesets (`deepseek-r1`, `llama3`, `chatml`, `gemma`, `mistral`,
  /// `llama2`, or a name of your own).
  public var name: String
  /// Beginning-of-sequence token a templated `{text}` row must start with, if the template has one.
  public var bos: String?
  /// End-of-sequence token a templated `{text}` row must end with.
  public var eos: String?
  /// Other special tokens of the template, which must not appear inside plain content.
  public var specials: [String]
  /// Whether every exchange opens with the BOS again, right after the EOS of the one before
  /// (Llama 2: `<s>[INST] q [/INST] a </s><s>[INST] …`): a BOS inside the row is then
  /// misplaced only where it does not follow an EOS. Default `false` (one BOS, at the start).
  public var bosOpensEachTurn: Bool

  /// Creates a template description.
  public init(name: String, bos: String?, eos: String?, specials: [String], bosOpensEachTurn: Bool = false) {
    self.name = name
    self.bos = bos
    self.eos = eos
    self.specials = specials
    self.bosOpensEachTurn = bosOpensEachTurn
  }

  /// DeepSeek-R1 and its distills.
  public static let deepSeekR1 = ChatTemplateTokens(
    name: "deepseek-r1", bos: "<｜begin▁of▁sentence｜>", eos: "<｜end▁of▁sentence｜>",
    specials: [
      "<｜User｜>", "<｜Assistant｜>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
      "<｜tool▁call▁end｜>", "<｜tool▁sep｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
    ])
  /// Llama 3.
  public static let llama3 = ChatTemplateTokens(
    name: "llama3", bos: "<|begin_of_text|>", eos: "<|eot_id|>",
    specials: ["<|start_header_id|>", "<|end_header_id|>", "<|end_of_text|>", "<|eom_id|>", "<|python_tag|>"])
  /// ChatML (Qwen and others).
  public static let chatML = ChatTemplateTokens(
    name: "chatml", bos: nil, eos: "<|im_end|>", specials: ["<|im_start|>", "<|endoftext|>"])
  /// Gemma.
  public static let gemma = ChatTemplateTokens(
    name: "gemma", bos: "<bos>", eos: "<end_of_turn>", specials: ["<start_of_turn>", "<eos>"])

  /// Mistral instruct models with the v3 tokenizer (`[INST]` and `[/INST]` are control tokens):
  /// `<s>[INST] q [/INST] a</s>[INST] q [/INST] a</s>`, one BOS at the start.
  public static let mistral = ChatTemplateTokens(
    name: "mistral", bos: "<s>", eos: "</s>", specials: ["[INST]", "[/INST]"])
  /// Llama 2 chat: `<s>[INST] <<SYS>>…<</SYS>> q [/INST] a </s><s>[INST] …`. Its markers
  /// `[INST]` and `<<SYS>>` are plain text to its tokenizer, so only BOS and EOS are tokens;
  /// every exchange opens with the BOS again.
  public static let llama2 = ChatTemplateTokens(
    name: "llama2", bos: "<s>", eos: "</s>", specials: [], bosOpensEachTurn: true)

  /// The templates a row is recognised by when none is configured (the first with any of its
  /// tokens in the row).
  public static let builtIn: [ChatTemplateTokens] = [.deepSeekR1, .llama3, .chatML, .gemma]

  /// The templates a ruleset can name (`template: mistral`): ``builtIn`` and the templates
  /// whose tokens are too common in other text to recognise a row by (`<s>` and `</s>` are
  /// also HTML's strike-through), used only when configured.
  public static let named: [ChatTemplateTokens] = builtIn + [.mistral, .llama2]

  /// Whether a BOS at byte `offset` of `text` (not its start) is misplaced: always, unless
  /// ``bosOpensEachTurn`` and an EOS (then white space at most) comes right before it.
  func misplacedBOS(at offset: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bosOpensEachTurn, let eos else { return true }
    var end = offset
    while end > 0 && RowBytes.isASCIISpace(text[end - 1]) { end -= 1 }
    let token = Array(eos.utf8)
    return end < token.count || !text[(end - token.count)..<end].elementsEqual(token)
  }

  /// Whether `text` holds a misplaced BOS after the row's own (``misplacedBOS(at:in:)``). The
  /// row's own BOS is the one at its start or, in a row missing it there (reported as such),
  /// the first one: a single BOS is never "repeated". Where a BOS opens each exchange, a first
  /// BOS later in the row is judged as any other (it must follow an EOS).
  func hasMisplacedBOS(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let bos else { return false }
    let token = Array(bos.utf8)
    guard let own = ByteSearch.firstOffset(of: token, in: text, from: 0) else { return false }
    if bosOpensEachTurn && own > 0 && misplacedBOS(at: own, in: text) { return true }
    var from = own + token.count
    while let hit = ByteSearch.firstOffset(of: token, in: text, from: from) {
      if misplacedBOS(at: hit, in: text) { return true }
      from = hit + token.count
    }
    return false
  }

  /// Whether `text` holds an EOS that ends neither the row nor a turn: one followed, after
  /// white space at most, by anything but the end, a BOS or another special token (a new turn
  /// opens with one in every built-in template). Training stops learning at a stray EOS.
  func hasMisplacedEOS(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let eos else { return false }
    let token = Array(eos.utf8)
    var from = 0
    while let hit = ByteSearch.firstOffset(of: token, in: text, from: from) {
      var i = hit + token.count
      while i < text.count && RowBytes.isASCIISpace(text[i]) { i += 1 }
      // The usual EOS ends the row: the tokens that may follow one are compared only otherwise.
      if i < text.count {
        let rest = UnsafeBufferPointer(rebasing: text[i...])
        if !([bos].compactMap { $0 } + specials).contains(where: { rest.starts(with: $0.utf8) }) {
          return true
        }
      }
      from = hit + token.count
    }
    return false
  }

  var allTokens: [String] { [bos, eos].compactMap { $0 } + specials }
}

/// The built-in detectors and their default rules.
public enum BuiltinDetectors {
  /// The generator labels the `label` rule knows: these open a reasoning block as scaffolding
  /// alone or with a short code (`Persona:`, `Variant B:`).
  public static let scaffoldLabels = ["remix", "variant", "persona", "archetype", "combinator", "generator"]

  /// Everyday words the `label` rule takes only with a number (`Seed 41:`, not `Family: Rosaceae`).
  public static let numberedScaffoldLabels = ["template", "seed", "family", "batch"]

  /// Designators and tags at the start of a reasoning block; `extraLabels` (letters, digits,
  /// `_` or `-`, starting with a letter) join ``scaffoldLabels``.
  public static func scaffoldPrefix(extraLabels: [String] = []) -> RuleDetector {
    func rule(_ id: String, _ summary: String, _ pattern: String, ci: Bool = false, _ filter: HeadFilter)
      -> LeakRule
    {
      LeakRule(
        id: id, summary: summary, scope: .thinkStart,
        matcher: .regex(try! Pattern(pattern, caseInsensitive: ci)),
        headFilter: filter)
    }
    let strong = scaffoldLabels + extraLabels.map { $0.lowercased() }.filter { !scaffoldLabels.contains($0) }
    let labels = strong + numberedScaffoldLabels
    let strongGroup = strong.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
    let numberedGroup = numberedScaffoldLabels.joined(separator: "|")
    // A square-bracketed tag holds a number, a setting's or a label's mark, or one of the
    // generator's words (`[variant 7]`, `[persona: tutor]`, `[Smith variant]`, `[gen]`); the
    // plain words that lyrics, logs, transcripts and checklists open with (`[Chorus]`,
    // `[INFO]`, `[Applause]`, `[x]`), a part and its number (`[Verse 3]`, `[Part 2]`) and a PGN
    // tag pair (`[Event "Club Championship 2021"]`) are the text's own.
    let tagWords = Set(labels + Discovery.generatorWords + ["mode", "style", "tone", "sample"]).sorted()
    let sectionWords = Discovery.songSections.sorted()
    let squareTag =
      #"\[\[?(?![^\]\n]*")(?!(?i:"# + sectionWords.joined(separator: "|")
      + #")[ \t]+(?:[0-9]+(?i:[a-z])?(?:[ \t]*:[^\]\n]*)?|x[0-9]+)\]\]?)"#
      + #"(?=[^\]\n]*(?:[0-9=:#]|(?i:\b(?:"# + tagWords.joined(separator: "|") + #")\b)))"#
      + #"[A-Za-z][^\]\n]{0,39}\]\]?"#
    let bracketTag = #"(?:"# + squareTag + #"|<<[^>\n]{1,40}>>|\{\{[^}\n]{1,40}\}\})"#
    var detector = RuleDetector(
      id: "scaffold-prefix", summary: "scaffolding at the start of reasoning (designators, tags, labels)",
      rules: [
        rule(
          "designator", "family code such as `A4 spice combinator:`",
          DesignatorMatcher.pattern, .designator),
        rule(
          // A tag the sentence goes on from is a source or a subject (`[Wikipedia] says …`,
          // `[Smith 2020] shows …`), not scaffolding: the tag is taken whole (atomic), then
          // must not be followed by such a verb.
          "bracket-tag", "bracketed tag such as `[variant 3]`",
          // A tag with a colon after it is a label whatever follows.
          "(?>" + bracketTag + #"[ \t]*:[ \t]*)|(?>"# + bracketTag + #"[ \t]*)"# + Self.proseVerbAfterTag,
          .firstByte(Array("[<{".utf8))),
        rule(
          // Keys start with two letters: `x=3 is a root` is algebra, not a tag; a sentence
          // that goes on from the pairs is prose about a setting (`max_iter=100 is the default`).
          "key-value", "key=value tags such as `persona=lawyer`",
          #"(?>(?:[A-Za-z_][A-Za-z_][\w-]*=[^\s,;]+[ \t,;]*)+)"# + Self.proseVerbAfterTag,
          .keyValue),
        rule(
          "label", "generator labels such as `Remix 2:` or `Persona: …`",
          // A label alone or with a short code (`Persona:`, `Variant B:`, `Seed 41:`); the
          // everyday words need a number (`Batch normalization:`, `Template metaprogramming:`,
          // `Family: Rosaceae` are prose).
          // Markdown or a bracket may come first (`**Variant 2:**`, `### Persona:`,
          // `(Remix 3)`), a hyphen before the number (`Variant-2`, `Batch-7`), a note in
          // parentheses (`Persona (tax attorney):`); a dash or a closing bracket may end it; an
          // everyday word may also take its number after the colon (`Seed: 41`) or a hashtag's
          // form (`#variant3`). A short value after the colon that a dash ends is part of the
          // label (`Persona: grumpy pirate — `), so `--repair` cuts it too, and so is a
          // one-word value ending its sentence before the next one (`Persona: pilot. Right,`).
          // A label alone on the first line (`### Variant 3` and a newline) ends there.
          #"(?:\*{1,2}|_{1,2}|#{1,6}[ \t]*|\()?(?:(?:(?:"# + strongGroup
            + #")\b(?:[ \t]*[-#]?[ \t]*[0-9][\w-]{0,8}|[ \t]+(?-i:[A-Z][0-9A-Z]{0,3})\b|[ \t]*\([^)\n]{1,30}\))?|(?:"#
            + numberedGroup
            + #")\b(?:[ \t]*[-#=]?[ \t]*[0-9][\w-]{0,8}|[ \t]+(?-i:[A-Z][0-9A-Z]{0,3})\b))[ \t]*(?:\*{1,2}|_{1,2})?[ \t]*(?::(?:[^\n:—–]{1,40}?(?:—|–|[ \t]-[ \t])|[ \t]*[A-Za-z][\w'-]{0,30}\.(?=[ \t]+(?-i:[A-Z])))?|—|–|\)|[ \t]-[ \t]|\r?\n)[ \t]*(?:\*{1,2}|_{1,2})?|(?:"#
            + numberedGroup + #")[ \t]*:[ \t]*[0-9][\w-]{0,8}\b|(?<=#)(?:"# + strongGroup
            + #")[0-9][\w-]{0,8}\b)[ \t]*"#,
          ci: true, .firstWord(labels.map { Array($0.utf8) })),
      ])
    detector.extraLabels = extraLabels
    return detector
  }

  /// A lookahead for the bracket and key-value rules: the text after the tag does not start
  /// with a lower-case verb that makes the tag the subject of a sentence (`Notes: …` or
  /// `Should I …` after a tag start a new sentence, so the tag is scaffolding).
  static let proseVerbAfterTag =
    #"(?!(?:says|said|states|stated|notes|noted|reports|reported|shows|showed|lists|defines|describes|explains|"#
    + #"is|are|was|were|has|had|means|sets|gives|controls|works|should|will|would|can|could|must)\b)"#

  /// The words that may follow the `vary` rule's `the opening` (`phrasing`, `tone`, …): the
  /// parts of a text (`vary the opening sentence`), function words (`and the numbers`,
  /// `across rows`) and a few adverbs (`next time`, `again`); any other word is a noun of
  /// something else's (`vary the opening repertoire`). Adverbs in `-ly` are allowed by the
  /// rule itself.
  static let wordsAfterVariedText = [
    "sentence", "sentences", "line", "lines", "word", "words", "phrase", "phrases", "clause", "clauses",
    "paragraph", "paragraphs",
    "and", "or", "but", "nor", "of", "for", "in", "on", "at", "by", "to", "from", "with", "without", "within",
    "across", "between", "among", "throughout", "per", "via", "so", "than", "then", "as", "if", "when",
    "while", "because", "since", "unless", "until", "each", "every", "all", "a", "an", "the", "this",
    "that", "these", "those", "some", "more", "less", "much", "too", "also", "again", "here", "there",
    "now", "next", "instead", "somewhat", "not", "is", "are", "should", "must", "will", "can", "you",
    "we", "i", "it", "they",
  ]

  /// What a generator varies its text by, the words the `vary` rule takes after `based on`,
  /// `depending on` or `according to` (`vary the tone based on the persona`). Not `row` or
  /// `sample`: "vary the style based on the row" is a spreadsheet's, "based on the sample size"
  /// a statistician's.
  static let generatorInputs = [
    "persona", "personas", "archetype", "archetypes", "seed", "seeds", "template", "templates", "variant",
    "variants",
  ]

  /// The words after which `copy of` is prose, not a note (the `copy-of` rule's `notAfter`):
  /// articles, determiners, possessives, the adjectives of a document's copy ("a copy of
  /// 1040", "your copy of 1984", "a certified copy of 10") and the verbs of filing one, which
  /// a checklist writes without an article ("Attach copy of 1040.", "Mail copy of 1099").
  static let wordsBeforeACopy = [
    "a", "an", "the", "this", "that", "these", "those", "each", "every", "one", "another", "any", "no", "my",
    "your", "his", "her", "its", "our", "their", "'s", "certified", "signed", "true", "hard", "paper",
    "digital", "electronic", "scanned", "extra", "spare", "backup", "free", "first", "second", "last",
    "attach", "attached", "enclose", "enclosed", "mail", "mailed", "send", "sent", "file", "filed", "fax",
    "faxed", "email", "emailed", "submit", "submitted", "keep", "kept", "retain", "print", "printed",
    "request", "requested", "obtain", "provide", "include", "forward", "furnish",
  ]

  /// The nouns of a row made from another (`rewrite-of`, `variant-of`: `remix of 3886`).
  static let rewordings = [
    "rewrite", "paraphrase", "variation", "variant", "remix", "rewording", "rephrase", "rephrasing",
  ]

  /// The parts of a row that a to-do about it changes (`todo-note`: `TODO: vary the opening`).
  static let rowParts = [
    "openings?", "wording", "phrasing", "names?", "numbers?", "city", "cities", "personas?", "scenarios?",
    "questions?", "answers?", "prompts?", "examples?", "rows?", "samples?", "tone", "style", "values",
  ]

  /// The verbs of the `hide-synthetic` rule (`don't mention`, `never reveal`, …); each with
  /// each negation is one of its anchors.
  static let hidingVerbs = ["mention", "reveal", "disclose", "say", "admit", "tell"]

  /// Whom the `hide-synthetic` rule's verb may address before what it hides (`don't tell the
  /// user this is synthetic`, `never tell them it's generated`).
  static let hidingAddressees = [
    "user", "users", "reader", "readers", "customer", "customers", "student", "students", "model", "human",
    "them", "him", "her", "anyone", "people", "the judge", "the grader",
  ]

  /// The words that may follow the `hide-synthetic` rule's adjective (`don't mention this is
  /// synthetic data`, `… synthetic anywhere`), and `by` with what generates rows
  /// (``syntheticAgents``: `… generated by a model`); any other word makes it a material's, a
  /// report's or math's ("it's synthetic rubber", "it is generated weekly", "it is generated
  /// by one element").
  static let wordsAfterSynthetic = [
    "data", "dataset", "text", "content", "example", "examples", "row", "rows", "sample", "samples", "answer",
    "answers", "response", "responses", "conversation", "conversations", "dialogue", "dialogues",
    "with", "from", "in", "to", "and", "or", "but", "so", "because", "since", "here", "anywhere", "at", "too",
    "either",
  ]

  /// What generates a pipeline's rows, after the `hide-synthetic` rule's `by` (`generated by a
  /// model`, `by an LLM`, `by AI`, `by GPT-4`).
  static let syntheticAgents = [
    "ai", "model", "models", "llm", "llms", "language model", "language models", "machine", "machines",
    "computer", "algorithm", "generator", "gpt", "chatgpt", "bot", "chatbot", "pipeline",
  ]

  /// Meta-language about generating the data, anywhere in the model text.
  public static func producerNotes() -> RuleDetector {
    func rule(
      _ id: String, _ summary: String, _ pattern: String, _ anchors: [String], notAfter: [String] = []
    ) -> LeakRule {
      LeakRule(
        id: id, summary: summary, scope: .anywhere,
        matcher: .regex(try! Pattern(pattern, caseInsensitive: true)),
        anchors: anchors, notAfter: notAfter)
    }
    let rules = [
      rule(
        "duplicate-of", "`duplicate of 3886`, `duplicate-of 3886`, `Duplicate of: 3886`",
        // Not a count of things: "a duplicate of 3 earlier claims"; not a place in a table:
        // "a duplicate of row 3 in the table". The words may stand on two lines (a wrapped
        // `duplicate\nof 3886`): an anchor for each byte that can follow `duplicate` there.
        NoteMatcher.duplicateOf,
        [
          "duplicate of", "duplicate  ", "duplicate \t", "duplicate \n", "duplicate \r", "duplicate\t",
          "duplicate\n", "duplicate\r", "duplicate-of",
        ]),
      rule(
        // A count, a form, a year or a book is prose ("a copy of 3 documents", "Attach a copy of
        // 1040.", "the copy of the lease"): see `NoteMatcher.copyOf`. `copy of ` is no prefix
        // of "copyright" or "copying".
        "copy-of", "`copy of 3886`",
        NoteMatcher.copyOf,
        ["copy of ", "copy of\t"],
        notAfter: Self.wordsBeforeACopy),
      rule(
        // Not a reference into a table or a book: "the same as row 3 of the table above".
        "same-as", "`same as row 12`, `(same as #12)`",
        #"\bsame as (?:(?:row|item|sample|example)[ \t]*#?[0-9]+\b(?![ \t]*(?:of|in|on|from|above|below)\b)|"#
          + NoteMatcher.bracketedHash + ")",
        // A comparison says "the same as" (`row 14 is the same as row 12, so`); a generator's
        // note is the bare phrase (`Same as row 12.`, `(same as row 12)`).
        ["same as "], notAfter: ["the"]
      ),
      rule(
        "diversify", "`diversify by …`, `Diversify: use a different city`",
        // "Diversify by changing the numbers" is a note to the generator; "diversify by holding
        // index funds" and "diversify across asset classes" are finance: by/with/across/using
        // need what a generator varies within six words (stepped word by word: a search by
        // character cost ICU several times more on the fifth of rows that hold the phrase).
        // After a colon, a verb and what a generator varies ("Diversify: a guide to
        // portfolios" is a title).
        NoteMatcher.diversify,
        ["diversify ", "diversify:"]),
      rule(
        "vary", "`vary the opening`",
        // "Vary the tone of your voice" is advice about something else: after `of`, only the
        // rows or answers being made (`vary the opening of each answer`). A noun after the
        // word makes it one of something else's (`vary the opening repertoire` in chess, `the
        // opening tempo` in music), except the text's own parts (`vary the opening sentence`):
        // only such a part, a function word or an adverb (`next`, `slightly`) may follow.
        // `based on`, `depending on` or `according to` may follow only with what the
        // generator varies by (`vary the tone based on the persona`; "vary the tone based on
        // your audience" is advice).
        #"\bvary (?:the )?(?:opening|openings|phrasing|wording|sentence structure|tone|style)\b"#
          + #"(?![ \t]+of\b(?![ \t]+(?:each|every|all|(?:the |these |those )?(?:rows?|answers?|samples?|examples?|responses?|outputs?|items?))\b))"#
          + #"(?![ \t]+(?!(?:"# + Self.wordsAfterVariedText.joined(separator: "|")
          + #")\b|[a-z]+ly\b|(?:(?:based|depending)[ \t]+on|according[ \t]+to)[ \t]+(?:(?:the|each|every|a|this|that|its|their)[ \t]+)?(?:"#
          + Self.generatorInputs.joined(separator: "|") + #")\b)[a-z]+\b)"#,
        ["vary "]),
      rule(
        // "Avoid repeating the same example" is also a teacher's advice: a numbered row, the
        // previous or last one, or the same row, sample or opening.
        "avoid-repeating", "`avoid repeating row 12`",
        // A plural noun one or two words after a numbered row makes it something else's row
        // ("avoid repeating row 2 headers by freezing panes" in a spreadsheet), as in
        // `duplicate-of`.
        #"\bavoid repeating (?:(?:row|example|sample|item)[ \t]*#?[0-9]+\b"#
          + #"(?![ \t]+(?:[a-z]+[ \t]+)?(?!(?:is|was|has|as|does|plus|thus|this|its|yes|us)\b)[a-z]+s\b)"#
          // Not a row's parts nor a row of something ("the previous row's decreases", "the
          // last row of the chart" in knitting).
          + #"|(?:the (?:previous|last) (?:row|example|sample|opening)|the same (?:row|sample|opening))\b(?!['’]s\b|[ \t]+of\b))"#,
        ["avoid repeating "]),
      rule(
        "note-to-self", "notes to self",
        // "Regenerate this sample" (a lab's) is prose: a regenerated sample is not ours. A note
        // to self is one when a colon, a dash, a closing bracket or the end of the line follows
        // ("Note to Self, the podcast" is not).
        // `Regenerate this with a new city` is a note too: with what changes ("regenerate this
        // one with brine" is an ion-exchange column's, "this example's output" a build's). A
        // generator's or pipeline's note has its colon ("the generator note on the standby
        // unit" is an electrician's).
        #"\b(?:note to self(?=[ \t]*(?::|—|–|\)|\]|\n|$)|[ \t]+-[ \t])|(?:generator|pipeline) note(?=[ \t]*:)|note (?:to|for) (?:the )?generator(?=[ \t]*:)|regenerate this (?:row|example|answer|response)\b(?!['’])|regenerate (?:this[ \t]+)?with (?:(?:a|an|some)[ \t]+)?(?:new|different|another|other|fresh)[ \t]+(?:city|name|names|persona|numbers?|values?|topic|scenario|setting|opening|details?|wording)\b)"#,
        [
          "note to self", "generator note", "pipeline note", "note to the generator",
          "note for the generator",
          "note to generator", "note for generator", "regenerate this ", "regenerate with ",
        ]),
      rule(
        // "The employer's internal note documented the warning" is prose, and so is someone's
        // note quoted with its colon ("the firm's internal note: do not rehire"): a note of
        // ours has its colon and no article, determiner or possessive before it.
        "internal-note", "`internal note: …`",
        #"\binternal note(?::|[ \t]+[-–—][ \t])"#,
        ["internal note:", "internal note -", "internal note –", "internal note —"],
        notAfter: ["the", "a", "an", "his", "her", "its", "our", "my", "your", "their", "this", "that", "'s"]),
      rule(
        // A textbook's example, a survey's or a contract's item is prose ("a variation of
        // example 4", "a rewording of item 5"): only a row, a sample or an id.
        "rewrite-of", "`paraphrase of row 5`, `variant of sample 12`",
        #"\b(?:(?:"# + Self.rewordings.joined(separator: "|")
          + #") of (?:row|sample|id)|(?:paraphrased|rewritten|reworded|rephrased) from (?:row|sample))[ \t]*#?[0-9]+\b(?![ \t]*(?:of|in|on|from|above|below)\b)"#,
        Self.rewordings.map { $0 + " of " }
          + ["paraphrased", "rewritten", "reworded", "rephrased"].map { $0 + " from " }),
      rule(
        // A bare number only where it ends the note (`remix of 3886: …`, `(variant of 3886)`;
        // not `variation of 1.e4 c5`), and not after an article, a determiner or a verb of filing, as in `copy-of`: "a remix
        // of 1999", "the variation of 3 parameters", "a rewrite of 2001: A Space Odyssey".
        "variant-of", "`remix of 3886:`, `(variant of 3886)`",
        // A year is a work's or a time's ("the extended remix of 1999", "a variation of 2008").
        #"\b(?:"# + Self.rewordings.joined(separator: "|")
          + #") of #?"# + NoteMatcher.notAYear + #"[0-9]+(?:(?=[ \t]*:)|"# + NoteMatcher.endsNoteAhead + ")",
        Self.rewordings.map { $0 + " of " },
        notAfter: Self.wordsBeforeACopy),
      rule(
        // `dup: 3886`, `Dup #3886.`, `dup 3886`: shorthand with no `of`. Forth's `3 dup 4 +` and
        // `dup 255 > if`, a count ("dup 12 rows") and a dose ("the dup 100 mg order") are not
        // notes: without a colon the number (three digits or more, or `#` and any) ends the note.
        "dup-id", "`dup: 3886`, `Dup #3886`",
        #"\bdupe?(?:[ \t]*:[ \t]*#?[0-9]+\b"# + NoteMatcher.notACount + #"|[ \t]+(?:#[0-9]+|[0-9]{3,})"#
          + NoteMatcher.endsNoteAhead + ")",
        ["dup:", "dupe:", "dup ", "dupe ", "dup\t", "dupe\t"]),
      rule(
        // A row to deduplicate against (`dedupe against 3886`, `dedupe vs row 12`); against 3
        // tables is a count, against 2023 customer lists a year: a bare number ends the note.
        "dedupe-against", "`dedupe against 3886`",
        #"\bdedup(?:e|ed|licate|licated)?[ \t]+(?:against|with|vs\.?)[ \t]+(?:(?:row|item|sample|example|id)[ \t]*#?[0-9]+\b"#
          + NoteMatcher.notACount + "|#?[0-9]+" + NoteMatcher.endsNoteAhead + ")",
        ["dedup", "dedupe", "deduped", "deduplicate", "deduplicated"].map { $0 + " " }),
      rule(
        // A to-do about the row, with a verb of making rows and what it varies (`TODO: vary
        // this`, `todo rephrase the question`, `TODO: change names.`). A programmer's is about
        // code ("TODO: rephrase error message", "TODO: vary the learning rate", "TODO: dedupe
        // this with parseHeader()", "TODO: change names of variables"): the row's part must
        // end the clause. `TODO: diversify …` is `diversify`'s.
        "todo-note", "`TODO: vary this`",
        #"\btodo[ \t]*:?[ \t]+(?:vary|rephrase|reword|paraphrase|change|swap|randomi[sz]e|regenerate|remix)[ \t]+(?:(?:(?:this|it|the|these)[ \t]+)?(?:"#
          + Self.rowParts.joined(separator: "|")
          + #")|this|it)\b(?![ \t]*(?:of|in|for|with|to|from|on|at|[(.]\w))"#,
        ["todo:", "todo ", "todo\t"]),
      rule(
        // What the pipeline's guidelines say, as the model's reason (`per the generation
        // guidelines, keep it short`, `per the synthetic data spec`). A generator's
        // instructions are an electrician's ("follow the generator instructions"), a pipeline's
        // config a build's, and a generation's rules or spec Conway's, a turbine's or a game's:
        // bare `generation` only with guidelines, instructions, a prompt or a template, and
        // not for something (`our generation guidelines for the wind farm`).
        "generation-guidelines", "`per the generation guidelines`",
        #"\b(?:per|following|according to) (?:the|our|my) (?:(?:(?:synthetic|data)[- ](?:data[- ])?(?:generation|gen)|synthetic[- ]data) (?:guidelines?|instructions?|rules|spec|specification|prompt|template)|generation (?:guidelines?|instructions?|prompt|template)(?![ \t]+(?:for|of|in|on|at)\b))\b"#,
        ["per ", "following ", "according to "].flatMap { lead in
          ["the", "our", "my"].flatMap { owner in
            [
              "generation", "data gen", "data-gen", "synthetic data", "synthetic-data", "synthetic gen",
              "synthetic-gen",
            ].map {
              lead + owner + " " + $0
            }
          }
        }),
      rule(
        // A note to keep a generated detail the same as another row's. "Consistent with row 3" alone is
        // linear algebra's or a table's: only after `keep` and what a generator keeps.
        "keep-consistent", "`keep the persona consistent with row 12`",
        // A spreadsheet keeps its numbers consistent with row 12, a bibliography its style with
        // example 3: only a persona's, a story's or a voice's, with a row or a sample.
        // `Persona must match row 12` says the same.
        #"\b(?:keep (?:the |this |its |their )?(?:persona|voice|tone|characters?|story|setting|narrator) (?:consistent|in line|aligned) with|(?:persona|voice|narrator) (?:must|should) (?:match|mirror|follow)) (?:row|sample)[ \t]*#?[0-9]+\b(?![ \t]*(?:of|in|on|from|above|below)\b)"#,
        ["", "the ", "this ", "its ", "their "].flatMap { owner in
          ["persona", "voice", "tone", "character", "story", "setting", "narrator"].map {
            "keep " + owner + $0
          }
        } + ["persona", "voice", "narrator"].flatMap { [$0 + " must ", $0 + " should "] }),
      rule(
        // Shorthand for `duplicate of`; a count of things is no note ("a dupe of 3 earlier bugs").
        // A bare `#` and number only in brackets, as in `duplicate-of`: "closing as dupe of
        // #4521" is an issue tracker's.
        "dup-of", "`dup of 12`, `(dup of #12)`",
        #"\bdupe? of (?:(?:(?:row|item|sample|example|id)[ \t]*#?)?[0-9]+\b|"# + NoteMatcher.bracketedHash
          + ")"
          + NoteMatcher.notACount,
        ["dup of ", "dupe of "]),
      rule(
        // A row judged against another (`Too similar to row 12, rewrite it`, `(too similar to
        // #3886)`). A table's or a lab's row of something is prose ("too similar to row 3 of
        // the matrix", "too similar to sample 4 in the assay"): only rows and ids, then not
        // `of`, `in`, `on`, `from`, `above` or `below`.
        "too-similar", "`too similar to row 12`",
        #"\btoo (?:similar|close) to (?:(?:row|id)[ \t]*#?[0-9]+\b(?!['’]s\b|[ \t]*(?:of|in|on|from|above|below)\b)|"#
          + NoteMatcher.bracketedHash + ")",
        ["too similar to ", "too close to "]),
      rule(
        // An instruction about the row being made, never prose about a problem ("this problem
        // is different from the previous example").
        "make-different", "`make this one different from the previous row`",
        #"\bmake this (?:one|row|example|sample|answer) (?:different|distinct) from (?:the )?(?:previous|last|prior|other|earlier) (?:ones?|rows?|examples?|samples?|answers?)\b"#,
        ["make this one ", "make this row ", "make this example ", "make this sample ", "make this answer "]),
      rule(
        // An instruction to hide where the row comes from: a negation, a verb of telling, this
        // row (or `the data`, `these examples`, …) and `is synthetic` or `generated`. "Do not
        // mention the patient's name" and "don't mention it" are instructions of the domain.
        // Another word after the adjective makes it something else's ("don't say it's
        // synthetic leather", "it is generated weekly", "it is generated by one element"):
        // only the end of the clause, one of `wordsAfterSynthetic`, or `by` and one of
        // `syntheticAgents` may follow.
        "hide-synthetic", "`don't mention this is synthetic`",
        #"\b(?:don't|don’t|do not|dont|never)[ \t]+(?:"# + Self.hidingVerbs.joined(separator: "|")
          + #")[ \t]+(?:(?:the[ \t]+)?(?:"# + Self.hidingAddressees.joined(separator: "|")
          + #")[ \t]+)?(?:that[ \t]+)?(?:(?:the|this|these)[ \t]+(?:data|dataset|row|rows|example|examples|sample|samples|text|answer|answers|response|responses|conversation|conversations|dialogue|dialog|question|questions|content|story|scenario|persona)|this|these|it|they)"#
          + #"(?:[ \t]+(?:is|are|was|were)|'s|’s|'re|’re)(?:[ \t]+(?:all|entirely|fully|just|only|really|actually|purely))?[ \t]+(?:(?:automatically|artificially)[ \t]+)?"#
          + #"(?:synthetic|synthesized|synthesised|generated|(?:ai|machine|model|llm|auto|computer)-generated)\b"#
          + #"(?![ \t]+(?!(?:"# + Self.wordsAfterSynthetic.joined(separator: "|")
          + #"|by[ \t]+(?:(?:a|an|the|some|our|another)[ \t]+)?(?:"#
          + Self.syntheticAgents.map { $0.replacing(" ", with: #"[ \t]+"#) }.joined(separator: "|")
          + #"))\b)[a-z])"#,
        ["don't ", "don’t ", "do not ", "dont ", "never "].flatMap { negation in
          Self.hidingVerbs.map { negation + $0 }
        }),
    ]
    // Every rule is anchored, so the one anchor search is also the prefilter.
    var detector = RuleDetector(
      id: "producer-note",
      summary:
        "notes about producing the data (duplicate of N, copy of N, diversify by, don't mention this is synthetic, …)",
      rules: rules)
    detector.matchesAcrossBlankRuns = true
    return detector
  }
}

/// Flags rows whose model text has words run together (shares EmissionGate's check).
public struct RunTogetherDetector: Detector {
  public let id = "run-together"
  public let summary = "words run together without spaces"
  /// The shared check.
  public var check = RunTogetherCheck()
  /// Creates the detector.
  public init(check: RunTogetherCheck = RunTogetherCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    check.detect(in: context.plainModelText).map { [Finding(detector: id, evidence: $0.example)] } ?? []
  }
}

/// Flags rows with mojibake (shares EmissionGate's check).
public struct MojibakeDetector: Detector {
  public let id = "mojibake"
  public let summary = "UTF-8 text decoded as Latin-1/Windows-1252, or replacement characters"
  /// The shared check.
  public var check = MojibakeCheck()
  /// Creates the detector.
  public init(check: MojibakeCheck = MojibakeCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    if context.isASCII { return [] }  // mojibake and U+FFFD are both non-ASCII
    return check.detect(in: context.row.allText).map {
      [Finding(detector: id, evidence: $0.example ?? "\($0.replacementCharacters) replacement characters")]
    } ?? []
  }
}

/// Flags rows that drift into an unexpected script (shares EmissionGate's check).
///
/// By default the expected scripts are the prompt's (``ScriptDriftCheck/Expected/context``:
/// the row's text other than the model's), so a corpus in any language passes while an
/// answer that leaves its question's script is flagged.
public struct ScriptDriftDetector: Detector {
  public let id = "script-drift"
  public let summary = "a run of an unexpected script"
  /// The shared check.
  public var check = ScriptDriftCheck(expected: .context)
  /// Creates the detector.
  public init(check: ScriptDriftCheck = ScriptDriftCheck(expected: .context)) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    // The prompt is joined only when the check reads it (non-Latin model text, `.context`).
    check.detect(in: context.plainModelText, context: Self.prompt(of: context.row)).map {
      [Finding(detector: id, evidence: "\($0.script.rawValue): \($0.example)")]
    } ?? []
  }
}

extension ScriptDriftDetector {
  /// The row's text other than the model's, or `nil` when it has none.
  static func prompt(of row: CorpusRow) -> String? {
    let texts = row.segments.filter { !$0.isModelText }.map(\.text)
    return texts.isEmpty ? nil : texts.joined(separator: "\n")
  }
}

/// Flags rows with repetition loops (shares EmissionGate's check).
public struct RepetitionDetector: Detector {
  public let id = "repetition"
  public let summary = "the same fragment repeated many times in a row"
  /// The shared check.
  public var check = RepetitionCheck()
  /// Creates the detector.
  public init(check: RepetitionCheck = RepetitionCheck()) { self.check = check }
  public func findings(in context: RowContext) -> [Finding] {
    check.detect(in: context.plainModelText).map {
      [Finding(detector: id, evidence: "×\($0.repeats): \($0.fragment)")]
    } ?? []
  }
}

/// Flags broken reasoning structure: missing, empty, unclosed, nested or repeated blocks.
/// Flags rows that give the model nothing to learn: every model turn blank (an empty or
/// whitespace-only `response`, `text` or assistant `content`), or no model turn at all (a
/// conversation of user turns only, an empty list). A tool call without text is a model turn.
public struct EmptyResponseDetector: Detector {
  public let id = "empty-response"
  public let summary = "no text for the model to learn: a blank response or no model turn"
  /// Creates the detector.
  public init() {}

  public func findings(in context: RowContext) -> [Finding] {
    if context.row.callsTools { return [] }
    let model = context.row.segments.filter(\.isModelText)
    if model.isEmpty { return [Finding(detector: id, evidence: "no model turn")] }
    return model.allSatisfy({ $0.text.allSatisfy(\.isWhitespace) })
      ? [
        Finding(
          detector: id, evidence: model.count == 1 ? "blank response" : "\(model.count) blank model turns")
      ]
      : []
  }
}

public struct ThinkStructureDetector: Detector {
  public let id = "think-structure"
  public let summary = "reasoning block missing, empty, unclosed, nested or repeated"
  /// Whether rows without any reasoning block are flagged `missing`; `nil` (the default) leaves
  /// it to the corpus: a scan or clean flags them when a reasoning block occurs in the corpus's
  /// first ``ScanConfiguration/reasoningSampleRows`` lines, so a corpus without reasoning (plain
  /// instruction data) is not 100 % `missing`. A row checked alone, outside a scan, takes `nil`
  /// as `true`.
  public var requireThink: Bool?
  /// Creates the detector.
  public init(requireThink: Bool? = nil) { self.requireThink = requireThink }

  public func findings(in context: RowContext) -> [Finding] {
    var problems: [String] = []
    let traces = context.traces
    if requireThink ?? true && traces.allSatisfy({ $0.blocks.isEmpty }) { problems.append("missing") }
    for trace in traces where !trace.blocks.isEmpty {
      if trace.thinkEmpty { problems.append("empty") }
      if !trace.thinkClosed { problems.append("unclosed") }
      if trace.nested { problems.append("nested") }
      // A templated `{text}` row may hold several assistant turns, each with its block.
      let blocks = trace.blocks
      let repeated =
        context.row.shape == .text
        ? Self.mostBlocksInOneTurn(blocks.count) { k in
          let (end, start) = (blocks[k].content.endIndex, blocks[k + 1].content.startIndex)
          guard end <= start else { return false }
          return Self.turnMarkers.containsAny(String(blocks[k].content.base[end..<start]))
        } : blocks.count
      if repeated > 1 { problems.append("repeated (\(repeated) blocks)") }
      if trace.strayCloseTags > 0 { problems.append("stray closing tag") }
    }
    return problems.isEmpty ? [] : [Finding(detector: id, evidence: problems.joined(separator: ", "))]
  }

  /// Tokens that open a turn in the built-in chat templates: blocks of a `{text}` row with one
  /// of them between are reasoning of different turns, not a repeated block.
  static let turnMarkers = LiteralSet(
    ["<｜User｜>", "<｜Assistant｜>", "<|im_start|>", "<|start_header_id|>", "<start_of_turn>", "[INST]"],
    ignoringASCIICase: false)

  /// The most blocks of `count` that fall in one turn, where `separated(k)` says whether a
  /// turn marker lies between block `k` and block `k + 1`.
  static func mostBlocksInOneTurn(_ count: Int, separated: (Int) -> Bool) -> Int {
    guard count > 1 else { return count }
    var most = 1
    var run = 1
    for k in 0..<(count - 1) {
      run = separated(k) ? 1 : run + 1
      most = max(most, run)
    }
    return most
  }
}

/// Flags `{text}` rows without the template's BOS/EOS and special tokens inside content.
public struct SpecialTokenDetector: Detector {
  public let id = "special-tokens"
  public let summary = "missing BOS/EOS in templated rows, or special tokens inside content"
  /// The template `{text}` rows must follow; `nil` detects it per row from the tokens present.
  public var template: ChatTemplateTokens? {
    didSet { search = Self.search(template) }
  }
  var search: (tokens: LiteralSet, owners: [(template: ChatTemplateTokens, token: String)])

  /// Creates the detector.
  public init(template: ChatTemplateTokens? = nil) {
    self.template = template
    search = Self.search(template)
  }

  private static func search(_ template: ChatTemplateTokens?) -> (LiteralSet, [(ChatTemplateTokens, String)])
  {
    var templates = ChatTemplateTokens.builtIn
    if let template, !templates.contains(template) { templates.insert(template, at: 0) }
    let owners = templates.flatMap { t in t.allTokens.map { (t, $0) } }
    return (LiteralSet(owners.map(\.1), ignoringASCIICase: false), owners)
  }

  /// The template a templated row follows — the configured one, or the first built-in (in
  /// built-in order) with any of its tokens in `text` — and the first token in `text` of
  /// another template (`<|im_start|>` in a DeepSeek-R1 row) with that template's name; `nil`
  /// when the row follows no template. One search of `text` answers both.
  func inspect(_ text: UnsafeBufferPointer<UInt8>) -> (
    template: ChatTemplateTokens, stray: (String, String)?
  )? {
    var hits: [Int] = []  // owner indices in text order
    search.tokens.forEachMatch(in: text) { index, _ in
      if !hits.contains(index) { hits.append(index) }
      return true
    }
    guard
      let t = template
        ?? ChatTemplateTokens.builtIn.first(where: { b in
          hits.contains { search.owners[$0].template.name == b.name }
        })
    else { return nil }
    // The row's own template's tokens are not stray (a template may share a token with another).
    let stray = hits.lazy.map { search.owners[$0] }.first {
      $0.template.name != t.name && !t.allTokens.contains($0.token)
    }
    return (t, stray.map { ($0.token, $0.template.name) })
  }

  /// DeepSeek-R1's tokens written with ASCII bars and underscores (`<|begin_of_sentence|>`), as
  /// hand-written templates do: the tokenizer reads them as plain text, so the row trains on
  /// no template at all.
  static let lookalikes: [(written: String, token: String)] = [
    ("<|begin_of_sentence|>", ChatTemplateTokens.deepSeekR1.bos!),
    ("<|end_of_sentence|>", ChatTemplateTokens.deepSeekR1.eos!), ("<|User|>", "<｜User｜>"),
    ("<|Assistant|>", "<｜Assistant｜>"),
  ]
  static let lookalikeSet = LiteralSet(lookalikes.map(\.written), ignoringASCIICase: false)

  /// The first DeepSeek look-alike in `text`, if any.
  static func lookalike(in text: UnsafeBufferPointer<UInt8>) -> (written: String, token: String)? {
    lookalikeSet.firstMatch(in: text).map { lookalikes[$0.needle] }
  }

  public func findings(in context: RowContext) -> [Finding] {
    var problems: [String] = []
    let row = context.row
    if row.shape == .text, var text = row.segments.first?.text {
      if let lookalike = text.withUTF8({ Self.lookalike(in: $0) }) {
        problems.append(
          "\(lookalike.written) is not DeepSeek-R1's token \(lookalike.token) (ASCII `|` and `_` for `｜` and `▁`)"
        )
      }
      if let (t, stray) = text.withUTF8({ inspect($0) }) {
        if let (token, other) = stray {
          problems.append("special token \(token) of \(other) inside a \(t.name) row")
        }
        if let bos = t.bos {
          if !text.hasPrefix(bos) { problems.append("missing BOS \(bos) (\(t.name))") }
          if text.withUTF8({ t.hasMisplacedBOS($0) }) {
            problems.append(
              t.bosOpensEachTurn
                ? "BOS \(bos) inside the row, not after an EOS" : "BOS \(bos) repeated inside the row")
          }
        }
        if let eos = t.eos {
          let utf8 = text.utf8
          var end = utf8.endIndex
          while end > utf8.startIndex {
            let before = utf8.index(before: end)
            let b = utf8[before]
            guard b == 0x20 || (b >= 0x09 && b <= 0x0D) else { break }
            end = before
          }
          if !text[..<end].hasSuffix(eos) { problems.append("missing EOS \(eos) (\(t.name))") }
          if text.withUTF8({ t.hasMisplacedEOS($0) }) {
            problems.append("EOS \(eos) inside the row, not before a new turn")
          }
        }
      }
    } else {
      for segment in row.segments {
        if let hit = search.tokens.firstMatch(in: segment.text) {
          problems.append("special token \(search.owners[hit.needle].token) inside \(segment.role) content")
        }
      }
    }
    return problems.isEmpty ? [] : [Finding(detector: id, evidence: problems.joined(separator: "; "))]
  }
}
