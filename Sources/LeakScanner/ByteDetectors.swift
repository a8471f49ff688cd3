@_spi(FieldEvalInternal) import EvalCore

/// Reusable buffers for byte-level detection, one per scanning thread.
struct DetectionScratch {
  /// The words of the current row's text without tags, when `wordsRead`: the scan reads them
  /// once per row, with the exact-duplicate hash, when a detector says
  /// ``ByteDetector/readsWords`` (repetition and run-together); otherwise repetition reads them
  /// and run-together reads the text its own way.
  var words = WordStatistics()
  var wordsRead = false
  /// Whether `words` were read from the model text as it is (its tags' words left out), so the
  /// ranges of long words are offsets in the model text, not in the text without tags.
  var wordsOfModelText = false

  /// Reads the words of `bytes`' text without tags for this row.
  mutating func readWords(of bytes: borrowing RowBytes) {
    bytes.withPlain { words.read($0) }
    wordsRead = true
    wordsOfModelText = false
  }

  /// Reads the row's words once for the word detectors (`forDetectors`) and the exact-duplicate
  /// hash (`hashing`, returned): the single model segment's words, read as it is, serve the
  /// hash and, where ``RowBytes/modelWords`` allows, the detectors too; otherwise the text
  /// without tags is read again for them.
  mutating func readRowWords(of bytes: borrowing RowBytes, forDetectors: Bool, hashing: Bool) -> UInt64? {
    wordsRead = false
    wordsOfModelText = false
    guard bytes.hasOneModelSegment else {
      if forDetectors { readWords(of: bytes) }
      return hashing ? bytes.normalizedHash : nil
    }
    let layout = forDetectors ? bytes.modelWords : nil
    var skipping = (-1, -1)
    if case .withoutTags(let open, let close) = layout { skipping = (open.lowerBound, close.lowerBound) }
    let hash: UInt64?
    if hashing {
      hash = bytes.rowHash { model, sequence in words.read(model, skipping: skipping, sequence: &sequence) }
    } else {
      var sequence = WordSequenceHash()
      bytes.withModel { words.read($0, skipping: skipping, sequence: &sequence) }
      hash = nil
    }
    guard forDetectors else { return hash }
    switch layout {
    case .same?:
      wordsRead = true  // the text without tags is the model text
    case .withoutTags?:
      wordsRead = true  // the tags' words were skipped
      wordsOfModelText = true
    case nil:
      readWords(of: bytes)
    }
    return hash
  }
}

/// A built-in detector that can tell from a row's bytes whether it flags the row.
///
/// The scan's hot path asks this first and builds a ``RowContext`` only when a detector
/// answers `nil` or when an example's evidence is wanted; ``Detector/findings(in:)`` stays the
/// definition, and tests check that both agree.
protocol ByteDetector: Detector {
  /// Whether ``Detector/findings(in:)`` is non-empty for the row in `bytes`, or `nil` when only the
  /// `String` path can tell.
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool?

  /// Whether ``flags(_:_:)`` uses the row's word statistics when the scratch holds them.
  var readsWords: Bool { get }
}

extension ByteDetector {
  var readsWords: Bool { false }
}

extension RuleDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    if !startRules.isEmpty {
      let hit = bytes.withStorage { all in
        func matches(_ opening: Range<Int>) -> Bool {
          let text = UnsafeBufferPointer(rebasing: all[opening])
          let head = UnsafeBufferPointer(rebasing: text.prefix(64))
          return startRules.contains { i in
            guard headFilters[i].admits(head) else { return false }
            if fastDesignator[i], let matched = DesignatorMatcher.matchesStart(text) { return matched }
            if let shape = shapeMatchers[i], let length = shape.matchLength(atStartOf: text) {
              return length != nil
            }
            // The regex on a String of the opening: the same Characters as the Substring path.
            return rules[i].match(String(decoding: text, as: UTF8.self)[...]) != nil
          }
        }
        return bytes.openings.contains(where: matches) || bytes.bareStarts.contains(where: matches)
      }
      if hit { return true }
    }
    guard !anywhereRules.isEmpty else { return false }
    return bytes.withModel { text in
      func withCollapsed(_ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, text.count)) { buffer in
          body(UnsafeBufferPointer(rebasing: buffer[..<BlankRuns.collapse(text, into: buffer)]))
        }
      }
      // Text with runs to collapse (wrapped prose: most rows of some corpora): collapsed first,
      // and when its one anchor search finds nothing, neither text can match.
      if matchesAcrossBlankRuns && anchorsSurviveCollapse && BlankRuns.mayJoinWords(text) {
        return withCollapsed { collapsed in
          var anchored = false
          anchorSet.forEachMatch(in: collapsed, wordStartsOnly: true) { _, _ in
            anchored = true
            return false
          }
          return anchored && (anywhereFlags(text) || anywhereFlags(collapsed))
        }
      }
      if anywhereFlags(text) { return true }
      guard matchesAcrossBlankRuns, BlankRuns.mayJoinWords(text) else { return false }
      return withCollapsed(anywhereFlags)
    }
  }

  /// Whether an anywhere-rule matches the model text `text`.
  private func anywhereFlags(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    if !prefilterSet.isEmpty && prefilterSet.firstMatch(in: text) == nil { return false }
    var string: String? = nil  // the whole text, made only for regexes that need it
    func whole() -> String {
      if let string { return string }
      let made = String(decoding: text, as: UTF8.self)
      string = made
      return made
    }
    for i in anywhereRules {
      if let literal = literals[i] {
        if literal.firstMatch(in: text) != nil { return true }
      } else if rules[i].anchors.isEmpty {
        if rules[i].match(whole()[...]) != nil { return true }
      }
    }
    guard !anchorSet.isEmpty else { return false }
    // Anchored regexes, tried where `anchoredMatches(in:)` tries them (``anchorStarts(in:)``:
    // after a non-word byte, the first eight of each rule), each as soon as it is found: the
    // first match answers, and no table of starts is built.
    var matched = false
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rules.count) { tried in
      tried.initialize(repeating: 0)
      anchorSet.forEachMatch(in: text, wordStartsOnly: true) { needle, offset in
        let rule = anchorOwners[needle]
        if offset > 0 && LiteralSet.isWordByte(text[offset - 1]) { return true }
        if rules[rule].followsExcludedWord(text, offset) { return true }
        guard tried[rule] < 8, case .regex(let pattern) = rules[rule].matcher else { return true }
        tried[rule] += 1
        // The regex sees the next 240 Characters: 240 bytes when they are plain ASCII.
        let rest = UnsafeBufferPointer(rebasing: text[offset...])
        let candidate: String
        if let length = RowBytes.asciiCharacterPrefix(rest, 240) {
          let ascii = UnsafeBufferPointer(rebasing: rest[..<length])
          if let hand = noteMatchers[rule] {
            matched = hand.matchesStart(ascii)
            return !matched
          }
          candidate = String(decoding: ascii, as: UTF8.self)
        } else {
          let all = whole()
          let utf8 = all.utf8
          candidate = String(all[utf8.index(utf8.startIndex, offsetBy: offset)...].prefix(240))
        }
        matched = pattern.prefixMatch(in: candidate) != nil
        return !matched
      }
    }
    return matched
  }
}

/// The built-in `designator` rule's regex: a family code,
/// `[A-Z]{1,3}[0-9]{1,4}[a-z]?(?:[ \t]+[\w'-]+){0,5}[ \t]*(?::|\||–|—| - )[ \t]*` after a
/// lookahead that leaves out ``domainTerms``, or a lower-case one (``lowercasePattern``); a
/// no-break space (U+00A0) counts as a blank and a fullwidth colon (U+FF1A `：`) as a colon. It
/// is matched by hand on plain ASCII heads (it runs on half the rows of a leaky corpus, where
/// ICU costs microseconds a call); ICU decides the others, those two characters among them.
enum DesignatorMatcher {
  /// The regex source this matcher implements.
  static let pattern =
    "(?!" + domainTermsPattern + ")(?:"
    + #"[A-Z]{1,3}[0-9]{1,4}[a-z]?(?:[ \t\u00A0]+[\w'-]+){0,5}[ \t\u00A0]*(?::|\uFF1A|\||–|—| - )[ \t\u00A0]*"#
    + "|" + lowercasePattern + ")"

  /// A lower-case code (`a4 spice combinator: …`), which math writes too (`x2 + y2: the sum`,
  /// `a1 = 3: so`, `h2o: water`, `a3 is the answer: 5`): one letter and one to three digits,
  /// then two to five words of prose (two letters or more, lower-case after the first;
  /// apostrophes and hyphens after the first letter), the first of them no
  /// ``lowercaseNonLabels`` word, then a colon. One word is how text names a thing by its
  /// lower-case code (`x86 assembly:`, `a4 paper:`, `r2 score:`, `b2 visa:`, `t2 lesion:`), so
  /// it is left alone. Domain terms are left out in any case (`co2 emissions:`, `q3 revenue:`,
  /// `t2 weighted:`), and so are the terms only lower case writes (``lowercaseTerms``: chess's
  /// `e4 opening:`, gases' `o2 saturation:`).
  static let lowercasePattern =
    "(?!(?i:" + domainTermsPattern + "|" + termsPattern(lowercaseTerms) + "))"
    + #"[a-z][0-9]{1,3}[ \t\u00A0]+(?!(?i:"# + lowercaseNonLabels.joined(separator: "|")
    + #")\b)[A-Za-z][a-z'-]+(?:[ \t\u00A0]+[A-Za-z][a-z'-]+){1,4}[ \t\u00A0]*[:\uFF1A][ \t\u00A0]*"#

  /// Words that make what follows a lower-case code a sentence or a formula, not a label:
  /// ``Discovery/sentenceOpeners``, verbs and operators of math (`is`, `equals`, `plus`,
  /// `squared`, `choose`) and function words.
  static let lowercaseNonLabels: [String] = {
    let math = [
      "is", "isn't", "are", "aren't", "was", "were", "be", "been", "being", "equals", "equal", "plus",
      "minus",
      "times", "over", "divided", "squared", "cubed", "mod", "modulo", "choose", "and", "or", "not", "nor",
      "has", "have", "had", "gives", "give", "yields", "must", "should", "can", "cannot", "can't", "could",
      "will", "would", "may", "might", "shall", "does", "do", "did", "of", "on", "at", "by", "with", "into",
      "than", "as", "less", "more", "greater", "smaller", "means", "denotes", "represents", "becomes",
      "implies", "iff", "where", "which", "that", "these", "those", "its", "also", "only", "just",
    ]
    return Discovery.sentenceOpeners + math.filter { !Discovery.sentenceOpeners.contains($0) }
  }()

  /// The bytes of each of ``lowercaseNonLabels``, for the hand matcher.
  private static let lowercaseNonLabelBytes = lowercaseNonLabels.map { Array($0.utf8) }

  /// Terms that only a lower-case code makes (codes written in upper case here, compared
  /// ignoring case): chess squares before a word of chess (`e4 opening:`, `d5 pawn
  /// structure:`; `a4 spice combinator:` is no chess), and gases before a word of theirs
  /// (`o2 saturation:`, `h2 gas:`; `H2` and `O2` in upper case may be a generator's codes).
  static let lowercaseTerms: [(codes: [String], words: [String], year: Bool)] = [
    (
      "ABCDEFGH".flatMap { file in (1...8).map { "\(file)\($0)" } },
      [
        "opening", "openings", "gambit", "gambits", "defense", "defence", "attack", "variation", "variations",
        "line", "lines", "move", "moves", "pawn", "pawns", "push", "square", "squares", "advance", "break",
        "sacrifice", "sac", "exchange", "structure", "thrust", "lever", "system", "setup", "repertoire",
        "theory", "complex", "outpost", "weakness", "knight", "bishop", "rook", "queen", "king", "castling",
        "player", "players", "first", "sideline", "mainline", "counterattack", "endgame", "middlegame",
        // Openings named after the move (`c4 english opening:`, `e4 sicilian:`).
        "english", "sicilian", "french", "italian", "spanish", "scotch", "caro", "slav", "dutch", "london",
        "catalan", "pirc", "alekhine", "scandinavian", "benoni", "grunfeld", "nimzo", "indian", "ruy",
        "vienna", "petrov", "philidor", "evans", "budapest", "danish", "reti", "colle", "bird", "modern",
      ], false
    ),
    (
      ["H2", "O2", "N2", "O3"],
      [
        "gas", "gases", "level", "levels", "saturation", "sat", "sats", "molecule", "molecules", "atom",
        "atoms", "concentration", "concentrations", "content", "pressure", "partial", "uptake", "production",
        "evolution", "supply", "sensor", "sensors", "therapy", "consumption", "bond", "bonds", "flow",
        "delivery", "demand", "tank", "tanks", "cylinder", "cylinders", "mask", "binding", "transport",
        "layer", "depletion", "generation", "storage", "fuel",
      ], false
    ),
  ]

  /// Codes that open domain text, not a generator's family: chemical formulas of two letters
  /// or more (`CO2: carbon dioxide …`; `O2` or `H2` could as well be a generator's), fiscal
  /// years (`FY2024:`), and codes the next word makes a term: quarters (`Q1 revenue:`, `Q3 2024
  /// earnings:`), metrics and norms (`F1 score:`, `L2 loss:`), reactions (`SN2 reaction:`),
  /// vitamins (`B12 deficiency:`), MRI weightings (`T2 weighting:`), spinal levels with an
  /// anatomy word (`L5 vertebra:`, `C6 nerve root:`), US tax forms (`W2 forms:`, `I9
  /// verification:`; `1099` starts with a digit and is never a designator), cloud services
  /// (`S3 bucket policy:`, `EC2 instances:`), country groups (`G7 summit:`), isotopes of the
  /// one-letter elements (`U235 fission:`, `C14 dating:`, `I131 therapy:`), cell markers
  /// (`CD4 count:`), enzymes and receptors (`COX2 inhibitors:`, `ACE2 receptor:`) and
  /// viruses (`HPV16 infection:`), paper sizes (`A4 paper:`, `C5 envelope:`), photosynthetic
  /// pathways (`C4 plants:`), engine layouts (`V8 engine:`), thyroid hormones (`T4 levels:`),
  /// the coefficient of determination (`R2 value:`), incident priorities (`P1 incident:`),
  /// Kubernetes (`K8s cluster:`) and roads before a direction (`M3 motorway:`, `A1 southbound:`).
  ///
  /// Each entry is a code, the words (ignoring case) of which one must follow it after blanks
  /// (none: the code alone is the term), and whether a year may come between (`Q3 2024
  /// revenue`, `Q3 FY24 revenue`). A code or word is a whole word: `CO2x` and `F1 scorer` are
  /// not terms. A code with words stays a family code before any other word (`T2 persona:`,
  /// `B3 persona remix:`, `S3 spice combinator:`).
  static let domainTerms: [(codes: [String], words: [String], year: Bool)] = [
    (
      [
        "CO2", "CO2e", "NO2", "NO3", "SO2", "SO3", "SO4", "CH4", "NH3", "NH4", "PM10", "PO4", "CO3", "HCO3",
        "SF6",
      ],
      [], false
    ),
    (
      ["Q1", "Q2", "Q3", "Q4", "H1", "H2"],
      [
        "revenue", "revenues", "earnings", "sales", "results", "profit", "profits", "margin", "margins",
        "guidance", "growth", "gdp", "report", "numbers", "performance", "forecast", "outlook", "income",
      ], true
    ),
    (
      ["F1", "L1", "L2"],
      [
        "score", "scores", "loss", "norm", "regularization", "regularisation", "penalty", "cache", "distance",
      ],
      false
    ),
    (
      ["SN1", "SN2", "E1", "E2"],
      ["reaction", "reactions", "mechanism", "mechanisms", "elimination", "substitution", "pathway"], false
    ),
    (
      ["B1", "B2", "B3", "B5", "B6", "B7", "B9", "B12", "D2", "D3", "K1", "K2"],
      [
        "deficiency", "level", "levels", "supplement", "supplements", "supplementation", "intake", "toxicity",
        "absorption",
      ], false
    ),
    (
      // MRI: T1- and T2-weighted sequences.
      ["T1", "T2"],
      [
        "weighting", "weighted", "signal", "signals", "sequence", "sequences", "image", "images", "imaging",
        "relaxation", "map", "maps", "mapping", "contrast", "scan", "scans", "hyperintensity",
        "hypointensity", "hyperintense", "hypointense", "shortening", "prolongation", "flair", "star",
      ], false
    ),
    (
      // Spinal levels: cervical C1–C7, thoracic T1–T12, lumbar L1–L5, sacral S1–S5.
      (1...7).map { "C\($0)" } + (1...12).map { "T\($0)" } + (1...5).map { "L\($0)" }
        + (1...5).map { "S\($0)" },
      [
        "vertebra", "vertebrae", "vertebral", "nerve", "nerves", "root", "roots", "disc", "discs", "disk",
        "disks", "dermatome", "dermatomes", "myotome", "myotomes", "pedicle", "pedicles", "lamina", "laminae",
        "facet", "facets", "foramen", "radiculopathy", "spinous", "transverse", "herniation", "stenosis",
        "fracture", "fractures", "spinal",
      ], false
    ),
    (
      // US tax and employment forms.
      ["W2", "W3", "W4", "W7", "W8", "W9", "I9"],
      [
        "form", "forms", "filing", "filings", "wages", "income", "withholding", "employee", "employees",
        "employer", "employers", "box", "boxes", "copy", "copies", "deadline", "deadlines", "reporting",
        "contractor", "contractors", "worker", "workers", "verification", "tax", "taxes", "compliance",
      ], false
    ),
    (
      ["S3"],
      [
        "bucket", "buckets", "object", "objects", "storage", "policy", "policies", "access", "key", "keys",
        "prefix", "prefixes", "versioning", "lifecycle", "endpoint", "endpoints", "upload", "uploads",
        "console",
        "api", "url", "urls", "permissions", "acl", "acls", "event", "events", "replication", "encryption",
      ], false
    ),
    (
      ["EC2"],
      [
        "instance", "instances", "fleet", "ami", "amis", "pricing", "security", "cluster", "host", "hosts",
        "node", "nodes", "volume", "volumes", "autoscaling", "spot", "reserved", "api", "console",
      ], false
    ),
    (
      // Groups of countries.
      ["G7", "G8", "G20", "G77"],
      [
        "summit", "summits", "leader", "leaders", "country", "countries", "nation", "nations", "member",
        "members", "meeting", "meetings", "minister", "ministers", "communique", "economies", "presidency",
        "agenda", "statement", "declaration", "finance", "talks",
      ], false
    ),
    (
      // Isotopes: an element written with one letter (so an upper-case code) and a mass number.
      isotopes.flatMap { element, masses in masses.map { "\(element)\($0)" } },
      [
        "fission", "decay", "dating", "isotope", "isotopes", "nucleus", "nuclei", "atom", "atoms",
        "enrichment", "enriched", "abundance", "labeling", "labelling", "labeled", "labelled", "tracer",
        "tracers", "content", "concentration", "emission", "emitter", "activity", "therapy", "uptake", "fuel",
        "ratio", "ratios", "nmr", "spectroscopy", "radioactivity", "radiation", "capture", "production",
      ], false
    ),
    (
      // Cell markers.
      ["CD4", "CD8", "CD19", "CD20", "CD34", "CD45"],
      [
        "count", "counts", "cell", "cells", "t", "b", "lymphocyte", "lymphocytes", "receptor", "receptors",
        "expression", "marker", "markers", "ratio",
      ], false
    ),
    (
      // Enzymes and receptors.
      ["COX1", "COX2", "ACE2"],
      [
        "inhibitor", "inhibitors", "inhibition", "enzyme", "enzymes", "expression", "receptor", "receptors",
        "binding", "activity",
      ], false
    ),
    (
      // ISO 216 paper and envelope sizes.
      (0...10).flatMap { ["A\($0)", "B\($0)", "C\($0)"] },
      [
        "paper", "papers", "sheet", "sheets", "size", "sizes", "envelope", "envelopes", "poster", "posters",
        "printing", "printer", "notebook", "folder", "folders", "booklet", "landscape", "portrait",
      ], false
    ),
    (
      // Photosynthetic pathways.
      ["C3", "C4"],
      [
        "plant", "plants", "photosynthesis", "pathway", "pathways", "grass", "grasses", "crop", "crops",
        "species", "carbon", "fixation", "metabolism", "cycle", "leaf", "leaves", "anatomy",
      ], false
    ),
    (
      // Engine layouts: vee, inline, flat and W configurations.
      ["V6", "V8", "V10", "V12", "V16", "I3", "I4", "I6", "W12", "W16", "H4", "H6"],
      [
        "engine", "engines", "motor", "motors", "block", "blocks", "layout", "configuration", "cylinder",
        "cylinders", "displacement", "power", "torque", "sound", "exhaust", "swap",
      ], false
    ),
    (
      // Thyroid hormones.
      ["T3", "T4"],
      [
        "level", "levels", "hormone", "hormones", "test", "tests", "thyroid", "replacement", "dose", "dosing",
      ],
      false
    ),
    (
      // The coefficient of determination and the incident priorities of operations teams.
      ["R2"], ["value", "values", "score", "scores", "statistic", "coefficient"], false
    ),
    (
      ["P0", "P1", "P2", "P3", "P4"],
      [
        "priority", "priorities", "incident", "incidents", "bug", "bugs", "ticket", "tickets", "outage",
        "issue",
      ],
      false
    ),
    (
      ["K8s"],
      [
        "cluster", "clusters", "pod", "pods", "deployment", "deployments", "manifest", "manifests", "node",
        "nodes", "service", "services", "namespace", "namespaces", "operator", "ingress",
      ], false
    ),
    (
      // British and Irish roads: motorways, A roads and national roads, before a direction or
      // a word of traffic.
      (1...99).flatMap { ["M\($0)", "A\($0)", "N\($0)"] },
      [
        "motorway", "motorways", "junction", "junctions", "traffic", "corridor", "roadworks", "northbound",
        "southbound", "eastbound", "westbound", "clockwise", "anticlockwise", "counterclockwise",
        "carriageway", "closure", "closures",
      ], false
    ),
    (
      ["HPV16", "HPV18"],
      [
        "infection", "infections", "vaccine", "vaccination", "strain", "strains", "positive", "dna", "status",
      ],
      false
    ),
  ]

  /// The mass numbers of the isotopes that texts name, of the elements whose symbol is one
  /// letter (a two-letter symbol, `Pu239`, has a lower-case letter and is no designator).
  static let isotopes: [(element: String, masses: [Int])] = [
    ("H", [2, 3]), ("B", [10, 11]), ("C", [11, 12, 13, 14]), ("N", [13, 14, 15]), ("O", [15, 16, 17, 18]),
    ("F", [18, 19]), ("P", [31, 32, 33]), ("S", [32, 33, 34, 35, 36]), ("K", [39, 40, 41]), ("V", [50, 51]),
    ("Y", [89, 90]), ("I", [123, 124, 125, 129, 131]), ("W", [180, 182, 183, 184, 186]),
    ("U", [232, 233, 234, 235, 236, 238, 239]),
  ]

  /// ``domainTerms`` as a regex: what the lookahead at the start of ``pattern`` rules out (a
  /// fiscal year's code, `FY` and two to four digits, among them).
  static let domainTermsPattern: String = ([#"FY[0-9]{2,4}\b"#] + [termsPattern(domainTerms)]).joined(
    separator: "|")

  /// A table of terms as a regex: each entry's codes, then (when it has words) blanks, a year
  /// where the entry allows one, and one of its words, ignoring case.
  static func termsPattern(_ terms: [(codes: [String], words: [String], year: Bool)]) -> String {
    terms.map { entry -> String in
      let codes = "(?:" + entry.codes.joined(separator: "|") + ")"
      guard !entry.words.isEmpty else { return codes + #"\b"# }
      let year = entry.year ? #"(?:[ \t\u00A0]+(?:FY)?[0-9]{2,4})?"# : ""
      return codes + year + #"[ \t\u00A0]+(?i:"# + entry.words.joined(separator: "|") + #")\b"#
    }.joined(separator: "|")
  }

  /// The indices into `terms` of each code's entries, by the code's ``packed(_:)`` bytes (in
  /// upper case when `upper`).
  private static func codeEntries(_ terms: [(codes: [String], words: [String], year: Bool)], upper: Bool)
    -> [UInt64: [Int]]
  {
    var out: [UInt64: [Int]] = [:]
    for (k, entry) in terms.enumerated() {
      for code in entry.codes {
        out[packed(Array((upper ? code.uppercased() : code).utf8)[...]), default: []].append(k)
      }
    }
    return out
  }

  private static let domainCodeEntries = codeEntries(domainTerms, upper: false)

  /// A bit per ``packed(_:)`` code hash, set for the codes of ``domainCodeEntries`` (`upper`
  /// false) or ``codeEntriesIgnoringCase``: most codes an opening starts with (`A4`, `E1`) are
  /// no term's and are ruled out without a dictionary lookup.
  private static func codeFilter(_ entries: [UInt64: [Int]]) -> CodeFilter {
    var bits = CodeFilter()
    for key in entries.keys { bits.insert(key) }
    return bits
  }
  private static let domainCodeFilter = codeFilter(domainCodeEntries)
  private static let codeFilterIgnoringCase = codeFilter(codeEntriesIgnoringCase)

  /// 512 bits in eight words, inline (no array to retain on a lookup).
  struct CodeFilter: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
      0, 0, 0, 0, 0, 0, 0, 0
    )
    @inline(__always) private static func bit(_ key: UInt64) -> (word: Int, mask: UInt64) {
      let h = (key &* 0x9E37_79B9_7F4A_7C15) >> 55  // 9 bits
      return (Int(h >> 6), 1 << (h & 63))
    }
    mutating func insert(_ key: UInt64) {
      let (w, m) = Self.bit(key)
      withUnsafeMutableBytes(of: &words) {
        $0.storeBytes(
          of: $0.load(fromByteOffset: w * 8, as: UInt64.self) | m, toByteOffset: w * 8, as: UInt64.self)
      }
    }
    @inline(__always) func mayContain(_ key: UInt64) -> Bool {
      let (w, m) = Self.bit(key)
      return withUnsafeBytes(of: words) { $0.load(fromByteOffset: w * 8, as: UInt64.self) } & m != 0
    }
  }

  /// ``domainTerms`` and ``lowercaseTerms``, whose codes the lower-case rule compares ignoring
  /// case, and their entries by upper-case code.
  private static let termsIgnoringCase = domainTerms + lowercaseTerms
  private static let codeEntriesIgnoringCase = codeEntries(termsIgnoringCase, upper: true)

  /// Up to eight bytes as one number, with the length in the top byte (no code is longer
  /// than seven); 0 for longer runs, which no entry has.
  static func packed(_ bytes: some Collection<UInt8>) -> UInt64 {
    guard bytes.count < 8 else { return 0 }
    return bytes.reduce(0) { $0 << 8 | UInt64($1) } | UInt64(bytes.count) << 56
  }

  /// Whether the plain ASCII `w` starts with one of ``domainTerms`` (``domainTermsPattern``).
  static func startsWithDomainTerm(_ w: UnsafeBufferPointer<UInt8>) -> Bool {
    startsWithTerm(w, ignoringCase: false)
  }

  /// Whether the plain ASCII `w` starts with one of ``domainTerms`` or, `ignoringCase`, with
  /// one of them or of ``lowercaseTerms`` in any case (the lookahead of ``lowercasePattern``).
  static func startsWithTerm(_ w: UnsafeBufferPointer<UInt8>, ignoringCase: Bool) -> Bool {
    func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A || ignoringCase && b >= 0x61 && b <= 0x7A }
    guard let head = w.first, isUpper(head) else { return false }
    let n = w.count
    func isWord(_ b: UInt8) -> Bool { LiteralSet.isWordByte(b) }
    func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    /// The end of the run of `test` bytes from `i`.
    func run(_ i: Int, _ test: (UInt8) -> Bool) -> Int {
      var j = i
      while j < n && test(w[j]) { j += 1 }
      return j
    }
    /// Whether `w[i..<end]` is `word` (lower-case ASCII), ignoring case when `fold`.
    func equals(_ i: Int, _ end: Int, _ word: String, fold: Bool) -> Bool {
      guard end - i == word.utf8.count else { return false }
      return zip(w[i..<end], word.utf8).allSatisfy {
        (fold && $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1
      }
    }
    /// `FY` (`fy` in any case when ignoring case) at `i`.
    func fiscal(_ i: Int) -> Bool {
      ignoringCase ? equals(i, min(i + 2, n), "fy", fold: true) : equals(i, min(i + 2, n), "FY", fold: false)
    }
    // Codes and words are whole: each is the run of word bytes where it starts.
    let codeEnd = run(0, isWord)
    // Every code of a term is one letter or has a capital or a digit second (`C`, `CO2`, `Q1`,
    // `FY2024`): most openings (`Okay, so`) are ruled out before the table lookup.
    if !ignoringCase && codeEnd > 1 && !(w[1] >= 0x41 && w[1] <= 0x5A || w[1] >= 0x30 && w[1] <= 0x39) {
      return false
    }
    let digitsStart = run(0, isUpper)
    if codeEnd >= 2 && fiscal(0) && digitsStart == 2 {
      let digits = run(2) { $0 >= 0x30 && $0 <= 0x39 }
      if digits == codeEnd && (4...6).contains(digits) { return true }
    }
    // Most codes are not a term's: one table lookup rules them out.
    let code = w[..<codeEnd]
    let key =
      ignoringCase
      ? Self.packed(code.lazy.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }) : Self.packed(code)
    guard ignoringCase ? Self.codeFilterIgnoringCase.mayContain(key) : Self.domainCodeFilter.mayContain(key),
      let entries = ignoringCase ? Self.codeEntriesIgnoringCase[key] : Self.domainCodeEntries[key]
    else { return false }
    let terms = ignoringCase ? Self.termsIgnoringCase : domainTerms
    for index in entries {
      let entry = terms[index]
      if entry.words.isEmpty { return true }
      var i = run(codeEnd, isBlank)
      guard i > codeEnd else { continue }
      if entry.year {
        // An optional year (`FY` and two to four digits, then blanks) before the word.
        let digitsFrom = fiscal(i) ? i + 2 : i
        let digits = run(digitsFrom) { $0 >= 0x30 && $0 <= 0x39 }
        let after = run(digits, isBlank)
        if (2...4).contains(digits - digitsFrom) && after > digits { i = after }
      }
      let wordEnd = run(i, isWord)
      if entry.words.contains(where: { equals(i, wordEnd, $0, fold: true) }) { return true }
    }
    return false
  }

  /// Whether the regex matches at the start of the first 160 Characters of `text`, or `nil`
  /// when those are not plain ASCII (then ICU decides).
  static func matchesStart(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
    guard let n = RowBytes.asciiCharacterPrefix(text, 160) else { return nil }
    return matchLength(UnsafeBufferPointer(rebasing: text[..<n])) != nil
  }

  /// The length of the regex's match at the start of the plain ASCII `w`, as ICU's
  /// backtracking finds it, or `nil` for no match.
  ///
  /// Words are maximal runs (a shorter one leaves a word byte where a blank or a separator must
  /// follow), so the match is decided by how many words the greedy `{0,5}` takes: the most
  /// after which a separator follows, as ICU tries them from the most down.
  static func matchLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    if let head = w.first, head >= 0x61 && head <= 0x7A { return lowercaseMatchLength(w) }
    if startsWithDomainTerm(w) { return nil }
    let n = w.count
    func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    func isWord(_ b: UInt8) -> Bool {
      isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x27 || b == 0x2D
    }
    func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
    func blanks(from start: Int) -> Int {
      var j = start
      while j < n && isBlank(w[j]) { j += 1 }
      return j
    }
    var i = 0
    while i < n && isUpper(w[i]) { i += 1 }
    guard i >= 1 && i <= 3 else { return nil }
    let digits = i
    while i < n && isDigit(w[i]) { i += 1 }
    guard i - digits >= 1 && i - digits <= 4 else { return nil }
    if i < n && w[i] >= 0x61 && w[i] <= 0x7A { i += 1 }
    // Where the code and each of up to five words (each after blanks) end.
    var ends = (i, 0, 0, 0, 0, 0)
    var words = 0
    while words < 5 {
      var j = blanks(from: i)
      guard j > i, j < n, isWord(w[j]) else { break }
      while j < n && isWord(w[j]) { j += 1 }
      words += 1
      i = j
      withUnsafeMutableBytes(of: &ends) { $0.storeBytes(of: j, toByteOffset: words * 8, as: Int.self) }
    }
    for k in stride(from: words, through: 0, by: -1) {
      let p = withUnsafeBytes(of: ends) { $0.load(fromByteOffset: k * 8, as: Int.self) }
      let q = blanks(from: p)
      if q < n && (w[q] == UInt8(ascii: ":") || w[q] == UInt8(ascii: "|")) { return blanks(from: q + 1) }
      // ` - `: its space is the last blank.
      if q > p && w[q - 1] == 0x20 && q + 1 < n && w[q] == UInt8(ascii: "-") && w[q + 1] == 0x20 {
        return blanks(from: q + 2)
      }
    }
    return nil
  }

  /// The length of ``lowercasePattern``'s match at the start of the plain ASCII `w`, or `nil`.
  ///
  /// Its words are letters, apostrophes and hyphens between blanks: each is a maximal run (a
  /// shorter one leaves a letter where a blank or the colon must follow), so the match is the
  /// words up to the first colon, if one comes after two to five of them and nothing else.
  static func lowercaseMatchLength(_ w: UnsafeBufferPointer<UInt8>) -> Int? {
    let n = w.count
    let isDigit = NoteMatcher.isDigit
    func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    func blanks(from start: Int) -> Int { NoteMatcher.run(w, from: start, NoteMatcher.isBlank) }
    guard n > 1, isLower(w[0]), isDigit(w[1]) else { return nil }
    var i = 1
    while i < n && isDigit(w[i]) { i += 1 }
    guard i <= 4 else { return nil }
    var j = blanks(from: i)
    guard j > i, !startsWithTerm(w, ignoringCase: true),
      !NoteMatcher.startsWithWord(w, at: j, oneOf: lowercaseNonLabelBytes)
    else { return nil }
    for words in 1...5 {
      guard j < n, NoteMatcher.isLetter(w[j]) else { return nil }
      var k = j + 1
      while k < n && (isLower(w[k]) || w[k] == 0x27 || w[k] == 0x2D) { k += 1 }
      guard k - j >= 2 else { return nil }
      let q = blanks(from: k)
      // A colon after the first word: no label (the regex cannot take a colon inside one).
      if q < n && w[q] == UInt8(ascii: ":") { return words >= 2 ? blanks(from: q + 1) : nil }
      guard q > k else { return nil }
      j = q
    }
    return nil
  }
}

extension RunTogetherDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    // The text without tags is part of the segments: ASCII when they are.
    guard scratch.wordsRead else { return bytes.withPlain { check.flags(in: $0, knownASCII: bytes.isASCII) } }
    if scratch.wordsOfModelText {
      return bytes.withModel { model in
        bytes.withPlain {
          check.flags(in: $0, words: scratch.words, longWordsIn: model, knownASCII: bytes.isASCII)
        }
      }
    }
    return bytes.withPlain { check.flags(in: $0, words: scratch.words, knownASCII: bytes.isASCII) }
  }

  var readsWords: Bool { true }
}

extension MojibakeDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    if bytes.isASCII { return false }
    let possible = bytes.withStorage { all in
      bytes.segments.contains { MojibakeCheck.mayContain(UnsafeBufferPointer(rebasing: all[$0])) }
    }
    return possible ? nil : false
  }
}

extension ScriptDriftDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    // ASCII is Latin letters and Common symbols: no drift where Latin is expected (what
    // `mayFlag` finds by reading the text).
    if bytes.isASCII && check.expectsLatin { return false }
    return bytes.withPlain { check.mayFlag($0) } ? nil : false
  }
}

extension RepetitionDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    if !scratch.wordsRead { scratch.readWords(of: bytes) }
    return check.flags(words: scratch.words)
  }

  var readsWords: Bool { true }
}

extension EmptyResponseDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    // A row without model text may have had a tool call, which only the parsed row tells: the
    // bytes answer only for a row with some.
    bytes.modelHasASCIIText ? false : nil
  }
}

extension ThinkStructureDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    let traces = bytes.rowTraces
    if requireThink ?? true && traces.allSatisfy({ $0.blocks.isEmpty }) { return true }
    for trace in traces where !trace.blocks.isEmpty {
      if trace.nested || trace.strayCloseTags > 0 { return true }
      if trace.blocks.count > 1 {
        guard bytes.shape == .text else { return true }
        let blocks = trace.blocks
        let most = bytes.withStorage { all in
          Self.mostBlocksInOneTurn(blocks.count) { k in
            let (end, start) = (blocks[k].range.upperBound, blocks[k + 1].range.lowerBound)
            guard end <= start else { return false }
            return Self.turnMarkers.firstMatch(in: UnsafeBufferPointer(rebasing: all[end..<start])) != nil
          }
        }
        if most > 1 { return true }
      }
      if trace.blocks.contains(where: { !$0.closed }) { return true }
      var empty = true
      for block in trace.blocks {
        guard let blank = bytes.isBlank(block.range) else { return nil }
        if !blank {
          empty = false
          break
        }
      }
      if empty { return true }
    }
    return false
  }
}

extension SpecialTokenDetector: ByteDetector {
  func flags(_ bytes: RowBytes, _ scratch: inout DetectionScratch) -> Bool? {
    // Byte comparisons equal Swift's Character comparisons for the built-in tokens only.
    if let template, !ChatTemplateTokens.named.contains(template) { return nil }
    return bytes.withStorage { all -> Bool? in
      guard bytes.shape == .text, let first = bytes.segments.first else {
        return bytes.segments.contains {
          search.tokens.firstMatch(in: UnsafeBufferPointer(rebasing: all[$0])) != nil
        }
      }
      let text = UnsafeBufferPointer(rebasing: all[first])
      if Self.lookalike(in: text) != nil { return true }
      guard let (t, stray) = inspect(text) else { return false }
      if stray != nil { return true }
      if let bos = t.bos {
        let token = Array(bos.utf8)
        guard text.starts(with: token) else { return true }
        if text.count > token.count && text[token.count] >= 0x80 { return nil }  // may extend the Character
        if t.hasMisplacedBOS(text) { return true }
      }
      if let eos = t.eos {
        let token = Array(eos.utf8)
        var end = text.count
        while end > 0 && RowBytes.isASCIISpace(text[end - 1]) { end -= 1 }
        guard end >= token.count, text[(end - token.count)..<end].elementsEqual(token) else { return true }
        if end > token.count && text[end - token.count - 1] >= 0x80 { return nil }  // a Prepend character
        if t.hasMisplacedEOS(text) { return true }
      }
      return false
    }
  }
}

/// Runs of blanks and line breaks between words, for the rules that match across them
/// (``RuleDetector/matchesAcrossBlankRuns``).
enum BlankRuns {
  @inline(__always) static func isBlankOrBreak(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
  }

  /// Whether a run of spaces, tabs and line breaks joins two words: it is not one space, and
  /// it stands after an ASCII letter or an apostrophe and before a lower-case ASCII letter, a
  /// digit or a `#` (`diversify  by`, `duplicate\nof`, `don't\tsay`, `dup of\n3886`), where
  /// a phrase may stand wrapped or with doubled spaces. A break before a capital starts a line
  /// of its own (`Plan\nThe claim`), as most of a corpus's line breaks do.
  @inline(__always) static func joinsWords(before: UInt8, after: UInt8) -> Bool {
    (NoteMatcher.isLetter(before) || before == 0x27)
      && (after >= 0x61 && after <= 0x7A || after >= 0x30 && after <= 0x39 || after == 0x23)
  }

  /// Whether `text` holds a run that ``joinsWords(before:after:)``. Read eight bytes at a time
  /// (most texts hold a few line breaks, after punctuation).
  static func mayJoinWords(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = text.baseAddress, text.count > 2 else { return false }
    func joins(_ at: Int) -> Bool {
      var lo = at
      while lo > 0 && isBlankOrBreak(text[lo - 1]) { lo -= 1 }
      var hi = at
      while hi < text.count && isBlankOrBreak(text[hi]) { hi += 1 }
      guard lo > 0, hi < text.count else { return false }
      return joinsWords(before: text[lo - 1], after: text[hi])
    }
    // Eight bytes at a time: a tab or a line break (a byte below 0x0E), or two spaces in a
    // row (within the eight bytes, or the last of the eight before and the first).
    let raw = UnsafeRawPointer(base)
    var i = 0
    var lastWasSpace = false
    while i + 8 <= text.count {
      let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      let spaces = SWAR.equalMask(v, 0x20)
      var pairs = spaces & (spaces >> 8)
      if lastWasSpace && spaces & 0x80 != 0 && joins(i) { return true }
      lastWasSpace = spaces >> 63 != 0
      if SWAR.hasByteBelow(v, 0x0E) {
        for k in i..<(i + 8) where text[k] == 0x0A || text[k] == 0x09 || text[k] == 0x0D {
          if joins(k) { return true }
        }
      }
      while pairs != 0 {
        if joins(i + pairs.trailingZeroBitCount / 8) { return true }
        pairs &= pairs - 1
      }
      i += 8
    }
    if lastWasSpace && i < text.count && text[i] == 0x20 && joins(i) { return true }
    while i < text.count {
      let b = text[i]
      if (b == 0x0A || b == 0x09 || b == 0x0D || (b == 0x20 && i + 1 < text.count && text[i + 1] == 0x20))
        && joins(i)
      {
        return true
      }
      i += 1
    }
    return false
  }

  /// Writes `text` with each run that ``joinsWords(before:after:)`` as one space into `out`
  /// (at least `text.count` bytes), every other byte as it is; the bytes written. What matches
  /// in it does not depend on runs elsewhere in the text.
  static func collapse(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int
  {
    var n = 0
    var i = 0
    let raw = UnsafeRawPointer(text.baseAddress)
    let store = UnsafeMutableRawPointer(out.baseAddress)
    while i < text.count {
      // Eight bytes as they are when no run in them changes: no tab or line break (nor another
      // byte below 0x0E), no two spaces in a row, and no space at their end that a blank after
      // them continues. Runs start only after a byte copied as it is, so none began before.
      if i + 8 <= text.count, let raw, let store {
        let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let spaces = SWAR.equalMask(v, 0x20)
        if !SWAR.hasByteBelow(v, 0x0E) && spaces & (spaces << 8) == 0
          && !(spaces >> 63 != 0 && i + 8 < text.count && isBlankOrBreak(text[i + 8]))
        {
          store.storeBytes(of: v, toByteOffset: n, as: UInt64.self)
          n += 8
          i += 8
          continue
        }
      }
      guard isBlankOrBreak(text[i]) else {
        out[n] = text[i]
        n += 1
        i += 1
        continue
      }
      var j = i
      while j < text.count && isBlankOrBreak(text[j]) { j += 1 }
      if i > 0 && j < text.count && joinsWords(before: text[i - 1], after: text[j]) {
        out[n] = 0x20
        n += 1
      } else {
        for k in i..<j {
          out[n] = text[k]
          n += 1
        }
      }
      i = j
    }
    return n
  }

  /// `text` with each run that ``joinsWords(before:after:)`` as one space (``collapse(_:into:)``).
  static func collapsed(_ text: String) -> String {
    var text = text
    return text.withUTF8 { bytes in
      String(unsafeUninitializedCapacity: max(1, bytes.count)) { collapse(bytes, into: $0) }
    }
  }
}
