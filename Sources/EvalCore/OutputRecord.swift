/// Why generation stopped.
public enum FinishReason: String, Sendable, Codable, Hashable {
  /// A stop token or stop string ended generation.
  case stop
  /// The token budget (`max_new_tokens`) ran out.
  case length
  /// The request was cancelled.
  case cancelled
  /// Something else, or not recorded.
  case other
}

/// One model output under evaluation: what the model was asked and what it emitted.
public struct OutputRecord: Sendable, Hashable, Codable {
  /// Row identifier (from the input, or the line number when the input has none).
  public var id: String
  /// Probe category, used for per-category rates. Empty when not given.
  public var category: String
  /// The prompt, when recorded.
  public var prompt: String?
  /// The raw output text, including any reasoning block.
  public var output: String
  /// Completion tokens reported by the generator, when recorded.
  public var completionTokens: Int?
  /// The generation budget, when recorded.
  public var maxNewTokens: Int?
  /// Why generation stopped, when recorded.
  public var finishReason: FinishReason?
  /// Per-row override of the run's ``ThinkOpening`` (for mixed runs).
  public var thinkOpening: ThinkOpening?

  /// Creates a record.
  public init(
    id: String, category: String = "", prompt: String? = nil, output: String,
    completionTokens: Int? = nil, maxNewTokens: Int? = nil, finishReason: FinishReason? = nil,
    thinkOpening: ThinkOpening? = nil
  ) {
    self.id = id
    self.category = category
    self.prompt = prompt
    self.output = output
    self.completionTokens = completionTokens
    self.maxNewTokens = maxNewTokens
    self.finishReason = finishReason
    self.thinkOpening = thinkOpening
  }
}

/// Where each field of an ``OutputRecord`` lives in an input JSON object.
///
/// Paths are dotted (``FieldPath``), so OpenAI-style responses work directly:
/// `RecordFields(output: "choices.0.message.content", finishReason: "choices.0.finish_reason")`.
/// Only ``output`` is required; the others are read when present.
public struct RecordFields: Sendable, Hashable {
  /// Row id; when absent in a row, the line number is used.
  public var id: FieldPath
  /// Probe category.
  public var category: FieldPath
  /// Prompt text.
  public var prompt: FieldPath
  /// Output text (required).
  public var output: FieldPath
  /// Completion token count.
  public var completionTokens: FieldPath
  /// Generation budget.
  public var maxNewTokens: FieldPath
  /// Finish reason (`stop`, `length`, ...).
  public var finishReason: FieldPath
  /// Per-row `template_opens_think` flag (boolean).
  public var templateOpensThink: FieldPath

  /// Creates a field mapping; the defaults match FieldEval's own probe output.
  public init(
    id: FieldPath = "id", category: FieldPath = "category", prompt: FieldPath = "prompt",
    output: FieldPath = "output", completionTokens: FieldPath = "completion_tokens",
    maxNewTokens: FieldPath = "max_new_tokens", finishReason: FieldPath = "finish_reason",
    templateOpensThink: FieldPath = "template_opens_think"
  ) {
    self.id = id
    self.category = category
    self.prompt = prompt
    self.output = output
    self.completionTokens = completionTokens
    self.maxNewTokens = maxNewTokens
    self.finishReason = finishReason
    self.templateOpensThink = templateOpensThink
  }

  /// Builds a record from one decoded JSON object.
  /// - Returns: the record, or the missing-field issue.
  package func record(from object: [String: Any], line: JSONLLine, duplicates: [[String]] = []) -> Result<
    OutputRecord, LineIssue
  > {
    // A key given twice on the way to a field read makes the field's value a reader's guess;
    // elsewhere it is left alone, as nothing reads it.
    let read = [
      id, category, prompt, output, completionTokens, maxNewTokens, finishReason, templateOpensThink,
    ]
    for duplicate in duplicates {
      guard let field = read.first(where: { $0.components.starts(with: duplicate) }) else { continue }
      return .failure(
        LineIssue(
          line: line.number, offset: line.offset, length: line.bytes.count,
          kind: .invalidJSON(
            "duplicate key '\(duplicate.joined(separator: "."))' on the path of field '\(field)' (readers differ on which value wins)"
          )))
    }
    guard let output = output.value(in: object) as? String else {
      return .failure(
        LineIssue(
          line: line.number, offset: line.offset, length: line.bytes.count,
          kind: .missingField(output.description)))
    }
    // A count that is there must be one: `1e30` or `true` would be read as something else.
    var counts: [Int?] = []
    for path in [completionTokens, maxNewTokens] {
      let value = path.value(in: object)
      let count = JSONLine.int(value)
      if value != nil, count == nil || count! < 0 {
        return .failure(
          LineIssue(
            line: line.number, offset: line.offset, length: line.bytes.count,
            kind: .invalidField(path.description, reason: "is not a token count (a whole number from 0)")))
      }
      counts.append(count)
    }
    let id = JSONLine.string(self.id.value(in: object)) ?? "line-\(line.number)"
    let finish = (finishReason.value(in: object) as? String).map { FinishReason(rawValue: $0) ?? .other }
    var opening: ThinkOpening? = nil
    if let flag = templateOpensThink.value(in: object) as? Bool { opening = flag ? .prefilled : .explicit }
    return .success(
      OutputRecord(
        id: id,
        category: JSONLine.string(category.value(in: object)) ?? "",
        prompt: prompt.value(in: object) as? String,
        output: output,
        completionTokens: counts[0],
        maxNewTokens: counts[1],
        finishReason: finish,
        thinkOpening: opening))
  }
}

/// Reads ``OutputRecord`` values from a JSONL file, streaming, reporting each bad line.
public struct OutputRecordReader: Sendable {
  /// The underlying line reader.
  public var reader: JSONLReader
  /// Where the fields live.
  public var fields: RecordFields

  /// Creates a reader for `path` with the given field mapping.
  public init(path: String, fields: RecordFields = RecordFields(), maxLineBytes: Int = 64 << 20) {
    self.reader = JSONLReader(path: path, maxLineBytes: maxLineBytes)
    self.fields = fields
  }

  /// Calls `onRecord` for each good row and `onIssue` for each malformed line, in file order.
  public func forEach(
    _ onRecord: (OutputRecord) throws -> Void,
    onIssue: (LineIssue) throws -> Void
  ) throws {
    try reader.forEachLine { line in
      if line.isBlank { return }
      switch JSONLine.objectAndDuplicates(from: line) {
      case .failure(let issue): try onIssue(issue)
      case .success(let (object, duplicates)):
        switch fields.record(from: object, line: line, duplicates: duplicates) {
        case .failure(let issue): try onIssue(issue)
        case .success(let record): try onRecord(record)
        }
      }
    } onOversizedLine: { issue in
      try onIssue(issue)
    }
  }

  /// Reads the whole file into memory (for small runs such as a baseline).
  public func readAll() throws -> (records: [OutputRecord], issues: [LineIssue]) {
    var records: [OutputRecord] = []
    var issues: [LineIssue] = []
    try forEach {
      records.append($0)
    } onIssue: {
      issues.append($0)
    }
    return (records, issues)
  }
}
