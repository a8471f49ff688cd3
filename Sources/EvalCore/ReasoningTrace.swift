#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How a reasoning block is opened in a model's output.
public enum ThinkOpening: String, Sendable, Codable, Hashable, CaseIterable {
  /// The output must contain the opening tag itself.
  case explicit
  /// The chat template already emitted the opening tag (DeepSeek-R1 distills): the output
  /// starts inside the reasoning block and holds only the closing tag.
  case prefilled
  /// Decide per output: if a closing tag appears before any opening tag, the opening tag was
  /// prefilled; otherwise explicit.
  case automatic
}

/// The tag pair and opening convention of a reasoning format.
public struct ReasoningFormat: Sendable, Hashable, Codable {
  /// Opening tag, `<think>` by default.
  public var openTag: String
  /// Closing tag, `</think>` by default.
  public var closeTag: String
  /// Whether the template prefills the opening tag.
  public var opening: ThinkOpening

  /// Creates a format.
  public init(openTag: String = "<think>", closeTag: String = "</think>", opening: ThinkOpening = .automatic)
  {
    self.openTag = openTag
    self.closeTag = closeTag
    self.opening = opening
  }

  /// `<think>…</think>` with automatic detection of a prefilled opening tag.
  public static let think = ReasoningFormat()
  /// DeepSeek-R1 distills: the template prefills `<think>`.
  public static let deepSeekR1 = ReasoningFormat(opening: .prefilled)

  /// Parses `text` into its reasoning blocks and answer.
  public func parse(_ text: String, opening override: ThinkOpening? = nil) -> ReasoningTrace {
    ReasoningTrace(parsing: text, format: self, opening: override ?? opening)
  }
}

/// One reasoning block found in an output.
public struct ThinkBlock: Sendable, Hashable {
  /// The text between the tags.
  public var content: Substring
  /// Whether the closing tag was found.
  public var closed: Bool
  /// Whether the opening tag came from the template rather than the output.
  public var prefilled: Bool

  /// Whether the block has no non-whitespace content (`<think>\n\n</think>`).
  public var isEmpty: Bool { content.allSatisfy(\.isWhitespace) }
}

/// The structure of one output: reasoning blocks and the answer after them.
public struct ReasoningTrace: Sendable, Hashable {
  /// Blocks in order of appearance.
  public var blocks: [ThinkBlock]
  /// Text outside any block; for well-formed outputs, the answer after the last block.
  public var answer: String
  /// Whether an opening tag appeared inside an open block.
  public var nested: Bool
  /// Closing tags with no block to close (after the first block).
  public var strayCloseTags: Int

  /// Whether there is reasoning with content. Empty blocks count as no reasoning.
  public var thinkPresent: Bool { blocks.contains { !$0.isEmpty } }
  /// Whether at least one block exists and every block is closed.
  public var thinkClosed: Bool { !blocks.isEmpty && blocks.allSatisfy(\.closed) }
  /// Whether blocks exist but all are empty.
  public var thinkEmpty: Bool { !blocks.isEmpty && blocks.allSatisfy(\.isEmpty) }
  /// The reasoning text of all blocks, joined by newlines.
  public var thinkText: String { blocks.map { String($0.content) }.joined(separator: "\n") }
  /// Whether non-whitespace answer text follows the reasoning.
  public var answerPresent: Bool { answer.contains { !$0.isWhitespace } }

  /// Parses `text` with the given tags.
  public init(parsing text: String, format: ReasoningFormat = .think, opening: ThinkOpening? = nil) {
    let open = format.openTag
    let close = format.closeTag
    var blocks: [ThinkBlock] = []
    var answer = ""
    var nested = false
    var stray = 0
    var cursor = text.startIndex

    let openBytes = Array(open.utf8)
    let closeBytes = Array(close.utf8)
    let firstOpen = find(openBytes, in: text, from: text.startIndex)
    let firstClose = find(closeBytes, in: text, from: text.startIndex)
    let mode = opening ?? format.opening
    let prefilled: Bool
    switch mode {
    case .explicit: prefilled = false
    case .prefilled: prefilled = !(text.drop { $0.isWhitespace }.hasPrefix(open))
    case .automatic:
      if let c = firstClose {
        prefilled = firstOpen.map { c.lowerBound < $0.lowerBound } ?? true
      } else {
        prefilled = false
      }
    }

    var inside = prefilled
    var blockStart = text.startIndex
    var blockPrefilled = prefilled
    while cursor < text.endIndex {
      if inside {
        let nextClose = find(closeBytes, in: text, from: cursor)
        let nextOpen = find(openBytes, in: text, from: cursor)
        if let o = nextOpen, nextClose.map({ o.lowerBound < $0.lowerBound }) ?? true {
          nested = true
          // Treat the inner opening tag as part of the block's content.
          cursor = o.upperBound
          continue
        }
        if let c = nextClose {
          blocks.append(
            ThinkBlock(content: text[blockStart..<c.lowerBound], closed: true, prefilled: blockPrefilled))
          cursor = c.upperBound
          inside = false
        } else {
          blocks.append(ThinkBlock(content: text[blockStart...], closed: false, prefilled: blockPrefilled))
          cursor = text.endIndex
        }
      } else {
        let nextOpen = find(openBytes, in: text, from: cursor)
        let segmentEnd = nextOpen?.lowerBound ?? text.endIndex
        var segment = text[cursor..<segmentEnd]
        // Count and drop stray closing tags in answer text.
        while let c = find(closeBytes, in: text, from: segment.startIndex), c.upperBound <= segment.endIndex {
          stray += 1
          answer += segment[segment.startIndex..<c.lowerBound]
          segment = segment[c.upperBound...]
        }
        answer += segment
        if let o = nextOpen {
          inside = true
          blockPrefilled = false
          blockStart = o.upperBound
          cursor = o.upperBound
        } else {
          cursor = text.endIndex
        }
      }
    }
    if inside && cursor == text.endIndex && (blocks.isEmpty || blocks.last?.content.endIndex != text.endIndex)
      && blockStart == text.endIndex
    {
      // An opening tag at the very end of the text: an empty unclosed block.
      blocks.append(ThinkBlock(content: text[text.endIndex...], closed: false, prefilled: blockPrefilled))
    }
    self.blocks = blocks
    self.answer = answer
    self.nested = nested
    self.strayCloseTags = stray
  }
}
