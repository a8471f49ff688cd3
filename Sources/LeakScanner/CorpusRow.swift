import Foundation

/// The training-row layouts LeakScanner understands.
public enum CorpusShape: String, Sendable, Codable, Hashable, CaseIterable {
  /// `{"prompt": …, "response": …}` (also `completion`, `output`, `answer`).
  case promptResponse = "prompt_response"
  /// `{"text": …}`: a fully templated string.
  case text
  /// `{"messages": [{"role": …, "content": …}]}`.
  case messages
  /// `{"conversations": [{"from": …, "value": …}]}` (ShareGPT).
  case conversations
}

/// One piece of a training row's text, with who wrote it.
public struct RowSegment: Sendable, Hashable {
  /// `prompt`, `response`, `text`, or a message role (`system`, `user`, `assistant`, `gpt`, `human`).
  public var role: String
  /// The text.
  public var text: String

  /// Whether the model is trained to produce this text (responses, assistant turns, templated text).
  public var isModelText: Bool {
    switch role {
    case "response", "assistant", "gpt", "model", "text", "completion", "output", "answer": return true
    default: return false
    }
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
public struct CorpusRowParser: Sendable {
  /// A forced layout, or `nil` to detect per row.
  public var shape: CorpusShape?

  /// Creates a parser.
  public init(shape: CorpusShape? = nil) { self.shape = shape }

  static let responseKeys = ["response", "completion", "output", "answer", "chosen"]

  /// Parses one JSONL line; the failure names the line and why.
  public func parse(_ line: JSONLLine) -> Result<CorpusRow, LineIssue> {
    switch JSONLine.object(from: line) {
    case .failure(let issue): return .failure(issue)
    case .success(let object): return parse(object, line: line)
    }
  }

  func parse(_ object: [String: Any], line: JSONLLine) -> Result<CorpusRow, LineIssue> {
    func missing(_ field: String) -> Result<CorpusRow, LineIssue> {
      .failure(LineIssue(line: line.number, offset: line.offset, length: line.bytes.count, kind: .missingField(field)))
    }
    let id = JSONLine.string(object["id"]) ?? "line-\(line.number)"
    let detected: CorpusShape
    if let shape {
      detected = shape
    } else if object["messages"] is [Any] {
      detected = .messages
    } else if object["conversations"] is [Any] {
      detected = .conversations
    } else if object["text"] is String {
      detected = .text
    } else if object["prompt"] != nil || Self.responseKeys.contains(where: { object[$0] != nil }) {
      detected = .promptResponse
    } else {
      return missing("prompt/response, text, messages or conversations")
    }
    var segments: [RowSegment] = []
    switch detected {
    case .text:
      guard let text = object["text"] as? String else { return missing("text") }
      segments = [RowSegment(role: "text", text: text)]
    case .promptResponse:
      if let prompt = object["prompt"] as? String { segments.append(RowSegment(role: "prompt", text: prompt)) }
      guard let key = Self.responseKeys.first(where: { object[$0] is String }), let response = object[key] as? String
      else { return missing("response") }
      segments.append(RowSegment(role: "response", text: response))
    case .messages, .conversations:
      let (listKey, roleKey, contentKey) =
        detected == .messages ? ("messages", "role", "content") : ("conversations", "from", "value")
      guard let list = object[listKey] as? [Any] else { return missing(listKey) }
      for (i, item) in list.enumerated() {
        guard let message = item as? [String: Any], let role = message[roleKey] as? String else {
          return missing("\(listKey).\(i).\(roleKey)")
        }
        guard let content = message[contentKey] as? String else { return missing("\(listKey).\(i).\(contentKey)") }
        segments.append(RowSegment(role: role.lowercased(), text: content))
      }
    }
    return .success(CorpusRow(line: line.number, offset: line.offset, id: id, shape: detected, segments: segments))
  }
}
