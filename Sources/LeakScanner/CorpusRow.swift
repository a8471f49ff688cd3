import Foundation

/// The training-row layouts LeakScanner understands.
public enum CorpusShape: String, Sendable, Codable, Hashable, CaseIterable {
  /// `{"prompt": …, "response": …}` (also `completion`, `output`, `answer`, `chosen`), each a
  /// string or, as in TRL's conversational layouts, a list of messages; instruction layouts'
  /// prompt fields (`system`, `instruction`, `question`, `input`) are read as prompt text.
  case promptResponse = "prompt_response"
  /// `{"text": …}`: a fully templated string.
  case text
  /// `{"messages": [{"role": …, "content": …}]}`.
  case messages
  /// `{"conversations": [{"from": …, "value": …}]}` (ShareGPT).
  case conversations

  /// The position in `allCases`.
  var index: Int {
    switch self {
    case .promptResponse: return 0
    case .text: return 1
    case .messages: return 2
    case .conversations: return 3
    }
  }
}

/// One piece of a training row's text, with who wrote it.
public struct RowSegment: Sendable, Hashable {
  /// `prompt`, `response`, `text`, or a message role (`system`, `user`, `assistant`, `gpt`, `human`).
  public var role: String
  /// The text.
  public var text: String

  /// Creates a segment: `role` is a field name or a message role, as ``role`` lists.
  public init(role: String, text: String) {
    self.role = role
    self.text = text
  }

  /// Whether the model is trained to produce this text (responses, assistant turns, templated text).
  public var isModelText: Bool { Self.modelRoles.contains(role) }

  /// The roles (lower case) whose text the model is trained to produce: the fields of the
  /// single-turn layouts, and the assistant roles of chat datasets (OpenAI `assistant`,
  /// ShareGPT `gpt` and `chatgpt`, Gemma `model`, and the `bot`/`chatbot`/`ai` of others).
  static let modelRoles: Set<String> = [
    "response", "assistant", "gpt", "chatgpt", "model", "bot", "chatbot", "ai", "text", "completion",
    "output",
    "answer",
  ]
}

extension ReasoningFormat {
  /// A model turn whose reasoning is kept apart from its content, as chat templates render it:
  /// the opening tag, a newline, the reasoning, a newline, the closing tag, a blank line, the
  /// content.
  public func renderedTurn(reasoning: String, content: String) -> String {
    let framing = turnFraming
    return framing.beforeReasoning + reasoning + framing.afterReasoning + content
  }

  /// What ``renderedTurn(reasoning:content:)`` puts before and after the reasoning: the one
  /// definition of the layout, which the byte path and `--repair` use too.
  var turnFraming: (beforeReasoning: String, afterReasoning: String) {
    (openTag + "\n", "\n" + closeTag + "\n\n")
  }
}

/// A parsed training row.
public struct CorpusRow: Sendable, Hashable {
  /// 1-based line number in the corpus file.
  public var line: Int
  /// Byte offset of the line.
  public var offset: Int
  /// The row's `id` field, or `line-N`.
  public var id: String
  /// The detected (or forced) layout.
  public var shape: CorpusShape
  /// The text pieces, in order.
  public var segments: [RowSegment]
  /// Whether a model turn was a tool call without text (`content` null beside `tool_calls`),
  /// which no segment holds: the model learns the call.
  package var callsTools = false

  /// Creates a row.
  public init(line: Int, offset: Int, id: String, shape: CorpusShape, segments: [RowSegment]) {
    self.line = line
    self.offset = offset
    self.id = id
    self.shape = shape
    self.segments = segments
  }

  /// The text the model learns to produce, joined by newlines.
  public var modelText: String { segments.filter(\.isModelText).map(\.text).joined(separator: "\n") }
  /// All text, joined by newlines.
  public var allText: String { segments.map(\.text).joined(separator: "\n") }
}

/// Turns JSON objects into ``CorpusRow`` values, detecting the layout unless one is forced.
///
/// A chat message written by the model may carry its reasoning in a field of its own
/// (`reasoning_content` as Qwen3 and DeepSeek templates read it, `reasoning`, or `thinking` as
/// gpt-oss's does) instead of a tagged block inside `content`. Such a message's segment is the
/// turn as the template renders it: the reasoning between `format`'s tags, then the content
/// (``ReasoningFormat/renderedTurn(reasoning:content:)``), so every detector reads the
/// reasoning as a reasoning block.
public struct CorpusRowParser: Sendable {
  /// A forced layout, or `nil` to detect per row.
  public var shape: CorpusShape?
  /// The tags a separate reasoning field is rendered with.
  public var format: ReasoningFormat

  /// Creates a parser.
  public init(shape: CorpusShape? = nil, format: ReasoningFormat = .think) {
    self.shape = shape
    self.format = format
  }

  /// The message fields that hold a model turn's reasoning apart from its content, in the
  /// order they are looked for (the first that is present and not `null` is read).
  public static let reasoningKeys = ["reasoning_content", "reasoning", "thinking"]

  static let responseKeys = ["response", "completion", "output", "answer", "chosen"]

  /// Prompt-side fields of instruction layouts beside `prompt` (Alpaca's `{instruction, input,
  /// output}`, `{question, answer}`, a `system` field), read as prompt text in this order after
  /// `system` and `prompt` when they are non-empty strings: the model is not trained on them,
  /// but they tell rows apart and name the languages an answer may use.
  static let extraPromptKeys = ["system", "instruction", "question", "input"]

  static let keptKeys: Set<String> = Set(
    ["id", "messages", "conversations", "text", "prompt"] + responseKeys + reasoningKeys + extraPromptKeys)

  /// Parses one JSONL line; the failure names the line and why.
  ///
  /// Works on the line's bytes: UTF-8 is validated (ASCII lines in one fast pass), the JSON is
  /// checked strictly, and only the fields a training row needs are decoded.
  public func parse(_ line: JSONLLine) -> Result<CorpusRow, LineIssue> {
    let issue = { (kind: LineIssueKind) in
      LineIssue(line: line.number, offset: line.offset, length: line.bytes.count, kind: kind)
    }
    guard line.isValidUTF8 else { return .failure(issue(.invalidUTF8(at: line.firstInvalidUTF8Offset))) }
    if let mark = line.misplacedByteOrderMark { return .failure(issue(.invalidJSON(mark))) }
    let parsed = line.content.withUnsafeBufferPointer { buffer in
      JSONBytes.object(buffer, keep: Self.keptKeys.contains).mapError { issue(.invalidJSON($0.reason)) }
    }
    switch parsed {
    case .failure(let issue): return .failure(issue)
    case .success(let members): return parse(JSONValue.object(members), line: line)
    }
  }

  /// The message fields that make a turn without text a tool call (OpenAI's, and the older
  /// `function_call`).
  static let toolCallKeys = ["tool_calls", "function_call"]

  /// The keys a message of a list is read by.
  static let messageKeys: Set<String> = Set(
    ["role", "content", "from", "value"] + reasoningKeys + toolCallKeys)

  /// The `id` of a line that is a JSON object with one (a string or a number), or nil: for
  /// lines `parse` rejects after reading the JSON (a missing field), whose quarantine record
  /// should still name the row.
  public static func id(of line: JSONLLine) -> String? {
    guard line.isValidUTF8 else { return nil }
    let parsed = line.content.withUnsafeBufferPointer { buffer in
      JSONBytes.object(buffer, keep: { $0 == "id" })
    }
    guard case .success(let members) = parsed else { return nil }
    return JSONValue.object(members)["id"]?.text
  }

  /// A message's text: a string, or OpenAI's list of content parts (`[{"type": "text", "text":
  /// …}, {"type": "image_url", …}]`), whose text parts are joined by newlines; `nil` for
  /// anything else (a part that is neither an object nor a string, a text part without text).
  static func text(of content: JSONValue?) -> String? {
    guard let content else { return nil }
    if let s = content.string { return s }
    guard case .array(let parts) = content else { return nil }
    var texts: [String] = []
    for part in parts {
      if let s = part.string {
        texts.append(s)
        continue
      }
      guard case .object = part else { return nil }
      let type = part["type"]?.string ?? "text"
      guard type == "text" || type == "input_text" || type == "output_text" else { continue }
      guard let text = part["text"]?.string else { return nil }
      texts.append(text)
    }
    return texts.joined(separator: "\n")
  }

  func parse(_ object: JSONValue, line: JSONLLine) -> Result<CorpusRow, LineIssue> {
    func missing(_ field: String) -> Result<CorpusRow, LineIssue> {
      .failure(
        LineIssue(
          line: line.number, offset: line.offset, length: line.bytes.count, kind: .missingField(field)))
    }
    func repeated(_ field: String) -> Result<CorpusRow, LineIssue> {
      .failure(
        LineIssue(
          line: line.number, offset: line.offset, length: line.bytes.count,
          kind: .invalidJSON("duplicate key '\(field)': readers differ on which value the row holds")))
    }
    // A key the row is read by, given twice at its top level (`response`), before anything is
    // read from it; the messages and content parts its layout reads are checked as they are.
    // Other keys may repeat: nothing reads them.
    do { try Self.checkRepeatedKeys(object, Self.keptKeys, at: nil) } catch { return repeated(error.field) }
    let id = object["id"]?.text ?? "line-\(line.number)"
    let detected: CorpusShape
    if let shape {
      detected = shape
    } else if object["messages"]?.array != nil {
      detected = .messages
    } else if object["conversations"]?.array != nil {
      detected = .conversations
    } else if object["text"]?.string != nil {
      detected = .text
    } else if object["prompt"] != nil || Self.responseKeys.contains(where: { object[$0] != nil })
      || Self.extraPromptKeys.contains(where: { object[$0] != nil })
    {
      detected = .promptResponse
    } else {
      return missing("prompt/response, text, messages or conversations")
    }
    var segments: [RowSegment] = []
    var toolCalls = false
    // A message list's failure names the field that is missing or not text.
    do {
      switch detected {
      case .text:
        guard let text = object["text"]?.string else { return missing("text") }
        segments = [RowSegment(role: "text", text: text)]
      case .promptResponse:
        // TRL's conversational layouts hold message lists here: the prompt's turns are prompt
        // text whatever their roles (the model is not trained on them), the response's are read
        // as a chat's.
        if let system = object["system"]?.string, !system.isEmpty {
          segments.append(RowSegment(role: "prompt", text: system))
        }
        if let prompt = object["prompt"] {
          if let text = prompt.string {
            segments.append(RowSegment(role: "prompt", text: text))
          } else if let list = prompt.array {
            var ignored = false
            let turns = try messageSegments(
              list, listKey: "prompt", roleKey: "role", contentKey: "content", toolCalls: &ignored)
            segments += turns.map { RowSegment(role: "prompt", text: $0.text) }
          }
        }
        for key in Self.extraPromptKeys.dropFirst() {
          if let text = object[key]?.string, !text.isEmpty {
            segments.append(RowSegment(role: "prompt", text: text))
          }
        }
        guard
          let (key, response) = Self.responseKeys.lazy.compactMap({ key in
            object[key].flatMap { $0.string != nil || $0.array != nil ? (key, $0) : nil }
          }).first
        else { return missing("response") }
        if let text = response.string {
          // A reasoning field beside the response (`{prompt, reasoning, response}`) is read as
          // a model turn's: rendered before the response between the tags.
          if let key = Self.reasoningKeys.first(where: { object[$0] != nil && object[$0] != .null }) {
            try Self.checkRepeatedPartKeys(object[key], at: key)
            guard let reasoning = Self.text(of: object[key]) else { return missing(key) }
            segments.append(
              RowSegment(role: "response", text: format.renderedTurn(reasoning: reasoning, content: text)))
          } else {
            segments.append(RowSegment(role: "response", text: text))
          }
        } else {
          segments += try messageSegments(
            response.array ?? [], listKey: key, roleKey: "role", contentKey: "content", toolCalls: &toolCalls)
        }
      case .messages, .conversations:
        let (listKey, roleKey, contentKey) =
          detected == .messages ? ("messages", "role", "content") : ("conversations", "from", "value")
        guard let list = object[listKey]?.array else { return missing(listKey) }
        segments = try messageSegments(
          list, listKey: listKey, roleKey: roleKey, contentKey: contentKey, toolCalls: &toolCalls)
      }
    } catch {
      return error.repeated ? repeated(error.field) : missing(error.field)
    }
    var row = CorpusRow(line: line.number, offset: line.offset, id: id, shape: detected, segments: segments)
    row.callsTools = toolCalls
    return .success(row)
  }

  /// The segments of a message list (`listKey`, for the field named in a failure), a model
  /// turn's separate reasoning rendered into it; the failure is the dotted path of the field
  /// that is missing or not text.
  func messageSegments(
    _ list: [JSONValue], listKey: String, roleKey: String, contentKey: String, toolCalls: inout Bool
  ) throws(FieldFailure) -> [RowSegment] {
    var segments: [RowSegment] = []
    let alternate = Self.alternateKeys(roleKey: roleKey, contentKey: contentKey)
    for (i, message) in list.enumerated() {
      try Self.checkRepeatedKeys(message, Self.messageKeys, at: "\(listKey).\(i)")
      // A list may hold the other layout's keys: `conversations` of `{role, content}` (as many
      // chat datasets write it) and `messages` of `{from, value}`.
      let (roleKey, contentKey) =
        message[roleKey] == nil && message[alternate.role] != nil ? alternate : (roleKey, contentKey)
      guard let role = message[roleKey]?.string else {
        throw FieldFailure("\(listKey).\(i).\(roleKey)")
      }
      try Self.checkRepeatedPartKeys(message[contentKey], at: "\(listKey).\(i).\(contentKey)")
      guard let content = Self.text(of: message[contentKey]) else {
        // An OpenAI tool call: `content` is null or absent beside `tool_calls` (or the older
        // `function_call`), and there is no text to read.
        let value = message[contentKey]
        if value == nil || value == .null,
          Self.toolCallKeys.contains(where: { message[$0] != nil && message[$0] != .null })
        {
          toolCalls = true
          continue
        }
        throw FieldFailure("\(listKey).\(i).\(contentKey)")
      }
      let segment = RowSegment(role: role.lowercased(), text: content)
      // A tool call with an empty `content` beside it is a call too (`""` as some writers put it).
      if segment.isModelText, content.allSatisfy(\.isWhitespace),
        Self.toolCallKeys.contains(where: { message[$0] != nil && message[$0] != .null })
      {
        toolCalls = true
      }
      guard segment.isModelText,
        let key = Self.reasoningKeys.first(where: { message[$0] != nil && message[$0] != .null })
      else {
        segments.append(segment)
        continue
      }
      // A string, or a list of text parts as `content` may be.
      try Self.checkRepeatedPartKeys(message[key], at: "\(listKey).\(i).\(key)")
      guard let reasoning = Self.text(of: message[key]) else {
        throw FieldFailure("\(listKey).\(i).\(key)")
      }
      segments.append(
        RowSegment(role: segment.role, text: format.renderedTurn(reasoning: reasoning, content: content)))
    }
    return segments
  }

  /// The other layout's role and content keys: `from`/`value` for `role`/`content` and back.
  static func alternateKeys(roleKey: String, contentKey: String) -> (role: String, content: String) {
    roleKey == "from" ? ("role", "content") : ("from", "value")
  }

  /// The dotted path of a field that is missing or of the wrong type.
  struct FieldFailure: Error {
    var field: String
    /// The field is held twice (its path ends in the repeated key), not missing.
    var repeated = false
    init(_ field: String, repeated: Bool = false) {
      self.field = field
      self.repeated = repeated
    }
  }

  /// Throws when `value`, a row, a message or one of its content parts, holds one of `keys`
  /// twice (the field named by `path`, `nil` at the top level, and the key).
  static func checkRepeatedKeys(_ value: JSONValue?, _ keys: Set<String>, at path: String?)
    throws(FieldFailure)
  {
    guard case .object(let fields)? = value else { return }
    var seen = Set<String>()
    for field in fields where keys.contains(field.key) && !seen.insert(field.key).inserted {
      throw FieldFailure(path.map { "\($0).\(field.key)" } ?? field.key, repeated: true)
    }
  }

  /// Throws when a content part of `content` (a list of parts) holds `type` or `text` twice.
  static func checkRepeatedPartKeys(_ content: JSONValue?, at path: String) throws(FieldFailure) {
    guard case .array(let parts)? = content else { return }
    for (k, part) in parts.enumerated() { try checkRepeatedKeys(part, ["type", "text"], at: "\(path).\(k)") }
  }
}
