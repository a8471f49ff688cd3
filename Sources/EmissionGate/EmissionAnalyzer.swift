@_exported public import EvalCore

/// Settings for the per-output emission checks.
public struct EmissionConfiguration: Sendable {
  /// The reasoning tags and whether the template prefills the opening tag.
  public var format: ReasoningFormat
  /// Where the record fields live in the input JSON.
  public var fields: RecordFields
  /// Repetition-loop detection.
  public var repetition: RepetitionCheck
  /// Mojibake detection.
  public var mojibake: MojibakeCheck
  /// Script-drift detection. Default: Latin expected; for multilingual probes,
  /// `ScriptDriftCheck(expected: .context)` (`expected: prompt` in a gate file) expects the
  /// scripts of each row's prompt and of the languages it names.
  public var scriptDrift: ScriptDriftCheck
  /// Run-together-word detection.
  public var runTogether: RunTogetherCheck
  /// How many evidence row ids to keep per flag. Default 20.
  public var evidenceLimit: Int

  /// Creates a configuration; every check has defaults.
  public init(
    format: ReasoningFormat = .think, fields: RecordFields = RecordFields(),
    repetition: RepetitionCheck = RepetitionCheck(), mojibake: MojibakeCheck = MojibakeCheck(),
    scriptDrift: ScriptDriftCheck = ScriptDriftCheck(), runTogether: RunTogetherCheck = RunTogetherCheck(),
    evidenceLimit: Int = 20
  ) {
    self.format = format
    self.fields = fields
    self.repetition = repetition
    self.mojibake = mojibake
    self.scriptDrift = scriptDrift
    self.runTogether = runTogether
    self.evidenceLimit = evidenceLimit
  }
}

extension RecordFields {
  /// The optional fields whose path differs from the default (set in a gate file), by the
  /// names ``EmissionSummary/fieldsFound`` counts them under.
  public var configuredOptionalFields: [(name: String, path: FieldPath)] {
    let d = RecordFields()
    return [
      ("category", category, d.category), ("prompt", prompt, d.prompt),
      ("completion_tokens", completionTokens, d.completionTokens),
      ("max_new_tokens", maxNewTokens, d.maxNewTokens),
      ("finish_reason", finishReason, d.finishReason),
      ("template_opens_think", templateOpensThink, d.templateOpensThink),
    ].filter { $0.1 != $0.2 }.map { ($0.0, $0.1) }
  }
}

extension EmissionSummary {
  /// What the report should say beside the numbers: each configured field path (``fields``'s
  /// paths that differ from the defaults) that no row holds, which disables the checks that
  /// read it (`finish_reason: choices.0.finsh_reason` would leave exhaustion at 0 %), and rows
  /// that repeat an earlier row's id.
  public func notes(fields: RecordFields) -> [String] {
    guard overall.rows > 0 else { return [] }
    var notes = fields.configuredOptionalFields.compactMap { field in
      (fieldsFound[field.name] ?? 0) > 0
        ? nil
        : "field '\(field.name)' at '\(field.path)' is in none of the \(overall.rows) rows; check the path in the gate file"
    }
    if repeatedIDCount > 0 {
      notes.append(
        "\(repeatedIDCount) row\(repeatedIDCount == 1 ? " repeats" : "s repeat") an earlier row's id (\(repeatedIDs.prefix(5).joined(separator: ", "))): a probe set run twice, or ids that collide, are counted twice in every rate"
      )
    }
    return notes
  }
}

/// The emission checks for one output.
public struct EmissionRow: Sendable, Hashable, Codable {
  /// Row id.
  public var id: String
  /// Probe category.
  public var category: String
  /// Reasoning with content was emitted (empty blocks do not count).
  public var thinkPresent: Bool
  /// Every reasoning block was closed.
  public var thinkClosed: Bool
  /// Blocks were emitted but all were empty.
  public var thinkEmpty: Bool
  /// Number of reasoning blocks.
  public var thinkBlocks: Int
  /// The opening tag came from the template (implicit open).
  public var thinkPrefilled: Bool
  /// Reasoning length in tokens (of the configured ``TokenCounter``).
  public var thinkTokens: Int
  /// Non-empty answer text follows the reasoning.
  public var answerPresent: Bool
  /// Generation ran out of budget (`finish_reason == "length"` or completion ≥ max new tokens).
  public var budgetExhausted: Bool
  /// A repetition loop was found.
  public var repetition: Bool
  /// The looping fragment, when ``repetition``.
  public var repetitionFragment: String?
  /// Mojibake was found.
  public var mojibake: Bool
  /// A run of an unexpected script was found.
  public var scriptDrift: Bool
  /// The drifting script, when ``scriptDrift``.
  public var driftScript: ScriptClass?
  /// Run-together words were found.
  public var runTogether: Bool

  enum CodingKeys: String, CodingKey {
    case id, category
    case thinkPresent = "think_present"
    case thinkClosed = "think_closed"
    case thinkEmpty = "think_empty"
    case thinkBlocks = "think_blocks"
    case thinkPrefilled = "think_prefilled"
    case thinkTokens = "think_tokens"
    case answerPresent = "answer_present"
    case budgetExhausted = "budget_exhausted"
    case repetition
    case repetitionFragment = "repetition_fragment"
    case mojibake
    case scriptDrift = "script_drift"
    case driftScript = "drift_script"
    case runTogether = "run_together"
  }
}

/// Runs the per-output emission checks.
public struct EmissionAnalyzer: Sendable {
  /// Check settings.
  public var configuration: EmissionConfiguration
  /// Counts reasoning tokens.
  public var tokenCounter: any TokenCounter

  /// Creates an analyzer. Without an exact counter, ``ApproximateTokenCounter`` is used.
  public init(
    configuration: EmissionConfiguration = EmissionConfiguration(),
    tokenCounter: any TokenCounter = ApproximateTokenCounter()
  ) {
    self.configuration = configuration
    self.tokenCounter = tokenCounter
  }

  /// Checks one output.
  public func analyze(_ record: OutputRecord) -> EmissionRow {
    let trace = configuration.format.parse(record.output, opening: record.thinkOpening)
    let think = trace.thinkText
    let exhausted: Bool = {
      if record.finishReason == .length { return true }
      if let c = record.completionTokens, let m = record.maxNewTokens, m > 0, c >= m { return true }
      return false
    }()
    // Content checks look at the text without the reasoning tags.
    let content = trace.blocks.isEmpty ? record.output : think + "\n" + trace.answer
    let loop = configuration.repetition.detect(in: content)
    // The prompt tells the scripts an answer may use (`Translate into Russian: …`), as
    // LeakScanner's `script-drift` reads them.
    let drift = configuration.scriptDrift.detect(in: content, context: record.prompt)
    return EmissionRow(
      id: record.id,
      category: record.category,
      thinkPresent: trace.thinkPresent,
      thinkClosed: trace.thinkClosed,
      thinkEmpty: trace.thinkEmpty,
      thinkBlocks: trace.blocks.count,
      thinkPrefilled: trace.blocks.first?.prefilled ?? false,
      thinkTokens: trace.thinkPresent ? tokenCounter.countTokens(in: think) : 0,
      answerPresent: trace.answerPresent,
      budgetExhausted: exhausted,
      repetition: loop != nil,
      repetitionFragment: loop?.fragment,
      mojibake: configuration.mojibake.detect(in: content) != nil,
      scriptDrift: drift != nil,
      driftScript: drift?.script,
      runTogether: configuration.runTogether.detect(in: content) != nil)
  }
}
