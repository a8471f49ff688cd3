import EvalCore
import TestSupport
import Testing

@testable import LeakScanner

@Suite struct ScaffoldPrefixTests {
  let detector = BuiltinDetectors.scaffoldPrefix()

  @Test(arguments: [
    ("<think>\nA4 spice combinator: Anticipation needs every element.</think>ok", "A4 spice combinator: "),
    ("<think>E1 — the examiner erred.</think>ok", "E1 — "),
    ("<think>[variant 7] Let me think.</think>ok", "[variant 7] "),
    ("<think>persona=tax-attorney style=terse Now the claim.</think>ok", "persona=tax-attorney style=terse "),
    ("<think>Remix 2: start with the base case.</think>ok", "Remix 2: "),
    ("Seed 41: reasoning with a prefilled tag\n</think>answer", "Seed 41: "),
    ("<think>Persona: a patent examiner. The claim.</think>ok", "Persona: "),
    ("<think>Variant B: swap the numbers.</think>ok", "Variant B: "),
    ("<think>seed=42 topic=claims The claim.</think>ok", "seed=42 topic=claims "),
    ("<think>persona_v2=lawyer The claim.</think>ok", "persona_v2=lawyer "),
    ("<think>**Variant 2:** the claim.</think>ok", "**Variant 2:** "),
    ("<think>### Persona: lawyer reading the claim.</think>ok", "### Persona: "),
    ("<think>(Remix 3) The claim.</think>ok", "(Remix 3) "),
    ("<think>Persona (tax attorney): the claim.</think>ok", "Persona (tax attorney): "),
    ("<think>Variant-2: the claim.</think>ok", "Variant-2: "),
    ("<think>VARIANT 2 — the claim.</think>ok", "VARIANT 2 — "),
    ("<think>Batch-7: the claim.</think>ok", "Batch-7: "),
    ("<think>Seed: 41 the claim.</think>ok", "Seed: 41 "),
    ("<think>#variant3 the claim.</think>ok", "#variant3 "),
    ("<think>Template B: the claim.</think>ok", "Template B: "),
    ("<think>[[batch 12]] the claim.</think>ok", "[[batch 12]] "),
    ("<think>[gen] The claim.</think>ok", "[gen] "),
    ("<think>[mode: formal] The claim.</think>ok", "[mode: formal] "),
    ("<think>[A4] The claim.</think>ok", "[A4] "),
    ("<think>[Verse 3 remix] The claim.</think>ok", "[Verse 3 remix] "),
    // A short value after the label that a dash ends is part of it (repair cuts it too).
    ("<think>Persona: grumpy pirate — Arr, the claim.</think>ok", "Persona: grumpy pirate — "),
    ("<think>Persona: tax attorney - the claim.</think>ok", "Persona: tax attorney - "),
    ("<think>Remix 2: duplicate-free version. The claim.</think>ok", "Remix 2: "),
    // And a one-word value ending its sentence before the next (`--repair` keeps no stray word).
    ("<think>Persona: pilot. Right, the claim.</think>ok", "Persona: pilot. "),
    ("<think>Persona: Nurse. The claim.</think>ok", "Persona: Nurse. "),
    ("<think>Persona: Three plus three is six.</think>ok", "Persona: "),
    ("<think>Persona: pilot. the claim.</think>ok", "Persona: "),
    // Invisible characters before the tag do not hide it.
    ("<think>\n\u{FEFF}A4 spice combinator: the claim.</think>ok", "A4 spice combinator: "),
    ("<think>\u{200B}\u{00A0}A4 spice combinator: the claim.</think>ok", "A4 spice combinator: "),
    // A domain term's code with another label is still a family code.
    ("<think>Q3 spice combinator: the claim.</think>ok", "Q3 spice combinator: "),
    ("<think>F1 persona: the claim.</think>ok", "F1 persona: "),
    ("<think>CO2x variant: the claim.</think>ok", "CO2x variant: "),
    ("<think>[Smith variant] The claim.</think>ok", "[Smith variant] "),
    ("<think>H2 persona: the claim.</think>ok", "H2 persona: "),
    // A label alone on the first line.
    ("<think>### Variant 3\nOkay, so the claim.</think>ok", "### Variant 3\n"),
    ("<think>[variant 3] Notes: the claim.</think>ok", "[variant 3] "),
    ("<think>[Persona: tutor]: is the claim new?</think>ok", "[Persona: tutor]: "),
    ("<think>persona=pirate Should I cancel claim 9?</think>ok", "persona=pirate "),
    // A no-break space for a space, a fullwidth colon for a colon.
    ("<think>A4\u{00A0}spice combinator: the claim.</think>ok", "A4\u{00A0}spice combinator: "),
    ("<think>A4 spice combinator： the claim.</think>ok", "A4 spice combinator： "),
    (
      "<think>A4\u{00A0}spice\u{00A0}combinator：\u{00A0}the claim.</think>ok",
      "A4\u{00A0}spice\u{00A0}combinator：\u{00A0}"
    ),
    ("<think>E1：the claim.</think>ok", "E1："),
    ("<think>QA12b\u{00A0}persona — the claim.</think>ok", "QA12b\u{00A0}persona — "),
    // A lower-case code before a label of prose words and a colon.
    ("<think>a4 spice combinator: the claim.</think>ok", "a4 spice combinator: "),
    ("<think>b12 persona remix: the claim.</think>ok", "b12 persona remix: "),
    ("<think>e7 Tax Attorney: the claim.</think>ok", "e7 Tax Attorney: "),
    ("<think>c3 don't-panic mode: the claim.</think>ok", "c3 don't-panic mode: "),
    ("<think>a4\u{00A0}spice combinator： the claim.</think>ok", "a4\u{00A0}spice combinator： "),
  ])
  func flagsScaffolding(output: String, prefix: String) throws {
    let f = findings(detector, output)
    #expect(f.count == 1)
    #expect(f.first?.repairPrefix == prefix)
  }

  @Test(arguments: [
    "<think>Okay, so the claim recites a housing.</think>ok",
    "<think>B12 is a vitamin the patient lacks.</think>ok",
    "<think>Strategy matters here: compare both claims.</think>ok",
    "<think>Let me check [1] and [2] in the references.</think>ok",
    "<think>x = 3 satisfies the equation.</think>ok",
    "<think>x=3 is a root of the cubic.</think>ok",
    "<think>Template metaprogramming: the compiler expands it.</think>ok",
    "<think>Batch normalization: it rescales activations.</think>ok",
    "<think>Family: Rosaceae, so the plant is a rose.</think>ok",
    "<think>Variant calling\nfinds the SNPs first.</think>ok",
    "<think>Template\nmetaprogramming expands it.</think>ok",
    "<think>Seed: the question asks about germination.</think>ok",
    "<think>Generator loss: 0.42 after the first epoch.</think>ok",
    "<think>Variant type: missense, so the protein changes.</think>ok",
    "<think>Generator expressions: they yield lazily.</think>ok",
    "<think>### Summary: the claim holds.</think>ok",
    "<think>(Batch processing) runs overnight.</think>ok",
    "<think>Seed: the question asks about germination 4 times.</think>ok",
    "No reasoning block, A4 spice combinator: appears later.",
    // Domain terms that look like family codes.
    "<think>Q1 revenue: up 12% on the year.</think>ok",
    "<think>Q3 2024 earnings: the margin widened.</think>ok",
    "<think>H2 FY24 guidance: flat.</think>ok",
    "<think>FY2024: revenue grew.</think>ok",
    "<think>CO2: carbon dioxide is a greenhouse gas.</think>ok",
    "<think>F1 score: the harmonic mean of precision and recall.</think>ok",
    "<think>L2 regularization — it shrinks the weights.</think>ok",
    "<think>SN2 reaction: the nucleophile attacks from behind.</think>ok",
    "<think>B12 deficiency: fatigue and anemia.</think>ok",
    // A tag the sentence goes on from is its subject.
    "<think>max_iter=100 is the default in scikit-learn.</think>ok",
    "<think>[Wikipedia] says the river is 6,650 km long.</think>ok",
    // Lyrics, logs, transcripts, checklists and PGN open with brackets of their own.
    "<think>[Chorus] We sing it twice.</think>ok", "<think>[Verse 3] The river runs on.</think>ok",
    "<think>[INFO] Server started on port 8080.</think>ok", "<think>[x] Buy milk.</think>ok",
    "<think>[Applause] Thank you all.</think>ok", "<think>[Part 2] The proof continues.</think>ok",
    "<think>[Event \"Club Championship 2021\"] White opens with e4.</think>ok",
  ])
  func leavesNaturalOpeningsAlone(output: String) {
    #expect(findings(detector, output).isEmpty)
  }

  /// Codes of medicine, tax, cloud, diplomacy, physics and biology that a term's word follows
  /// open domain text, not a family.
  @Test(arguments: [
    "T2 weighting: the lesion is hyperintense.", "T1 weighted images: fat is bright.",
    "L5 vertebra: herniation compresses the nerve.", "C6 nerve root: the biceps reflex drops.",
    "T12 fracture: a wedge deformity.", "S1 radiculopathy: the ankle reflex is lost.",
    "W2 forms: employers must file them by January 31.", "I9 verification: the employer checks identity.",
    "S3 bucket policy: deny public reads.", "EC2 instances: pick a type by workload.",
    "G7 summit: leaders agreed on sanctions.", "G20 finance ministers: they met in Rio.",
    "U235 fission: releases about 200 MeV.", "C14 dating: the half-life is 5,730 years.",
    "I131 therapy: the thyroid takes it up.", "B3 deficiency: pellagra.",
    "CD4 count: 350 cells per microliter.",
    "COX2 inhibitors: celecoxib is one.", "HPV16 infection: the main cause.", "SF6: a potent greenhouse gas.",
    "A4 paper: 210 x 297 mm.", "C5 envelope: it takes A5 sheets.", "B5 notebook: 176 x 250 mm.",
    "C4 plants: fix carbon efficiently.", "C3 photosynthesis: rubisco fixes carbon.",
    "V8 engine: displacement 5.0 L.", "I4 engines: most compact cars use one.", "V12 sound: a shriek.",
    "T4 levels: thyroid function is low.", "R2 value: 0.93 on the test set.", "P1 incident: the API is down.",
    "K8s cluster: pods are pending.", "M25 motorway: traffic is slow.",
  ])
  func leavesDomainCodeOpeningsAlone(opening: String) {
    #expect(findings(detector, "<think>\(opening)</think>ok").isEmpty, "\(opening)")
  }

  /// Lower-case codes are math, chemistry and chess unless prose words and a colon follow;
  /// domain terms stay terms with a no-break space or a fullwidth colon.
  @Test(arguments: [
    // Math.
    "x2 + y2: the sum of squares.", "a1 = 3: so the sequence starts at three.", "a3 is the answer.",
    "a3 is the answer: 5.", "n2 choose k: the binomial.", "x1 so the root: 3.", "x3 let me see: 4.",
    "a1 a2 a3: the first terms.", "k2 x: a constant.", "v2 - the second velocity.", "p1 | p2 holds.",
    "a12345 spice: too many digits.", "ab3 spice combinator: two letters.",
    // Chemistry.
    "h2o: water boils at 100 C.", "h2o molecule: bent.", "co2 emissions: they rose.", "o2 saturation: 95%.",
    "h2 gas: flammable.", "c14 dating: the half-life is 5,730 years.", "b12 deficiency: fatigue.",
    "ch4 combustion: it releases heat.",
    // Chess.
    "e4: the king's pawn.", "e4 opening: the king's pawn.", "d5 pawn structure: Black holds the center.",
    "e4 e5: the open game.", "Nf3: develops the knight.", "Qh5: the queen eyes f7.", "O-O: castles.",
    "c4 english opening: a flank start.",
    // Domain terms, whatever the blanks and colons.
    "q3 revenue: up 4%.", "f1 score: 0.9.", "t2 weighted MRI: the lesion is bright.",
    "T2 weighted MRI: the lesion is bright.", "T2\u{00A0}weighted MRI: the lesion is bright.",
    "T2 weighted MRI： the lesion is bright.", "CO2：carbon dioxide.", "Q3\u{00A0}2024\u{00A0}revenue： up.",
    "F1\u{00A0}score: the harmonic mean.",
  ])
  func leavesLowerCaseAndNonASCIIHardNegativesAlone(opening: String) {
    #expect(findings(detector, "<think>\(opening)</think>ok").isEmpty, "\(opening)")
  }

  /// A lower-case code and one word before a colon is how natural text names a thing (code,
  /// medicine, finance, law, math, chess, cooking): a label needs two words or more.
  @Test(arguments: [
    "x86 assembly: the mov instruction copies.", "h1 heading: the page title.", "i32 value: an integer.",
    "u64 counter: it wraps.", "c99 standard: it added inline.", "v2 api: the endpoint changed.",
    "r5 score: 0.93 on the test set.", "t2 lesion: bright on the scan.", "h1 receptor: blocked.",
    "a1 rating: investment grade.", "b2 visa: for tourism.", "s4 filing: the merger.",
    "a3 poll: 40% agree.", "a2 milk: from cows.", "x1 value: 3.", "s4 group: the symmetric group.",
    "g3 fianchetto: the bishop.", "e5 response: Black mirrors.", "b2\u{00A0}visa：for tourism.",
  ])
  func leavesALowerCaseCodeAndOneWordAlone(opening: String) {
    #expect(findings(detector, "<think>\(opening)</think>ok").isEmpty, "\(opening)")
    // With a second word it is a label: `x86 assembly combinator:`.
    let label = opening.replacing(":", with: " combinator:").replacing("：", with: " combinator：")
    #expect(findings(detector, "<think>\(label)</think>ok").count == 1, "\(label)")
  }

  /// `--repair` reads a designator with a no-break space as one with a space: of a code and a
  /// sentence it cuts the code alone (`A1\u{00A0}let me see: `), of a label the whole prefix.
  @Test func repairReadsANoBreakSpaceAsABlank() {
    #expect(Repair.scaffoldingOnly("A1\u{00A0}let me see: ") == "A1\u{00A0}")
    #expect(Repair.scaffoldingOnly("A4\u{00A0}spice combinator： ") == "A4\u{00A0}spice combinator： ")
    #expect(Repair.scaffoldingOnly("a4 spice combinator: ") == "a4 spice combinator: ")
  }

  /// A domain code before any word but its terms is still a generator's family code; the
  /// same code before a term's word is not.
  @Test(arguments: [
    ("B3 persona remix: the claim.", "B3 persona remix: ", "B3 deficiency: pellagra."),
    ("T2 persona: the claim.", "T2 persona: ", "T2 weighting: the lesion is hyperintense."),
    ("L5 spice combinator: the claim.", "L5 spice combinator: ", "L5 vertebra: herniation."),
    ("S3 variant: the claim.", "S3 variant: ", "S3 bucket policy: deny public reads."),
    ("G7 remix — the claim.", "G7 remix — ", "G7 summit — leaders agreed."),
    ("U235 persona: the claim.", "U235 persona: ", "U235 fission: releases about 200 MeV."),
    ("W2: the claim.", "W2: ", "W2 forms: employers must file."),
    ("C14 | the claim.", "C14 | ", "C14 dating | the half-life."),
    ("E1 spice combinator: the claim.", "E1 spice combinator: ", "E1 elimination: a carbocation first."),
    ("A4 spice combinator: the claim.", "A4 spice combinator: ", "A4 paper: 210 x 297 mm."),
    ("C4 persona remix: the claim.", "C4 persona remix: ", "C4 plants: fix carbon efficiently."),
    ("V8 variant: the claim.", "V8 variant: ", "V8 engine: displacement 5.0 L."),
  ])
  func flagsFamilyCodesThatAreAlsoDomainCodes(opening: String, prefix: String, term: String) {
    let f = findings(detector, "<think>\(opening)</think>ok")
    #expect(f.count == 1, "\(opening)")
    #expect(f.first?.repairPrefix == prefix)
    #expect(findings(detector, "<think>\(term)</think>ok").isEmpty, "\(term)")
  }
}

@Suite struct ProducerNoteTests {
  /// A case-insensitive literal with letters outside ASCII (a rule's `literal:`, or a phrase
  /// added to this detector) matches its text in any case, as a case-insensitive regex does,
  /// on both scan paths; a case-sensitive one keeps its case, and ASCII literals stay literals.
  @Test func caseInsensitiveLiteralsFoldLettersOutsideASCII() async throws {
    let dir = TempDir()
    let texts = [
      "ÉTAPE finale", "étape finale", "Étape finale", "etape finale", "NOTE RÉGÉN here", "Note régén here",
    ]
    let path = dir.file(
      "c.jsonl",
      texts.map { "{\"prompt\":\"p\",\"response\":\"<think>\\nLet me see. \($0).\\n</think>\\n\\nok\"}\n" }
        .joined())
    let config = try Ruleset.parse(
      """
      detectors:
        producer_note: { phrases: ["note régén"] }
      rules:
        - { id: lit-lower, where: anywhere, literal: "étape", case_insensitive: true }
        - { id: lit-upper, where: anywhere, literal: "ÉTAPE", case_insensitive: true }
        - { id: lit-exact, where: anywhere, literal: "Étape" }
        - { id: lit-ascii, where: anywhere, literal: "FINALE", case_insensitive: true }
      """, file: "r.yaml")
    for byteRows in [true, false] {
      var scanner = CorpusScanner(configuration: config)
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path)
      let rows = { (id: String) in report.detectors.first { $0.id == id }?.rows }
      #expect(rows("lit-lower") == 3 && rows("lit-upper") == 3, "byte rows: \(byteRows)")
      #expect(rows("lit-exact") == 1 && rows("lit-ascii") == 4 && rows("producer-note") == 2)
    }
    let rule = LeakRule(
      id: "x", summary: "x", scope: .anywhere, matcher: .literal("étape", caseInsensitive: true))
    let detector = RuleDetector(id: "x", summary: "x", rules: [rule])
    guard case .regex = detector.rules[0].matcher else {
      Issue.record("a case-insensitive literal outside ASCII is matched as a regex")
      return
    }
    let ascii = RuleDetector(
      id: "y", summary: "y",
      rules: [
        LeakRule(id: "y", summary: "y", scope: .anywhere, matcher: .literal("finale", caseInsensitive: true))
      ])
    #expect(ascii.rules[0].matcher == .literal("finale", caseInsensitive: true))
  }

  let detector = BuiltinDetectors.producerNotes()

  @Test(arguments: [
    "<think>The claim is anticipated (duplicate of 3886).</think>ok",
    "<think>Diversify by changing the persona.</think>ok",
    "<think>Vary the opening next time.</think>ok",
    "<think>Avoid repeating row 12 here.</think>ok",
    "<think>Note to self: add a harder variant.</think>ok",
    "<think>This is a paraphrase of row 77.</think>ok",
    "<think>Same as sample #5 but with different numbers.</think>ok",
    "<think>Diversify by changing the numbers.</think>ok",
    "<think>diversify with new names and values.</think>ok",
    "<think>Okay, so the spring is prior art. Diversify the names.</think>ok",
    "<think>The claim is a duplicate of 3886 and more.</think>ok",
    "<think>This row is a duplicate of 3886 as well.</think>ok",
    "<think>Duplicate of row 12 is what this is.</think>ok",
    "<think>Careful: duplicate of 3886 was generated twice.</think>ok",
    "<think>Same as row 12.</think>ok",
    "<think>Internal note: make the numbers harder.</think>ok",
    "<think>The sum is 12. internal note: make the numbers harder.</think>ok",
    "<think>So x = 3.\nInternal note: vary the names next time.</think>ok",
    "<think>Regenerate this row with new names.</think>ok",
    "<think>Vary the opening of each answer.</think>ok",
    "<think>Diversify by using different names.</think>ok",
    "<think>Avoid repeating the same opening.</think>ok",
    "<think>(note to self) harder numbers next time</think>ok",
    "<think>[note to self] harder numbers next time</think>ok",
    "<think>Harder numbers next time, note to self\nThe claim.</think>ok",
    "<think>Duplicate of row #12 here.</think>ok",
    "<think>The claim is anticipated (dup of #12).</think>ok",
    "<think>Dupe of row 3886, skip.</think>ok",
    "<think>So x = 4. Make this one different from the previous row.</think>ok",
    "<think>make this example distinct from the last ones</think>ok",
    "<think>So x = 4. Copy of 3886.</think>ok",
    "<think>This one: copy of row 12 with new names.</think>ok",
    "<think>Diversify: use a different city.</think>ok",
    "<think>So x = 4. Don't mention this is synthetic.</think>ok",
    "<think>Do not mention that the data is synthetic.</think>ok",
    "<think>don't reveal this is generated</think>ok",
    "<think>Vary the tone based on the persona.</think>ok",
    "<think>The claim is anticipated (duplicate\nof 3886).</think>ok",
    // Wrapped or with doubled spaces, as any text may be.
    "<think>Okay. Diversify  by using different names.</think>ok",
    "<think>Okay. Diversify by\nusing different names.</think>ok",
    "<think>So x = 4. Don't  mention this is synthetic.</think>ok",
    "<think>Do not\nmention that the data\tis synthetic.</think>ok",
    "<think>Avoid repeating\r\nthe same opening.</think>ok",
    "<think>(note to  self) harder numbers next time</think>ok",
    "<think>Vary   the opening of each answer.</think>ok",
    "<think>The claim is anticipated (dup of\n3886).</think>ok",
    "<think>Same as row\n12.</think>ok",
    "<think>So x = 4. TODO: diversify names next time.</think>ok",
    "<think>Note: diversify the persona.</think>ok",
    "<think>The claim reads well. duplicate-of 3886.</think>ok",
    "<think>Duplicate of: 3886. The claim reads well.</think>ok",
    // Shorthand and other wordings of the same notes.
    "<think>(duplicate of #3886) Okay, so the user wants a recipe.</think>ok",
    "<think>Okay [duplicate of #3886 ] so the user wants a recipe.</think>ok",
    "<think>dup: 3886. Okay, so the user wants a recipe.</think>ok",
    "<think>Okay, so the user wants a recipe. Dup 3886.</think>ok",
    "<think>Okay, so the user wants a recipe (dupe #12).</think>ok",
    "<think>remix of 3886: Okay, so the user wants a recipe.</think>ok",
    "<think>Okay, so the user wants a recipe (variant of 3886).</think>ok",
    "<think>Okay, this is a variant of row 44. The user wants a recipe.</think>ok",
    "<think>Okay, so the user wants a recipe. (same as #12)</think>ok",
    "<think>Okay, so. TODO: vary this opening. The user wants a recipe.</think>ok",
    "<think>Okay, so. todo rephrase the question. The user wants a recipe.</think>ok",
    "<think>Okay, per the generation guidelines, I should keep it short.</think>ok",
    "<think>Following the data generation instructions, keep it short.</think>ok",
    "<think>Okay, regenerate this with a new city. The user wants a recipe.</think>ok",
    "<think>Okay. Keep the persona consistent with row 12. The user wants a recipe.</think>ok",
    "<think>Okay, so the user wants a recipe. Note: dedupe against 3886.</think>ok",
    "<think>Dedupe vs 3886. The user asks about dogs.</think>ok",
    "<think>TODO: change names. The user asks about dogs.</think>ok",
    "<think>Rephrase of row 5. The user asks about dogs.</think>ok",
    "<think>Paraphrased from row 88. The user asks about dogs.</think>ok",
    "<think>Internal note - do not ship this row.</think>ok",
    "<think>Note for the generator: keep it short.</think>ok",
    "<think>Regenerate with new numbers. A shop sells apples.</think>ok",
    "<think>Per the data-gen guidelines, the answer should be friendly.</think>ok",
    "<think>Per the synthetic data spec, include a greeting.</think>ok",
    "<think>Ok (copy of #3886). The user asks about dogs.</think>ok",
    "<think>Ok “copy of 3886”. The user asks about dogs.</think>ok",
    "<think>Too similar to row 12, rewrite it. The user asks about dogs.</think>ok",
    "<think>The user asks about dogs (too close to #3886).</think>ok",
    "<think>Persona must match row 12. The user asks about dogs.</think>ok",
    "<think>Don't tell the user this is synthetic. The user asks about dogs.</think>ok",
    "<think>Never tell them it's generated by a model. The user asks about dogs.</think>ok",
  ])
  func flagsNotesAboutProducingData(output: String) {
    #expect(findings(detector, output).count == 1)
  }

  @Test(arguments: [
    "<think>The examiner raised a duplicate claim objection under 37 CFR 1.75.</think>Cancel claim 9.",
    "<think>A retiree should diversify the portfolio across stocks and bonds.</think>ok",
    "<think>Results vary widely between the two methods.</think>ok",
    "<think>Claims 4 and 9 are duplicates of each other in scope.</think>ok",
    "<think>We should avoid repeating the same mistake in claim 3.</think>ok",
    "<think>The reduplicate of 12 sequences is a biology term.</think>ok",
    "<think>Claim 5 is a duplicate of 3 earlier claims in the family.</think>ok",
    "<think>A saver can diversify by holding index funds.</think>ok",
    "<think>Retirees should diversify holdings and income sources.</think>ok",
    "<think>The duplicate-of 3 claims objection applies.</think>ok",
    "<think>A duplicate-free list of 3886 names.</think>ok",
    "<think>A retiree should diversify  the portfolio across\nstocks and bonds.</think>ok",
    "<think>We should avoid repeating\nthe same mistake in claim 3.</think>ok",
    "<think>Do not\nmention the patient's name.</think>ok",
    "<think>It is wise to diversify across asset classes and regions.</think>ok",
    "<think>This answer is the same as item 4 on the list.</think>ok",
    "<think>The total is the same as row 3 of the table above.</think>ok",
    "<think>The total in row 14 is the same as row 12, so the sums match.</think>ok",
    "<think>Its value is THE same as item 7, as expected.</think>ok",
    "<think>It is a variation of example 2 from the textbook.</think>ok",
    "<think>The employer's internal note documented the warning.</think>ok",
    "<think>The employer's internal note: do not rehire. So the dismissal was planned.</think>ok",
    "<think>The firm’s internal note: review in March. That is evidence of notice.</think>ok",
    "<think>Their internal note: urgent. The court read it as an admission.</think>ok",
    "<think>The clinic asked the lab to regenerate this sample.</think>ok",
    "<think>Vary the tone of your voice to keep listeners engaged.</think>ok",
    "<think>This issue is a duplicate of #4521 on GitHub.</think>ok",
    "<think>Diversify by buying stocks with different names.</think>ok",
    "<think>When teaching, avoid repeating the same example twice.</think>ok",
    "<think>I listened to Note to Self, the podcast, yesterday.</think>ok",
    "<think>The bug is a dupe of 3 earlier reports, so close it.</think>ok",
    "<think>A dupe of the key is kept in the safe.</think>ok",
    "<think>This problem is different from the previous example because the rate changes.</think>ok",
    "<think>To make this one work, differentiate from the previous step.</think>ok",
    "<think>The court noted that a copy of 3 documents was filed late.</think>ok",
    "<think>The tenant kept the copy of the lease.</think>ok",
    "<think>Copy of the contract is attached to the complaint.</think>ok",
    "<think>Diversify: a guide to portfolios explains why.</think>ok",
    "<think>Do not mention the patient's name in the referral.</think>ok",
    "<think>If she asks about the fee, don't mention it.</think>ok",
    "<think>Vary the dose based on weight, as the label says.</think>ok",
    "<think>The examiner raised a duplicate\nclaim objection under 37 CFR 1.75.</think>ok",
    "<think>Claim 5 is a duplicate\nof 3 earlier claims in the family.</think>ok",
    // The shorthand's and the other wordings' prose.
    "<think>This issue is a duplicate of #4521 on GitHub, so close it.</think>ok",
    "<think>Okay, this bug is a dup of 3 other issues that were closed.</think>ok",
    "<think>Okay, the remix of 1999 by the band was popular.</think>ok",
    "<think>Okay, it's a remix of 1999.</think>ok",
    "<think>The rewrite of 2001: A Space Odyssey failed.</think>ok",
    "<think>The variant of 5 is shown in Fig. 2.</think>ok",
    "<think>It is a variation of 3 themes by Bach.</think>ok",
    "<think>In Forth, 3 dup 4 + leaves 3 and 7 on the stack.</think>ok",
    "<think>We run dup 100 times to fill the buffer.</think>ok",
    "<think>Dup: see above, it is fine.</think>ok",
    "<think>// TODO: fix this before release\nTODO: refactor the parser.</think>ok",
    "<think>Per the generation interconnection guidelines, the plant must file.</think>ok",
    "<think>Following the generator instructions, ground the frame first.</think>ok",
    "<think>Per the pipeline config, the build runs tests first.</think>ok",
    "<think>Regenerate this with care, the key is sensitive.</think>ok",
    "<think>The solution is consistent with row 3 of the matrix.</think>ok",
    "<think>Keep the tone consistent with the brand guide.</think>ok",
    "<think>Is this the same as #2 in the list above?</think>ok",
    "<think>We dedupe against 3 reference tables nightly.</think>ok",
    // Found by probing each rule with its words' domain meanings.
    "<think>I think this is same as #4521, the stack trace is identical.</think>ok",
    "<think>Closing as dupe of #4521.</think>ok",
    "<think>The Forth word : clamp dup 255 > if drop 255 then ; caps a byte value.</think>ok",
    "<think>The dup 100 mg order was cancelled by pharmacy.</think>ok",
    "<think>Dupe 500 gold glitch was patched in version 1.2.</think>ok",
    "<think>The ion-exchange column is spent; regenerate this one with brine.</think>ok",
    "<think>Run make docs to regenerate this example's output after changing the template.</think>ok",
    "<think>The generator note on the standby unit says to run it under load.</think>ok",
    "<think>Najdorf variation of 1.e4 c5 is among the sharpest openings.</think>ok",
    "<think>Prince released the extended remix of 1999.</think>ok",
    "<think>Exercise 5 is a variation of example 4, with larger numbers.</think>ok",
    "<think>Survey item 22 is a rewording of item 5 to detect acquiescence bias.</think>ok",
    "<think>The 2022 selloff was not a carbon copy of 2008.</think>ok",
    "<think>Critics called the remake a faithful copy of 1954.</think>ok",
    "<think>The loader will dedupe against 2023 customer list before import.</think>ok",
    "<think>// TODO: vary the learning rate schedule once the baseline converges.</think>ok",
    "<think># TODO: rephrase error message for clarity</think>ok",
    "<think>// TODO: dedupe this with parseHeader() in utils.c</think>ok",
    "<think>TODO: change names of variables in the loop.</think>ok",
    "<think>Cells update according to the generation rules of Conway's Game of Life.</think>ok",
    "<think>Per the generation spec for the turbine, output must stay within 2 percent.</think>ok",
    "<think>According to our generation guidelines for the wind farm, curtailment starts.</think>ok",
    "<think>Keep the numbers consistent with row 12 so the totals reconcile.</think>ok",
    "<think>Keep the style consistent with example 3 when formatting your bibliography.</think>ok",
    "<think>Row 14 is too similar to row 12 of the matrix to be independent.</think>ok",
    "<think>Seat 4 is too close to row 2's speakers.</think>ok",
    "<think>The reading is too close to sample 4 in the assay, so rerun it.</think>ok",
    "<think>The new id is too similar to id 3 in the index.</think>ok",
    "<think>That voice must match row 3 of the casting sheet.</think>ok",
    "<think>Don't tell the patient this is serious yet.</think>ok",
    "<think>Don't tell anyone it's synthetic leather, it sells as vinyl.</think>ok",
    "<think>Never tell the user their password.</think>ok",
    "<think>On the sleeve, avoid repeating the previous row's decreases.</think>ok",
    "<think>Avoid repeating the last row of the chart when you knit the border.</think>ok",
  ])
  func passesLegitimateDomainUses(output: String) {
    #expect(findings(detector, output).isEmpty)
  }

  /// `vary the opening` followed by a noun is something else's opening (chess, music); the
  /// text's own parts, function words and adverbs after it keep it a note.
  @Test func varyFollowedByANounIsProse() {
    for prose in [
      "In chess, a club player should vary the opening repertoire against stronger players.",
      "The orchestra will vary the opening tempo each night.",
      "A pianist may vary the tone color with the pedal.",
      "Vary the Opening Moves: a chess primer.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    for note in [
      "vary the opening.", "Vary the opening and the numbers.", "vary the opening sentence each time.",
      "vary the phrasing, keep the numbers.", "Vary the opening of each answer.",
      "Vary the opening next time.",
      "vary the wording slightly.", "vary the openings across rows.", "Vary the opening lines too.",
      "vary the tone", "vary the style 3 times.", "vary the opening paragraphs.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
  }

  /// `avoid repeating row 2` followed by a plural noun one or two words on is a spreadsheet's
  /// row; a numbered row alone, or with other words after it, is a note.
  @Test func avoidRepeatingARowOfThingsIsProse() {
    for prose in [
      "In Excel, avoid repeating row 2 headers by freezing panes.",
      "Avoid repeating row 1 column labels when you print.",
      "To avoid repeating item 4 totals, use a subtotal.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    for note in [
      "avoid repeating row 12.", "Avoid repeating example 3 again.", "avoid repeating sample #7 here.",
      "Avoid repeating row 12 as well.", "avoid repeating the previous row.",
      "Avoid repeating item 4 this time.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
  }

  /// `duplicate of row 3` followed by `in`, `of`, `from` or `on` and a word is a row of a table
  /// or a list; a bare number, or a row at the end of a sentence, is a note.
  @Test func duplicateOfARowInATableIsProse() {
    for prose in [
      "Row 12 is a duplicate of row 3 in the table; DELETE with a CTE.",
      "Item 9 is a duplicate of item 4 of the list.",
      "Record 5 is a duplicate of id 77 from the users table.",
      "Entry 8 is a duplicate of example 2 on page 40.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    for note in [
      "duplicate of 3886", "duplicate of row 3886.", "Duplicate of row 12 is what this is.",
      "duplicate of 3886 in the batch", "duplicate of row 3 in", "duplicate of row 3 into the pile.",
      "duplicate of sample #12, on to the next.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
  }

  /// `duplicate of` with blanks or one line break between the words (a wrapped line) is the
  /// same note; a paragraph break, a count or a place in a table is not.
  @Test func duplicateOfAcrossALineBreak() {
    for note in [
      "duplicate\nof 3886", "Duplicate\r\nof row 12.", "duplicate \n of 3886", "duplicate\t\nof 3886",
      "duplicate\tof 3886", "duplicate  of 3886", "DUPLICATE\nOF sample #7, next.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
    for prose in [
      "The examiner raised a duplicate claim objection under 37 CFR 1.75.",
      "Claim 5 is a duplicate of 3 earlier claims.", "Claim 5 is a duplicate\nof 3 earlier claims.",
      "Remove the duplicate\n\nof 3886 rows, keep one.", "Row 12 is a duplicate\nof row 3 in the table.",
      "The duplicate\ncheck of 3886 rows ran.", "A duplicated\nof 3886 is no word.",
      "The bank flagged a duplicate\npayment of 3886 dollars.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    #expect(
      findings(detector, "<think>x\nduplicate\nof 3886</think>ok").map(\.evidence) == [
        "duplicate-of: duplicate\nof 3886"
      ])
  }

  /// `copy of` and a row's number is a note; a copy of a document, a form, a book, a year or a
  /// count of things is prose (law, finance, medicine, cooking, math).
  @Test func copyOfARowIsANoteACopyOfADocumentIsNot() {
    for note in [
      "Copy of 3886", "copy of row 12", "(copy of 3886)", "Copy of 3886. Change the city.",
      "copy of sample #7, with new numbers.", "This row: copy of row 12 with a new city.", "**Copy of 3886**",
      "copy of 3886 - swap the names", "Copy of 3886; harder numbers.", "copy of id 77", "COPY OF ROW 5!",
      "Row 40 = copy of row 12.", "Copy of 3886 — new city.", "copy of 3886 – swap", "copy of\t3886\nNext.",
      "\"Copy of 3886\"",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
    for prose in [
      "The court noted that a copy of 3 documents was filed.", "She signed the copy of the lease.",
      "Copy of the contract is attached.", "Attach a copy of 1040 to the return.", "Keep a copy of 1040.",
      "I bought a copy of 1984 yesterday.", "Copy of 2023 tax return attached.",
      "Copy of 10-K filed with the SEC.", "Copy of 401(k) plan documents enclosed.",
      "Copy of 2001: A Space Odyssey, first edition.", "The clerk sent a certified copy of 12.",
      "Exhibit A: copy of 35 U.S.C. 102.", "Your copy of 1099 arrives in January.",
      "Copy of 1,000 shares was transferred.", "Copy of 3.5 inch disk", "Grandma's copy of 1950.",
      "Copy of 2 recipes for the party.", "Copy of 12-lead ECG attached.",
      "copy of row 2 headers stays frozen.",
      "Make a copy of row 3 in the sheet.", "Copy of item 7 of the 10-K.", "The copyright of 1998 holds.",
      "Copying of 3886 files took long.", "copy of 2 matrices in memory", "Copy of 1040–ES attached.",
      "Every copy of 3 is a 3.",
      // After an article a row's copy is prose too: a spreadsheet's ("insert a copy of row 2").
      "a copy of 3886.", "Insert a copy of row 2 below.", "Row 40 is a copy of row 12.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    #expect(
      findings(detector, "<think>So. Copy of 3886.</think>ok").map(\.evidence) == ["copy-of: Copy of 3886"])
  }

  /// A form's number after a verb of filing, without an article (`Attach copy of 1040.`,
  /// `Mail copy of 1099 to the state.`), is a tax or legal checklist's, not a note.
  @Test func copyOfAFormAfterAVerbOfFilingIsProse() {
    for prose in [
      "Attach copy of 1040.", "Mail copy of 1099 to the state.", "Enclose copy of 8821.",
      "Keep copy of 1040 for your records.", "File copy of 1099 with the state.",
      "Send copy of 1040 to the lender.", "Submit copy of 4506.", "Please fax copy of 2848.",
      "The client emailed copy of 1120.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    for note in ["Copy of 3886.", "This row: copy of row 12.", "Row 40 = copy of row 12.", "(copy of 3886)"] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
  }

  /// `Diversify:` and an instruction about what the generator varies is a note; a title, a
  /// portfolio and advice about assets are finance (and a garden is a garden).
  @Test func diversifyAfterAColon() {
    for note in [
      "Diversify: use a different city", "diversify: change the names.", "Diversify : pick another topic",
      "DIVERSIFY: SWAP THE PERSONA", "Diversify:use new names.", "diversify: vary the numbers and the city",
      "Diversify: choose a different setting.", "diversify:\tuse different examples",
      "Diversify: rotate the openings.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
    for prose in [
      "Diversify: a guide to portfolios", "A retiree should diversify the portfolio.",
      "Diversify: use index funds to spread risk.", "Diversify: pick another sector when one falls.",
      "Diversify: choose different asset classes.", "Diversify: spread your bets.",
      "Diversify: the key to a resilient garden.", "Diversify: use a different broker.",
      "Diversify: mix stocks and bonds.", "Diversify: try new cuisines.", "Diversify:", "Diversify: use",
      "Diversify: use the names2 list.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
    #expect(
      findings(detector, "<think>So. Diversify: use a different city.</think>ok").map(\.evidence) == [
        "diversify: Diversify: use a different city"
      ])
  }

  /// An instruction to hide that the row is synthetic is a note; an instruction of the domain
  /// (a patient's name, a diagnosis, a surprise) or a material that is synthetic is not.
  @Test func hidingThatTheDataIsSynthetic() {
    for note in [
      "don't mention this is synthetic", "Do not mention that the data is synthetic.",
      "don't reveal this is generated", "Never say it's AI-generated.",
      "Do not disclose that these examples are synthetic.", "don’t mention this is synthetic",
      "DON'T MENTION THIS IS SYNTHETIC!", "dont reveal that the conversation was generated",
      "don't admit the answer is machine-generated.", "don't mention this is synthetic data",
      "never reveal it was generated by a model", "don't say these are all synthetic, keep it natural",
      "Do not mention that this row is automatically generated.", "Don't say they're synthetic.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
    for prose in [
      "Do not mention the patient's name in the letter.", "If asked, don't mention it.",
      "Do not mention the diagnosis to the family yet.", "Never reveal this is a surprise party.",
      "Don't mention that it is generated weekly by the billing system.",
      "Do not disclose that the report was generated by counsel.", "Don't mention that the tumor is benign.",
      "Never say the group is generated by one element.", "Don't say it's synthetic leather, it's vinyl.",
      "Don't mention this is synthetic vanilla.", "Don't mention",
      "Don't reveal that the sequence is generated by a recurrence.",
      "Do not say this is synthetic biology.", "don't say it is generated every hour",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
  }

  /// `generated by` hides a row's origin only when a model or a generator made it: what else
  /// generates a thing (a group's element, a recurrence, a billing system) is the domain's,
  /// whatever pronoun names the thing.
  @Test func generatedByAModelIsANoteGeneratedBySomethingElseIsNot() {
    for note in [
      "never reveal it was generated by a model", "Don't say it is generated by an LLM.",
      "do not mention that these were generated by AI", "Never say they're generated by GPT-4.",
      "don't reveal the data is generated by a language model",
      "don't mention it is synthesized by a machine",
      "Do not disclose that this is generated by the pipeline.",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
    for prose in [
      "Never say it is generated by one element; it needs two.", "Don't say it is generated by x alone.",
      "Don't mention that it is generated by the billing system.",
      "Do not say they are generated by a recurrence.",
      "Never say this is generated by chance.", "Don't say it's generated by the sum of two squares.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
  }

  /// `vary the tone` and `based on`, `depending on` or `according to` what the generator
  /// varies by (a persona, a seed, a template) is a note; anything else it is based on is
  /// advice (a voice, an audience, a patient's weight).
  @Test func varyBasedOnThePersona() {
    for note in [
      "vary the tone based on the persona", "Vary the style depending on the persona.",
      "vary the phrasing according to the template", "vary the opening based on each seed.",
      "vary the wording based on persona", "Vary the tone based on its archetype.",
      "vary the style according to\tthe variant",
    ] {
      #expect(findings(detector, "<think>So x = 3. \(note)</think>ok").count == 1, "\(note)")
    }
    for prose in [
      "Vary the tone of your voice.", "Vary the dose based on weight.",
      "Vary the tone based on your audience.",
      "vary the style depending on the occasion", "Vary the wording according to the context.",
      "Vary the dose according to the patient's weight.", "Vary the heat based on the pan.",
      "vary the tone based on the patient's age", "Vary the opening based on the opponent's style.",
      "vary the style based on the seasons", "Vary the tone based",
      "Remember to vary the tone based on the sample size.", "Vary the style based on the row value.",
    ] {
      #expect(findings(detector, "<think>\(prose)</think>ok").isEmpty, "\(prose)")
    }
  }

  /// `internal-note` is not tried after an article, a determiner or a possessive, whichever
  /// apostrophe and however many blanks; only a whole word counts (`banana`, not `an`).
  @Test func internalNoteIsNotTriedAfterAnArticleOrPossessive() throws {
    let rule = try #require(detector.rules.first { $0.id == "internal-note" })
    func excluded(_ before: String) -> Bool {
      let text = Array((before + "internal note: x").utf8)
      return text.withUnsafeBufferPointer { rule.followsExcludedWord($0, before.utf8.count) }
    }
    for before in [
      "the ", "The ", "an  ", "their\t", "employer's ", "firm’s ", "x THIS ", "employers' ", "James’ ",
      "José's ",
    ] {
      #expect(excluded(before), "\(before)")
    }
    for before in [
      "", " ", "banana ", "Note: ", "12. ", "(", "boss ", "'s ", "s ", "' ", "s' ", "the", "’s ",
    ] {
      #expect(!excluded(before), "\(before)")
    }
    #expect(
      findings(detector, "<think>So. Internal note: harder.</think>ok").map(\.evidence) == [
        "internal-note: Internal note:"
      ])
  }

  @Test func evidenceIsTheMatchedNoteEvenFarIntoALongTrace() {
    let long = String(repeating: "The sum of the odd numbers is a square. ", count: 200)
    let found = findings(detector, "<think>\(long)DUPLICATE OF row 3886, keep going.</think>ok")
    #expect(found.map(\.evidence) == ["duplicate-of: DUPLICATE OF row 3886"])
  }
}

@Suite struct SharedCheckDetectorTests {
  /// Script drift expects the prompt's script: a corpus in any language passes, an answer that
  /// leaves its question's script is flagged however much of it does; without a prompt, the
  /// model text's dominant script; a ruleset may still name the scripts.
  @Test func scriptDriftFollowsThePrompt() throws {
    func drift(_ prompt: String, _ output: String, _ detector: ScriptDriftDetector = ScriptDriftDetector())
      -> Int
    {
      let row = CorpusRow(
        line: 1, offset: 0, id: "t", shape: .promptResponse,
        segments: [RowSegment(role: "prompt", text: prompt), RowSegment(role: "response", text: output)])
      return findings(detector, row).count
    }
    #expect(drift("这个问题怎么解？", "<think>\n首先，我们需要确定函数的定义域，然后求导数。\n</think>\n\n答案是 4。") == 0)
    #expect(drift("Как решить?", "<think>Сначала найдём область определения функции.</think>Ответ: 4.") == 0)
    #expect(drift("这个问题怎么解？", "<think>First find the domain, then differentiate.</think>4") == 0)
    #expect(drift("How do I solve it?", "<think>First, 首先我们需要确定函数的定义域然后求导数再求极值</think>4") == 1)
    #expect(drift("Как решить?", "<think>Сначала найдём область, 然后求导数再求极值。</think>4") == 1)
    // A language the prompt names, or a word of its script in the prompt, is expected.
    #expect(
      drift(
        "Translate into Russian: \"The train leaves at eight.\"",
        "<think>Short.</think>Поезд уходит в восемь.")
        == 0)
    #expect(drift("Answer in Japanese: what is 2+2?", "<think>Simple.</think>答えはよんです。") == 0)
    #expect(
      drift("[ru] изучении Python (6165)", "<think>Хорошо, давайте разберёмся с Python.</think>Да.") == 0)
    #expect(drift("Translate into French: hello", "<think>Short.</think>Привет, как дела?") == 1)
    #expect(drift("Russians say hello how?", "<think>Short.</think>Привет, как дела?") == 1)
    // No prompt letters: the model text's own dominant script.
    #expect(drift("?", "<think>首先，我们需要确定函数的定义域，然后求导数。</think>答案是 4。") == 0)
    // Named scripts, as before.
    let latinOnly = ScriptDriftDetector(check: ScriptDriftCheck(expected: .scripts([.latin])))
    #expect(drift("这个问题怎么解？", "<think>首先，我们需要确定函数的定义域。</think>4", latinOnly) == 1)
    let config = try Ruleset.parse("detectors:\n  script_drift: { expected: prompt }\n", file: "r.yaml")
    let parsed = try #require(config.detectors.first { $0 is ScriptDriftDetector } as? ScriptDriftDetector)
    #expect(parsed.check.expected == .context)
  }

  /// A foreign word an English answer quotes for an English question is a lesson, not drift,
  /// on bytes and through `RowContext` alike; the same words unquoted are drift.
  @Test func scriptDriftLeavesQuotedWordsAlone() async throws {
    let answers = [
      "<think>The Russian word 'спасибо' means thank you.</think>Thank you.",
      "<think>So 'ありがとう' is the kana for thank you.</think>Thank you.",
      "<think>The Greek 'λόγος' means word or reason.</think>Word.",
      "<think>Russian «пожалуйста» is please, „bitte“ in German.</think>Please.",
    ]
    let unquoted = answers.map { String($0.filter { !"'«»„“".contains($0) }) }
    for answer in answers {
      #expect(findings(ScriptDriftDetector(), row(answer)).isEmpty, "\(answer)")
    }
    for answer in unquoted {
      #expect(findings(ScriptDriftDetector(), row(answer)).count == 1, "\(answer)")
    }
    let dir = TempDir()
    let lines = (answers + unquoted).enumerated().map { i, answer in
      messagesRow("r\(i)", answer, prompt: "What does the word mean?")
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    for report in try await scanBothWays(path) {
      #expect(report.detectors.first { $0.id == "script-drift" }?.rows == unquoted.count)
    }
  }

  @Test func sharedChecksFlagRows() {
    #expect(
      findings(RunTogetherDetector(), "<think>thecourtheldthattheclaimwasanticipatedbysmith here</think>ok")
        .count == 1)
    #expect(findings(MojibakeDetector(), "<think>The applicantâ€™s point.</think>ok").count == 1)
    #expect(findings(ScriptDriftDetector(), "<think>So the answer: 그러므로 답은 48입니다</think>ok").count == 1)
    #expect(
      findings(
        RepetitionDetector(),
        "<think>" + String(repeating: "So the sum is 2500 again. ", count: 10) + "</think>"
      ).count == 1)
  }

  @Test func sharedChecksPassHealthyRows() {
    let healthy =
      "<think>Okay, so the claim recites a housing and a latch. Café owners, naïve readers and θ are fine.</think>ok"
    for d in [RunTogetherDetector(), MojibakeDetector(), ScriptDriftDetector(), RepetitionDetector()]
      as [any Detector]
    {
      #expect(findings(d, row(healthy)).isEmpty, "\(d.id)")
    }
  }

  /// Text that looks like each failure but is not one.
  @Test(arguments: [
    // Code, paths and identifiers are not words run together.
    (
      "run-together",
      "<think>See https://example.com/docs/getting_started/installation_and_configuration and parseJSONLineIntoRowBytesQuickly().</think>ok"
    ),
    // Portuguese and German capitals are not Latin-1 misreadings.
    ("mojibake", "<think>SÃO PAULO and MÜNCHEN are cities; Ångström is a unit.</think>ok"),
    // A formula's Greek letters and a quoted term are not a drift into another script.
    (
      "script-drift",
      "<think>Let θ be the angle and λ the wavelength, so the phase is 2π d sin θ / λ.</think>ok"
    ),
    // A sentence that recurs with other text between is not a loop.
    (
      "repetition",
      "<think>"
        + (0..<6).map { "Let me check claim \($0). It recites a latch and a spring of some kind here." }
        .joined(separator: " ") + "</think>ok"
    ),
  ])
  func sharedChecksPassLookalikes(id: String, output: String) {
    let d = ScanConfiguration.defaultDetectors().first { $0.id == id }!
    #expect(findings(d, output).isEmpty, "\(id)")
  }
}

@Suite struct ThinkStructureTests {
  let detector = ThinkStructureDetector()

  @Test func structuralProblems() {
    #expect(findings(detector, "no reasoning here").first?.evidence == "missing")
    #expect(findings(detector, "<think>\n\n</think>ok").first?.evidence == "empty")
    #expect(findings(detector, "<think>going on and on").first?.evidence == "unclosed")
    #expect(
      findings(detector, "<think>a <think>b</think> c</think>ok").first?.evidence.contains("nested") == true)
    #expect(
      findings(detector, "<think>a</think>x<think>b</think>y").first?.evidence.contains("repeated (2 blocks)")
        == true)
  }

  @Test func wellFormedAndOptionalThink() {
    #expect(findings(detector, "<think>fine</think>ok").isEmpty)
    #expect(findings(detector, "prefilled reasoning\n</think>ok").isEmpty)
    #expect(findings(ThinkStructureDetector(requireThink: false), "no reasoning here").isEmpty)
  }
}

@Suite struct SpecialTokenTests {
  let bos = "<｜begin▁of▁sentence｜>"
  let eos = "<｜end▁of▁sentence｜>"

  func textRow(_ text: String) -> CorpusRow {
    CorpusRow(line: 1, offset: 0, id: "t", shape: .text, segments: [RowSegment(role: "text", text: text)])
  }

  @Test func templatedTextRows() {
    let d = SpecialTokenDetector(template: .deepSeekR1)
    #expect(findings(d, textRow("\(bos)<｜User｜>q<｜Assistant｜><think>a</think>b\(eos)")).isEmpty)
    #expect(
      findings(d, textRow("<｜User｜>q<｜Assistant｜>b\(eos)")).first?.evidence.contains("missing BOS") == true
    )
    #expect(
      findings(d, textRow("\(bos)<｜User｜>q<｜Assistant｜>b")).first?.evidence.contains("missing EOS") == true
    )
    #expect(
      findings(SpecialTokenDetector(), textRow("\(bos)q<｜Assistant｜>b")).first?.evidence.contains(
        "missing EOS") == true)
    #expect(findings(SpecialTokenDetector(), textRow("plain text without any template")).isEmpty)
    // Another template's tokens inside a templated row are stray; its own are not.
    for detector in [d, SpecialTokenDetector()] {
      let stray = findings(detector, textRow("\(bos)<｜User｜>q<|im_start|>x<｜Assistant｜>b<|endoftext|>\(eos)"))
      #expect(
        stray.first?.evidence.contains("special token <|im_start|> of chatml inside a deepseek-r1 row")
          == true)
    }
    #expect(findings(d, textRow("\(bos)<｜User｜>q<｜Assistant｜><｜tool▁calls▁begin｜>b\(eos)")).isEmpty)
    // An EOS ends the row or a turn; anywhere else training stops there.
    for detector in [d, SpecialTokenDetector()] {
      let turns = "\(bos)<｜User｜>q<｜Assistant｜>a\(eos)<｜User｜>q2<｜Assistant｜>b\(eos)\n"
      #expect(findings(detector, textRow(turns)).isEmpty)
      let stray = findings(detector, textRow("\(bos)<｜User｜>q<｜Assistant｜>\(eos)<think>a</think>b\(eos)"))
      #expect(stray.first?.evidence.contains("EOS \(eos) inside the row") == true, "\(stray)")
    }
    // DeepSeek's tokens typed with ASCII bars are plain text to its tokenizer.
    let typed = "<|begin_of_sentence|><|User|>q<|Assistant|><think>a</think>b<|end_of_sentence|>"
    for detector in [d, SpecialTokenDetector()] {
      let found = findings(detector, textRow(typed))
      #expect(
        found.first?.evidence.contains("<|begin_of_sentence|> is not DeepSeek-R1's token") == true, "\(found)"
      )
    }
    let chatml = "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>a</think>b<|im_end|>\n"
    #expect(findings(SpecialTokenDetector(), textRow(chatml)).isEmpty)
    #expect(
      findings(
        SpecialTokenDetector(),
        textRow(
          "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>a<|im_end|>x</think>b<|im_end|>\n")
      )
      .first?.evidence.contains("inside the row") == true)
  }

  /// Templates named in a ruleset but not recognised by their tokens: Mistral (one BOS) and
  /// Llama 2 (a BOS opens every exchange, right after the EOS of the one before).
  @Test func mistralAndLlama2Rows() {
    let mistral = SpecialTokenDetector(template: .mistral)
    #expect(
      findings(mistral, textRow("<s>[INST] q [/INST]<think>a</think>b</s>[INST] q2 [/INST]c</s>")).isEmpty)
    #expect(
      findings(mistral, textRow("[INST] q [/INST]<think>a</think>b</s>")).first?.evidence.contains(
        "missing BOS <s> (mistral)") == true)
    #expect(
      findings(mistral, textRow("<s>[INST] q [/INST]b</s><s>[INST] q2 [/INST]c</s>")).first?.evidence
        .contains("BOS <s> repeated") == true)
    // A row missing its BOS at the start but holding one later is missing it, not repeating it;
    // a second one after that is repeated.
    let late = findings(mistral, textRow("[INST] q [/INST]b</s><s>[INST] q2 [/INST]c</s>")).first?.evidence
    #expect(late == "missing BOS <s> (mistral)")
    #expect(
      findings(mistral, textRow("[INST] q</s><s>[INST] b</s><s>c</s>")).first?.evidence.contains(
        "BOS <s> repeated") == true)
    let llama2 = SpecialTokenDetector(template: .llama2)
    let twoTurns =
      "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nq [/INST] <think>a</think>b </s><s>[INST] q2 [/INST] c </s>"
    #expect(findings(llama2, textRow(twoTurns)).isEmpty)
    #expect(
      findings(llama2, textRow("<s>[INST] q [/INST] b <s> c </s>")).first?.evidence.contains(
        "not after an EOS") == true)
    #expect(
      findings(llama2, textRow("<s>[INST] q [/INST] b")).first?.evidence.contains("missing EOS") == true)
    // Missing at the start, and the first one not after an EOS either: both are said.
    let stray = findings(llama2, textRow("[INST] q [/INST] a <s> b </s>")).first?.evidence
    #expect(
      stray?.contains("missing BOS <s> (llama2)") == true && stray?.contains("not after an EOS") == true)
    #expect(
      findings(llama2, textRow("[INST] q [/INST] a </s><s>[INST] b [/INST] c </s>")).first?.evidence
        == "missing BOS <s> (llama2)")
    // Not recognised without configuration: `<s>` is also HTML in a plain text row.
    #expect(findings(SpecialTokenDetector(), textRow("use <s>old</s> for strike-through")).isEmpty)
  }

  @Test func strayTokensInContent() {
    #expect(
      findings(SpecialTokenDetector(), "<think>a</think>answer<|im_end|>").first?.evidence.contains(
        "<|im_end|>") == true)
    #expect(findings(SpecialTokenDetector(), "<think>a</think>answer <end_of_turn>").count == 1)
    #expect(findings(SpecialTokenDetector(), "<think>a</think>plain answer").isEmpty)
    // Tool-call and end-of-message tokens leaked into content.
    #expect(findings(SpecialTokenDetector(), "<think>a</think>call <｜tool▁call▁begin｜>f").count == 1)
    #expect(findings(SpecialTokenDetector(), "<think>a</think>done<|eom_id|>").count == 1)
  }
}

@Suite struct CustomDetectorTests {
  struct VendorURL: Detector {
    let id = "vendor-url"
    let summary = "links to the vendor wiki"
    func findings(in context: RowContext) -> [Finding] {
      context.row.modelText.contains("wiki.vendor.internal")
        ? [Finding(detector: id, evidence: "wiki.vendor.internal")] : []
    }
  }

  @Test func userDetectorsTakePartInScans() async throws {
    let dir = TempDir()
    let path = dir.file(
      "c.jsonl",
      [
        messagesRow("a", "<think>see wiki.vendor.internal/x</think>ok"),
        messagesRow("b", "<think>fine</think>ok"),
      ]
      .joined(separator: "\n") + "\n")
    let scanner = CorpusScanner(configuration: ScanConfiguration(extraDetectors: [VendorURL()]))
    let report = try await scanner.scan(path: path)
    let count = try #require(report.detectors.first { $0.id == "vendor-url" })
    #expect(count.rows == 1)
    #expect(count.examples.first?.id == "a")
    #expect(report.flaggedRows == 1)
  }
}

@Suite struct RowShapeTests {
  @Test func detectsEveryLayout() throws {
    let parser = CorpusRowParser()
    func parse(_ json: String) -> Result<CorpusRow, LineIssue> {
      parser.parse(JSONLLine(number: 7, offset: 0, bytes: Array(json.utf8)[...]))
    }
    let pr = try parse(#"{"id":"x","prompt":"q","response":"<think>a</think>b"}"#).get()
    #expect(pr.shape == .promptResponse && pr.modelText == "<think>a</think>b" && pr.id == "x")
    let text = try parse(#"{"text":"<bos>hi"}"#).get()
    #expect(text.shape == .text && text.id == "line-7")
    let msgs = try parse(#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#)
      .get()
    #expect(msgs.shape == .messages && msgs.modelText == "a")
    let conv = try parse(#"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}"#)
      .get()
    #expect(conv.shape == .conversations && conv.modelText == "a")
    guard case .failure(let issue) = parse(#"{"messages":[{"role":"user"}]}"#) else {
      Issue.record("expected a missing field")
      return
    }
    #expect(issue.kind == .missingField("messages.0.content"))
    guard case .failure(let none) = parse(#"{"foo":1}"#) else {
      Issue.record("expected a missing field")
      return
    }
    #expect(none.line == 7)
    // TRL's conversational prompt-completion and preference layouts: the prompt's turns are
    // prompt text, the completion's (or chosen's) are read as a chat's.
    let trl = try parse(
      #"{"prompt":[{"role":"system","content":"s"},{"role":"assistant","content":"few-shot"},{"role":"user","content":"q"}],"completion":[{"role":"assistant","content":"a","reasoning_content":"r"}]}"#
    ).get()
    #expect(trl.shape == .promptResponse)
    #expect(trl.segments.map(\.role) == ["prompt", "prompt", "prompt", "assistant"])
    #expect(trl.modelText == "<think>\nr\n</think>\n\na")
    let preference = try parse(
      #"{"prompt":[{"role":"user","content":"q"}],"chosen":[{"role":"assistant","content":"good"}],"rejected":[{"role":"assistant","content":"bad"}]}"#
    ).get()
    #expect(preference.modelText == "good" && preference.allText == "q\ngood")
    guard case .failure(let turn) = parse(#"{"prompt":[{"role":"user"}],"completion":"a"}"#) else {
      Issue.record("a prompt turn without content must be reported")
      return
    }
    #expect(turn.kind == .missingField("prompt.0.content"))
    guard case .failure(let reply) = parse(#"{"prompt":"q","completion":[{"content":"a"}]}"#) else {
      Issue.record("a completion turn without a role must be reported")
      return
    }
    #expect(reply.kind == .missingField("completion.0.role"))
    let forced = CorpusRowParser(shape: .text).parse(
      JSONLLine(number: 1, offset: 0, bytes: Array(#"{"prompt":"q","response":"a"}"#.utf8)[...]))
    guard case .failure = forced else {
      Issue.record("a forced layout must not fall back")
      return
    }
  }
}

@Suite struct TemplatedTurnTests {
  /// A templated `{text}` row with one reasoning block per assistant turn is not "repeated";
  /// two blocks in one turn still are, on bytes and through `RowContext` alike.
  @Test func blocksOfDifferentTurnsAreNotRepeated() async throws {
    let dir = TempDir()
    let bos = "<｜begin▁of▁sentence｜>"
    let eos = "<｜end▁of▁sentence｜>"
    let rows = [
      "\(bos)<｜User｜>q1<｜Assistant｜><think>\nr1\n</think>\n\na1\(eos)<｜User｜>q2<｜Assistant｜><think>\nr2\n</think>\n\na2\(eos)",
      "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nr\n</think>\n\na<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n<think>\nr2\n</think>\n\nb<|im_end|>",
      "\(bos)<｜User｜>q<｜Assistant｜><think>\nr1\n</think><think>\nr2\n</think>\n\na\(eos)",
      "\(bos)<｜User｜>q<｜Assistant｜><think>\nr1\n</think>a<think>\nr2\n</think>b<｜User｜>q<｜Assistant｜><think>\nr3\n</think>c\(eos)",
    ]
    let path = dir.file(
      "t.jsonl",
      rows.enumerated().map { #"{"id":"t\#($0)","text":\#(lit($1))}"# }.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      let structure = try #require(report.detectors.first { $0.id == "think-structure" })
      #expect(structure.examples.map(\.line) == [3, 4], "bytes: \(byteRows)")
      #expect(structure.examples.map(\.evidence) == ["repeated (2 blocks)", "repeated (2 blocks)"])
    }
  }
}

@Suite struct ReasoningFieldTests {
  /// A model turn with its reasoning in a field of its own reads as the template renders it;
  /// `null` is no reasoning, a value that is not a string is reported by name, and user turns'
  /// fields are not read.
  @Test func reasoningFieldsAreReadAsTheTurnsReasoningBlock() throws {
    func parse(_ json: String, format: ReasoningFormat = .think) -> Result<CorpusRow, LineIssue> {
      CorpusRowParser(format: format).parse(JSONLLine(number: 3, offset: 0, bytes: Array(json.utf8)[...]))
    }
    let qwen = try parse(
      #"{"messages":[{"role":"user","content":"q","reasoning_content":"no"},{"role":"assistant","content":"48","reasoning_content":"A4 spice combinator: add."}]}"#
    ).get()
    #expect(qwen.modelText == "<think>\nA4 spice combinator: add.\n</think>\n\n48")
    #expect(qwen.segments[0].text == "q")
    // The scan's byte path reads the same turn without the parser.
    let qwenLine =
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"48","reasoning_content":"A4: x"}]}"#
    var bytes = RowBytes(format: .think)
    let loaded = bytes.load(
      line: JSONLLine(number: 1, offset: 0, bytes: Array(qwenLine.utf8)[...]), shape: nil)
    #expect(loaded)
    #expect(bytes.withModel { String(decoding: $0, as: UTF8.self) } == "<think>\nA4: x\n</think>\n\n48")
    let harmony = try parse(
      #"{"messages":[{"role":"assistant","content":"48","thinking":"t"}]}"#,
      format: ReasoningFormat(openTag: "<reasoning>", closeTag: "</reasoning>")
    ).get()
    #expect(harmony.modelText == "<reasoning>\nt\n</reasoning>\n\n48")
    let fallback = try parse(
      #"{"messages":[{"role":"assistant","content":"a","reasoning_content":null,"reasoning":"r"}]}"#
    )
    .get()
    #expect(fallback.modelText == "<think>\nr\n</think>\n\na")
    let parts = try parse(
      #"{"messages":[{"role":"assistant","content":"a","reasoning":[{"type":"text","text":"r1"},"r2"]}]}"#
    ).get()
    #expect(parts.modelText == "<think>\nr1\nr2\n</think>\n\na")
    let none = try parse(#"{"messages":[{"role":"assistant","content":"a","reasoning":null}]}"#).get()
    #expect(none.modelText == "a")
    guard
      case .failure(let issue) = parse(
        #"{"messages":[{"role":"assistant","content":"a","thinking":{"effort":"high"}}]}"#)
    else {
      Issue.record("a reasoning field that is not a string must be reported")
      return
    }
    #expect(issue.kind == .missingField("messages.0.thinking"))
    #expect(issue.line == 3)
  }

  /// A `{prompt, response}` row with a reasoning field beside the response reads as a chat's
  /// model turn, on the scan's byte path too.
  @Test func topLevelReasoningFieldsAreReadBeforeTheResponse() throws {
    func parse(_ json: String) -> Result<CorpusRow, LineIssue> {
      CorpusRowParser().parse(JSONLLine(number: 2, offset: 0, bytes: Array(json.utf8)[...]))
    }
    let row = try parse(#"{"prompt":"q","reasoning_content":"A4 spice combinator: add.","response":"48"}"#)
      .get()
    #expect(row.modelText == "<think>\nA4 spice combinator: add.\n</think>\n\n48")
    #expect(row.segments.map(\.role) == ["prompt", "response"] && row.segments[0].text == "q")
    let fallback = try parse(#"{"prompt":"q","thinking":null,"reasoning":"r","answer":"a"}"#).get()
    #expect(fallback.modelText == "<think>\nr\n</think>\n\na")
    #expect(try parse(#"{"prompt":"q","reasoning":null,"response":"a"}"#).get().modelText == "a")
    guard case .failure(let issue) = parse(#"{"prompt":"q","thinking":7,"response":"a"}"#) else {
      Issue.record("a reasoning field that is not text must be reported")
      return
    }
    #expect(issue.kind == .missingField("thinking") && issue.line == 2)
    var bytes = RowBytes(format: .think)
    let line = #"{"prompt":"q","reasoning":"r","response":"a"}"#
    let loaded = bytes.load(line: JSONLLine(number: 1, offset: 0, bytes: Array(line.utf8)[...]), shape: nil)
    #expect(loaded)
    #expect(bytes.withModel { String(decoding: $0, as: UTF8.self) } == "<think>\nr\n</think>\n\na")
  }

  /// An OpenAI tool-calling turn (`content` null or absent beside `tool_calls`) has no text and
  /// is not a missing field; a null `content` without a call still is.
  @Test func toolCallTurnsAreNotMissingTheirContent() throws {
    func parse(_ json: String) -> Result<CorpusRow, LineIssue> {
      CorpusRowParser().parse(JSONLLine(number: 4, offset: 0, bytes: Array(json.utf8)[...]))
    }
    let call =
      #"{"messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"assistant","content":"<think>\nA4 spice combinator: it is sunny.\n</think>\n\nSunny."}]}"#
    let row = try parse(call).get()
    #expect(row.segments.map(\.role) == ["user", "tool", "assistant"])
    #expect(row.modelText.hasPrefix("<think>\nA4 spice combinator:"))
    let legacy = try parse(
      #"{"messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{}"}}]}"#
    ).get()
    #expect(legacy.segments.isEmpty)
    guard case .failure(let issue) = parse(#"{"messages":[{"role":"assistant","content":null}]}"#) else {
      Issue.record("a null content without a tool call must be reported")
      return
    }
    #expect(issue.kind == .missingField("messages.0.content"))
    let found = CorpusScanner().findings(in: RowContext(row: row, format: .think))
    #expect(found.contains { $0.detector == "scaffold-prefix" })
  }

  /// A corpus that keeps reasoning in `reasoning_content` is audited like one with inline
  /// blocks: its scaffolding is found, and its rows are not "missing" a reasoning block.
  @Test func scanFindsScaffoldingInReasoningFields() async throws {
    let dir = TempDir()
    let lines = (0..<40).map { i in
      let reasoning = i % 2 == 0 ? "A\(i % 5) spice combinator: add \(i) and 3." : "Okay, so add \(i) and 3."
      return
        #"{"id":"r\#(i)","messages":[{"role":"user","content":"\#(i)+3?"},{"role":"assistant","content":"\#(i + 3)","reasoning_content":"\#(reasoning)"}]}"#
    }
    // And rows that keep it beside the response.
    let topLevel = (0..<40).map { i in
      let reasoning = i % 2 == 0 ? "A\(i % 5) spice combinator: add \(i) and 3." : "Okay, so add \(i) and 3."
      return #"{"id":"p\#(i)","prompt":"\#(i)+3?","reasoning":"\#(reasoning)","response":"\#(i + 3)"}"#
    }
    let path = dir.file("r.jsonl", lines.joined(separator: "\n") + "\n")
    let topPath = dir.file("p.jsonl", topLevel.joined(separator: "\n") + "\n")
    for (path, parallelism) in [(path, 1), (path, 2), (topPath, 1)] {
      let report = try await CorpusScanner().scan(path: path, parallelism: parallelism)
      #expect(report.malformedLines == 0 && report.rows == 40)
      #expect(report.detectors.first { $0.id == "scaffold-prefix" }?.rows == 20)
      #expect(report.detectors.first { $0.id == "think-structure" }?.rows == 0)
      #expect(report.openingHistogram["A0 spice combinator:"] == 4)
    }
  }
}

@Suite struct NormalizedHashTests {
  /// The exact-duplicate table answers as a dictionary of first lines would, through growth
  /// from its smallest size and hashes that share their low bits (one probe chain).
  @Test func exactHashTableKeepsTheFirstLineOfEachHash() {
    var table = ExactHashTable()
    var reference: [UInt64: Int] = [:]
    var rng = SystemRandomNumberGenerator()
    for line in 1...20000 {
      let hash: UInt64 =
        line % 3 == 0
        ? UInt64.random(in: 0..<50, using: &rng) << 40  // low bits all zero
        : UInt64.random(in: 0..<5000, using: &rng) &* 0x9E37_79B9_7F4A_7C15
      let expected = reference[hash]
      if expected == nil { reference[hash] = line }
      #expect(table.firstLine(hash: hash, line: line) == expected, "line \(line)")
    }
    #expect(table.count == reference.count)
  }

  /// The eight-bytes-at-a-time path must give the byte path's answer at every alignment.
  @Test func equalUnderWhitespaceAndCaseAtEveryAlignment() {
    let words = [
      "Anticipation", "of", "CLAIM", "12", "under", "35", "U.S.C.", "§102", "by", "Smith's", "reference",
    ]
    for lead in 0..<9 {
      let a = String(repeating: " ", count: lead) + words.joined(separator: " ")
      let b = words.map { $0.lowercased() }.joined(separator: "  \t\n")
      let c = words.prefix(5).joined(separator: " ")
      let d = words.dropFirst(5).joined(separator: "\n")
      #expect(normalizedHash(a) == normalizedHash(b), "lead \(lead)")
      #expect(normalizedHash(a) == normalizedHash([c, d]), "lead \(lead)")
      #expect(normalizedHash(a) != normalizedHash(a + "x"))
      #expect(normalizedHash(a) != normalizedHash(String(a.dropLast()) + "x"))
    }
  }
}

extension NormalizedHashTests {
  /// The specification: the explicitly normalised text (whitespace runs as one space, none at
  /// the ends, ASCII letters lower-cased), split at its spaces and around each CJK character
  /// (U+3000–U+9FFF), each word hashed on its own.
  func reference(_ text: String) -> UInt64 {
    var normalized: [[UInt8]] = []
    for word in text.split(whereSeparator: {
      $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\r\n"
    }) {
      var current: [UInt8] = []
      for scalar in word.unicodeScalars {
        let bytes = Array(String(scalar).utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        if (0x3000...0x9FFF).contains(scalar.value) {
          if !current.isEmpty { normalized.append(current) }
          normalized.append(bytes)
          current = []
        } else {
          current += bytes
        }
      }
      if !current.isEmpty { normalized.append(current) }
    }
    var hasher = NormalizedHasher()
    for word in normalized {
      var hashes: [UInt64] = []
      word.withUnsafeBufferPointer { bytes in
        _ = RepetitionCheck.words(in: bytes) { hash, _ in hashes.append(hash) }
      }
      #expect(hashes.count == 1)
      hasher.add(word: hashes[0])
    }
    return hasher.value
  }

  /// Different normalised texts hash apart: words of every length up to 20 bytes, alone and
  /// in pairs, and a word against the word with one more byte in front.
  @Test func distinctNormalisedTextsHashApart() {
    var words = (1...20).map { String("abcdefghijklmnopqrstu".prefix($0)) }
    words += words.map { "<" + $0 } + words.map { $0 + "." }
    var seen: [UInt64: String] = [:]
    for a in words {
      for text in [a] + words.map({ a + " " + $0 }) {
        let hash = normalizedHash(text)
        if let other = seen[hash] { #expect(other == text, "\(other) and \(text)") }
        seen[hash] = text
      }
    }
    #expect(seen.count == words.count * (words.count + 1))
  }

  /// A row's words split otherwise between its segments, or with the model's and the prompt's
  /// turns swapped, are another row, on the byte path and the parsed one alike; a copy
  /// differing in case and spacing, or written in another layout, is the same row.
  @Test func rowsWithTheSameWordsInOtherSegmentsOrRolesAreNotCopies() async throws {
    let lines = [
      #"{"messages":[{"role":"user","content":"Translate hello to French"},{"role":"assistant","content":"Bonjour"}]}"#,
      #"{"messages":[{"role":"user","content":"Translate hello to"},{"role":"assistant","content":"French Bonjour"}]}"#,
      #"{"messages":[{"role":"assistant","content":"Translate hello to French"},{"role":"user","content":"Bonjour"}]}"#,
      #"{"prompt":"What is the capital of","response":"Spain? Madrid."}"#,
      #"{"prompt":"What is the capital of Spain?","response":"Madrid."}"#,
      #"{"text":"What is the capital of Spain? Madrid."}"#,
      #"{"messages":[{"role":"USER","content":"translate  hello to French"},{"role":"assistant","content":"Bonjour"}]}"#,
      #"{"prompt":"What is the capital of Spain?","completion":"Madrid."}"#,
      #"{"conversations":[{"from":"human","value":"Translate hello to French"},{"from":"gpt","value":"Bonjour"}]}"#,
      #"{"prompt":[{"role":"user","content":"Translate hello to French"}],"completion":[{"role":"assistant","content":"Bonjour"}]}"#,
      #"{"prompt":"Translate hello to French","response":"Bonjour"}"#,
    ]
    let dir = TempDir()
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      let copies = report.detectors.first { $0.id == DetectorID.exactDuplicate }
      // Line 7 is line 1 in other case and spacing; line 8 is line 5 under another key; lines
      // 9 to 11 are line 1 in the other layouts.
      #expect(copies?.rows == 5, "bytes: \(byteRows)")
      #expect(copies?.examples.map(\.line) == [7, 8, 9, 10, 11], "bytes: \(byteRows)")
    }
  }

  /// Parts hash as their join by newlines, whatever whitespace ends a part or an
  /// eight-byte chunk (the fast path hashes a chunk's last space with it).
  @Test func partsAgreeWithTheSpecificationOfTheirJoin() {
    let pieces = ["word", "Ab", "x", " ", "  ", "\n", "\t ", "seven77", "é", ". "]
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
      let parts = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
        (0..<Int.random(in: 0...30, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      }
      let joined = parts.joined(separator: "\n")
      #expect(normalizedHash(parts) == reference(joined), "\(parts.debugDescription)")
    }
    // A text whose last eight bytes end in a space, and the same text without it.
    #expect(normalizedHash("abcdefg abcdefg ") == normalizedHash("abcdefg abcdefg"))
    #expect(normalizedHash(["abcdefg ", " x"]) == normalizedHash("abcdefg x"))
  }

  @Test func fastPathsAgreeWithTheSpecificationOnRandomText() {
    let pieces = [
      "a", "B", "cd", "EFG", " ", "  ", "\n", "\t", "\r\n", "\u{0B}", "é", "日本", ".", "x y", "Zz",
    ]
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
      let text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
        .joined()
      #expect(normalizedHash(text) == reference(text), "\(text.debugDescription)")
    }
  }
}

@Suite struct EmptyResponseTests {
  func flagged(_ line: String) throws -> [String] {
    let row = try CorpusRowParser().parse(JSONLLine(number: 1, offset: 0, bytes: Array(line.utf8)[...])).get()
    return EmptyResponseDetector().findings(in: RowContext(row: row, format: .think)).map(\.evidence)
  }

  /// A row whose model turns are all blank, or that has none, teaches nothing; a short answer,
  /// a reasoning block alone and a tool call without text are model text.
  @Test func rowsWithoutModelTextAreFlagged() throws {
    #expect(try flagged(#"{"prompt":"b","response":""}"#) == ["blank response"])
    #expect(try flagged(#"{"prompt":"c","response":" \n\t"}"#) == ["blank response"])
    #expect(try flagged(#"{"text":""}"#) == ["blank response"])
    #expect(try flagged(#"{"messages":[]}"#) == ["no model turn"])
    #expect(try flagged(#"{"messages":[{"role":"user","content":"only user"}]}"#) == ["no model turn"])
    #expect(
      try flagged(
        #"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":" "},{"from":"gpt","value":""}]}"#
      )
        == ["2 blank model turns"])
    for line in [
      #"{"prompt":"a","response":"0"}"#, #"{"prompt":"a","response":"<think>x</think>"}"#,
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}]}"#,
      #"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"","tool_calls":[{"id":"1"}]}]}"#,
      #"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":""},{"from":"gpt","value":"ok"}]}"#,
    ] {
      #expect(try flagged(line).isEmpty, "\(line)")
    }
  }

  /// In a scan, on the byte path and the parsed one alike, and `clean` quarantines the rows.
  @Test func aScanCountsRowsWithoutModelText() async throws {
    let dir = TempDir()
    let rows = [
      #"{"prompt":"a","response":"An apple."}"#, #"{"prompt":"b","response":""}"#, #"{"text":""}"#,
      #"{"messages":[]}"#, #"{"messages":[{"role":"user","content":"only user"}]}"#,
      #"{"prompt":"c","response":"   "}"#, #"{"prompt":"d","response":"\u3000"}"#,
    ]
    let path = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    for byteRows in [true, false] {
      var scanner = CorpusScanner()
      scanner.usesByteRows = byteRows
      let report = try await scanner.scan(path: path, parallelism: 1)
      let empty = report.detectors.first { $0.id == "empty-response" }
      #expect(empty?.rows == 6, "bytes: \(byteRows)")
      #expect(empty?.examples.map(\.line) == [2, 3, 4, 5, 6], "bytes: \(byteRows)")
    }
    let counts = try await defaultCleanCounts(path)
    #expect(counts.quarantined == 6 && counts.clean == 1)
  }
}

@Suite struct NearDuplicateTests {
  /// A text of `n` distinct words and a copy with every `stride`-th word replaced.
  func pair(_ n: Int, stride: Int, seed: Int) -> (String, String) {
    let words = (0..<n).map { "w\(seed)x\($0)" }
    let changed = words.enumerated().map {
      $0.offset % stride == 0 ? "other\(seed)y\($0.offset)" : $0.element
    }
    return (words.joined(separator: " "), changed.joined(separator: " "))
  }

  /// The exact Jaccard similarity of the 3-word shingles.
  func jaccard(_ a: String, _ b: String) -> Double {
    func shingles(_ s: String) -> Set<String> {
      let w = s.split(separator: " ")
      return Set((0...(w.count - 3)).map { w[$0..<($0 + 3)].joined(separator: " ") })
    }
    let (x, y) = (shingles(a), shingles(b))
    return Double(x.intersection(y).count) / Double(x.union(y).count)
  }

  /// Rows near each other at the threshold are found; rows far below it are never flagged.
  @Test(arguments: [(0.8, 40, 6), (0.5, 20, 2)])
  func findsPairsAboveTheThresholdAndNoneFarBelow(threshold: Double, closeStride: Int, farStride: Int) {
    let hasher = MinHasher()
    var index = DuplicateIndex(hasher: hasher, threshold: threshold)
    var found = 0
    var line = 0
    for seed in 0..<100 {
      let (a, b) = pair(120, stride: closeStride, seed: seed)
      #expect(jaccard(a, b) > threshold + 0.05)
      line += 1
      _ = index.nearDuplicate(signature: hasher.signature(of: a), line: line)
      line += 1
      if index.nearDuplicate(signature: hasher.signature(of: b), line: line) != nil { found += 1 }
    }
    #expect(found >= 90, "found \(found) of 100 at threshold \(threshold)")
    var far = DuplicateIndex(hasher: hasher, threshold: threshold)
    for seed in 100..<200 {
      let (a, b) = pair(120, stride: farStride, seed: seed)
      #expect(jaccard(a, b) < threshold - 0.25)
      line += 1
      _ = far.nearDuplicate(signature: hasher.signature(of: a), line: line)
      line += 1
      #expect(far.nearDuplicate(signature: hasher.signature(of: b), line: line) == nil)
    }
  }

  @Test func bandsFollowTheThreshold() {
    #expect(MinHasher().banded(forThreshold: 0.8).bands == 8)
    #expect(MinHasher().banded(forThreshold: 0.5).bands == 32)
    #expect(MinHasher(bands: 16).banded(forThreshold: 0.9).bands == 16)
  }
}

@Suite struct BlankRunTests {
  /// `mayJoinWords` and `collapse` (both eight bytes at a time) agree with their definitions on
  /// random text, at every offset of a run: text dense with blanks, and prose-like text whose
  /// runs are rare enough for whole eight-byte chunks to go unchanged.
  @Test func blankRunsAgreeWithTheirDefinition() {
    let dense: [UInt8] = Array("ab'Z3#. \n\t\r,".utf8)
    let sparse: [UInt8] = Array("abcdefghijkl'Z3#.  ,".utf8) + [0x0A, 0x01]
    var rng = SystemRandomNumberGenerator()
    var joined = 0
    for round in 0..<30000 {
      let alphabet = round % 3 == 2 ? sparse : dense
      let text = (0..<Int.random(in: 0...(round % 3 == 2 ? 90 : 40), using: &rng)).map { _ in
        alphabet.randomElement(using: &rng)!
      }
      // Definition: a run of blanks and breaks, not one space alone, between a letter or an
      // apostrophe and a lower-case letter, a digit or a `#`; such runs collapse to a space.
      var expected = false
      var collapsedByDefinition: [UInt8] = []
      var i = 0
      while i < text.count {
        guard BlankRuns.isBlankOrBreak(text[i]) else {
          collapsedByDefinition.append(text[i])
          i += 1
          continue
        }
        var j = i
        while j < text.count && BlankRuns.isBlankOrBreak(text[j]) { j += 1 }
        let between =
          i > 0 && j < text.count && (NoteMatcher.isLetter(text[i - 1]) || text[i - 1] == 0x27)
          && (text[j] >= 0x61 && text[j] <= 0x7A || text[j] >= 0x30 && text[j] <= 0x39 || text[j] == 0x23)
        if between && !(j == i + 1 && text[i] == 0x20) { expected = true }
        collapsedByDefinition += between ? [0x20] : Array(text[i..<j])
        i = j
      }
      let (found, collapsed) = text.withUnsafeBufferPointer { bytes in
        let found = BlankRuns.mayJoinWords(bytes)
        var out = [UInt8](repeating: 0, count: max(1, bytes.count))
        let n = out.withUnsafeMutableBufferPointer { BlankRuns.collapse(bytes, into: $0) }
        return (found, Array(out[..<n]))
      }
      let string = String(decoding: text, as: UTF8.self)
      #expect(found == expected, "\(string.debugDescription)")
      #expect(collapsed == collapsedByDefinition, "\(string.debugDescription)")
      #expect(BlankRuns.collapsed(string) == String(decoding: collapsedByDefinition, as: UTF8.self))
      if expected { joined += 1 }
    }
    #expect(joined > 1000)
  }
}
