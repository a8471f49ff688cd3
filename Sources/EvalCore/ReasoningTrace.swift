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
    let openBytes = Array(open.utf8)
    let closeBytes = Array(close.utf8)
    let mode = opening ?? format.opening
    // `.prefilled` is decided on Characters here (byte scanners use `prefilledOnBytes`).
    let startsInside = mode == .prefilled && !(text.drop { $0.isWhitespace }.hasPrefix(open))
    var text = text
    var layout = TraceLayout()
    text.withUTF8 { bytes in
      let prefilled =
        mode == .prefilled
        ? startsInside : Self.isPrefilled(bytes, open: openBytes, close: closeBytes, mode: mode)
      Self.layout(bytes, open: openBytes, close: closeBytes, prefilled: prefilled, into: &layout)
    }
    let utf8 = text.utf8
    func index(_ offset: Int) -> String.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
    var blocks: [ThinkBlock] = []
    for block in layout.blocks {
      blocks.append(
        ThinkBlock(
          content: text[index(block.range.lowerBound)..<index(block.range.upperBound)], closed: block.closed,
          prefilled: block.prefilled))
    }
    var answer = ""
    for piece in layout.answer { answer += text[index(piece.lowerBound)..<index(piece.upperBound)] }
    self.blocks = blocks
    self.answer = answer
    nested = layout.nested
    strayCloseTags = layout.strayCloseTags
  }

  /// Whether a text starts inside a block, for the `.explicit` and `.automatic` openings
  /// (`.prefilled` needs ``prefilledOnBytes(_:open:)``).
  package static func isPrefilled(
    _ bytes: UnsafeBufferPointer<UInt8>, open: [UInt8], close: [UInt8], mode: ThinkOpening
  ) -> Bool {
    guard mode == .automatic, let c = ByteSearch.firstOffset(of: close, in: bytes, from: 0) else {
      return false
    }
    return ByteSearch.firstOffset(of: open, in: bytes, from: 0).map { c < $0 } ?? true
  }

  /// The `.prefilled` decision (no opening tag after leading whitespace) on bytes, or `nil`
  /// when it needs Character semantics (non-ASCII at the decisive place).
  package static func prefilledOnBytes(_ bytes: UnsafeBufferPointer<UInt8>, open: [UInt8]) -> Bool? {
    var i = 0
    while i < bytes.count, bytes[i] == 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0D) { i += 1 }
    if i < bytes.count && bytes[i] >= 0x80 { return nil }
    guard !open.isEmpty else { return false }
    guard bytes.count - i >= open.count else { return true }
    for k in 0..<open.count where bytes[i + k] != open[k] { return true }
    if i + open.count < bytes.count && bytes[i + open.count] >= 0x80 { return nil }
    return false
  }

  /// The reasoning structure of UTF-8 `bytes` as byte ranges (``ReasoningTrace/init(parsing:format:opening:)``
  /// is built on it); `layout` is cleared and refilled so its arrays are reused.
  package static func layout(
    _ bytes: UnsafeBufferPointer<UInt8>, open: [UInt8], close: [UInt8], prefilled: Bool,
    into layout: inout TraceLayout
  ) {
    layout.blocks.removeAll(keepingCapacity: true)
    layout.answer.removeAll(keepingCapacity: true)
    layout.nested = false
    layout.strayCloseTags = 0
    let end = bytes.count
    // Each tag's last search, reused while it still answers: a text of many opening tags and
    // no closing one would otherwise search to its end once per tag (quadratic).
    var opens = TagSearch(tag: open)
    var closes = TagSearch(tag: close)
    var cursor = 0
    var inside = prefilled
    var blockStart = 0
    var blockPrefilled = prefilled
    while cursor < end {
      if inside {
        let nextClose = closes.next(bytes, cursor)
        let nextOpen = opens.next(bytes, cursor)
        if let o = nextOpen, nextClose.map({ o < $0 }) ?? true {
          layout.nested = true
          // The inner opening tag is part of the block's content.
          cursor = o + open.count
          continue
        }
        if let c = nextClose {
          layout.blocks.append(
            TraceLayout.Block(range: blockStart..<c, closed: true, prefilled: blockPrefilled))
          cursor = c + close.count
          inside = false
        } else {
          layout.blocks.append(
            TraceLayout.Block(range: blockStart..<end, closed: false, prefilled: blockPrefilled))
          cursor = end
        }
      } else {
        let nextOpen = opens.next(bytes, cursor)
        let segmentEnd = nextOpen ?? end
        var segmentStart = cursor
        // Count and drop stray closing tags in answer text.
        while let c = closes.next(bytes, segmentStart), c + close.count <= segmentEnd {
          layout.strayCloseTags += 1
          layout.answer.append(segmentStart..<c)
          segmentStart = c + close.count
        }
        layout.answer.append(segmentStart..<segmentEnd)
        if let o = nextOpen {
          inside = true
          blockPrefilled = false
          blockStart = o + open.count
          cursor = blockStart
        } else {
          cursor = end
        }
      }
    }
    // Still inside a block the loop did not add: an opening tag at the very end of the text (an
    // empty unclosed block), or an inner opening tag there (`<think>so…<think>`, a truncated
    // output), whose block runs to the end unclosed.
    if inside && cursor == end && (layout.blocks.last.map { $0.range != blockStart..<end } ?? true) {
      layout.blocks.append(
        TraceLayout.Block(range: blockStart..<end, closed: false, prefilled: blockPrefilled))
    }
  }
}

/// The next occurrence of one tag, remembering the last search: a search from `from` found
/// nothing before `at` (or nothing at all), so it answers every later start up to `at`.
private struct TagSearch {
  let tag: [UInt8]
  var from = Int.max
  var at: Int? = nil

  init(tag: [UInt8]) { self.tag = tag }

  mutating func next(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
    if from <= start && (at.map { start <= $0 } ?? true) { return at }
    from = start
    at = ByteSearch.firstOffset(of: tag, in: bytes, from: start)
    return at
  }
}

/// The reasoning structure of a text as byte ranges: what ``ReasoningTrace`` is built from,
/// and what byte-level scanners read without making Strings.
package struct TraceLayout: Sendable {
  /// One reasoning block.
  package struct Block: Sendable, Equatable {
    /// The content's byte range (without tags).
    package var range: Range<Int>
    /// Whether a closing tag ended it.
    package var closed: Bool
    /// Whether it began before any opening tag.
    package var prefilled: Bool
  }
  /// Blocks in order.
  package var blocks: [Block] = []
  /// Pieces of text outside blocks (stray closing tags cut out), in order.
  package var answer: [Range<Int>] = []
  /// Whether an opening tag appeared inside an open block.
  package var nested = false
  /// Closing tags with no block to close.
  package var strayCloseTags = 0

  /// Creates an empty layout.
  package init() {}
}
