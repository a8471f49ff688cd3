import EvalCore

/// One row's texts as UTF-8 bytes in a buffer reused from row to row, with the reasoning
/// structure of each model-written segment as byte ranges.
///
/// This is what the scan's hot path reads instead of ``RowContext``: it holds the same
/// information (model text, reasoning blocks, openings, the text without tags) without making
/// a `String` per piece. Anything that needs Character semantics (a non-ASCII character where
/// whitespace is skipped) is left to ``RowContext``: ``load(_:)`` then returns `false`.
final class RowBytes {
  /// Segment texts, back to back.
  private(set) var storage: [UInt8] = []
  /// The joined model text, when there are several model segments.
  private var joinedModel: [UInt8] = []
  /// The model text without tags.
  private var plainStore: [UInt8] = []
  private var modelIsJoined = false
  /// Each segment's range in `storage`.
  private(set) var segments: [Range<Int>] = []
  /// The model-written text's range in `storage`, when it is a single segment.
  private var model: Range<Int> = 0..<0
  /// The layout of each model segment, ranges made absolute in `storage`.
  private(set) var traces: [TraceLayout] = []
  private var traceCount = 0
  /// Each reasoning block's content after leading whitespace (``RowContext/thinkOpenings``).
  private(set) var openings: [Range<Int>] = []
  /// Whether every segment is ASCII.
  private(set) var isASCII = true

  private let format: ReasoningFormat
  private let open: [UInt8]
  private let close: [UInt8]

  /// Creates an empty buffer for rows read with `format`.
  init(format: ReasoningFormat) {
    self.format = format
    open = Array(format.openTag.utf8)
    close = Array(format.closeTag.utf8)
  }

  /// The layouts of this row's model segments.
  var rowTraces: ArraySlice<TraceLayout> { traces[..<traceCount] }

  /// Loads `row` (read with the buffer's format); `false` when the row needs ``RowContext`` (Character-level whitespace).
  func load(_ row: CorpusRow) -> Bool {
    storage.removeAll(keepingCapacity: true)
    segments.removeAll(keepingCapacity: true)
    openings.removeAll(keepingCapacity: true)
    traceCount = 0
    var modelSegments = 0
    var lastModel = 0..<0
    for segment in row.segments {
      var text = segment.text
      let start = storage.count
      text.withUTF8 { storage.append(contentsOf: $0) }
      segments.append(start..<storage.count)
      if segment.isModelText {
        modelSegments += 1
        lastModel = start..<storage.count
      }
    }
    isASCII = storage.withUnsafeBufferPointer { ByteSearch.isASCII($0) }
    model = lastModel
    modelIsJoined = modelSegments > 1
    if modelIsJoined {
      joinedModel.removeAll(keepingCapacity: true)
      for (i, segment) in row.segments.enumerated() where segment.isModelText {
        if !joinedModel.isEmpty { joinedModel.append(0x0A) }
        Self.copy(storage, segments[i], to: &joinedModel)
      }
    }
    // Reasoning structure per model segment.
    for (i, segment) in row.segments.enumerated() where segment.isModelText {
      let range = segments[i]
      if traceCount == traces.count { traces.append(TraceLayout()) }
      let ok = storage.withUnsafeBufferPointer { all -> Bool in
        let bytes = UnsafeBufferPointer(rebasing: all[range])
        let prefilled: Bool
        if format.opening == .prefilled {
          guard let decided = ReasoningTrace.prefilledOnBytes(bytes, open: open) else { return false }
          prefilled = decided
        } else {
          prefilled = ReasoningTrace.isPrefilled(bytes, open: open, close: close, mode: format.opening)
        }
        ReasoningTrace.layout(
          bytes, open: open, close: close, prefilled: prefilled, into: &traces[traceCount])
        return true
      }
      guard ok else { return false }
      traces[traceCount].offset(by: range.lowerBound)
      traceCount += 1
    }
    // Openings: leading ASCII whitespace skipped; any other first character needs Characters.
    for t in 0..<traceCount {
      for block in traces[t].blocks {
        var i = block.range.lowerBound
        while i < block.range.upperBound && Self.isASCIISpace(storage[i]) { i += 1 }
        if i < block.range.upperBound && storage[i] >= 0x80 { return false }
        openings.append(i..<block.range.upperBound)
      }
    }
    plainText()
    return true
  }

  private static func copy(_ source: [UInt8], _ range: Range<Int>, to target: inout [UInt8]) {
    source.withUnsafeBufferPointer { target.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
  }

  /// Calls `body` with the model-written text (``RowContext/modelText``).
  func withModel<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    if modelIsJoined { return try joinedModel.withUnsafeBufferPointer(body) }
    return try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[model])) }
  }

  /// Calls `body` with the model text without reasoning tags (``RowContext/plainModelText``).
  func withPlain<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try plainStore.withUnsafeBufferPointer(body)
  }

  /// Calls `body` with all of `storage` (ranges of segments, blocks and openings index it).
  func withStorage<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try storage.withUnsafeBufferPointer(body)
  }

  /// Writes the text without tags: per trace, the blocks joined by newlines, a newline and
  /// the answer pieces (just the answer when there are no blocks); traces joined by newlines.
  private func plainText() {
    plainStore.removeAll(keepingCapacity: true)
    for t in 0..<traceCount {
      if t > 0 { plainStore.append(0x0A) }
      if !traces[t].blocks.isEmpty {
        for (k, block) in traces[t].blocks.enumerated() {
          if k > 0 { plainStore.append(0x0A) }
          Self.copy(storage, block.range, to: &plainStore)
        }
        plainStore.append(0x0A)
      }
      for piece in traces[t].answer { Self.copy(storage, piece, to: &plainStore) }
    }
  }

  /// The byte length of the first `characters` Characters of `text` (or all of it) when they
  /// are plain ASCII: no byte at or above 0x80, no CR (which joins a following LF), and a next
  /// byte that cannot extend the last Character. `nil` otherwise.
  static func asciiCharacterPrefix(_ text: UnsafeBufferPointer<UInt8>, _ characters: Int) -> Int? {
    let n = min(characters, text.count)
    for i in 0..<n where text[i] >= 0x80 || text[i] == 0x0D { return nil }
    if n < text.count && text[n] >= 0x80 { return nil }
    return n
  }

  @inline(__always) static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

  /// Whether `range` is whitespace only: `nil` when a non-ASCII character decides it.
  func isBlank(_ range: Range<Int>) -> Bool? {
    for i in range {
      let b = storage[i]
      if Self.isASCIISpace(b) { continue }
      return b >= 0x80 ? nil : false
    }
    return true
  }
}

extension TraceLayout {
  /// Shifts every range by `delta`.
  mutating func offset(by delta: Int) {
    guard delta != 0 else { return }
    for i in blocks.indices {
      blocks[i].range = (blocks[i].range.lowerBound + delta)..<(blocks[i].range.upperBound + delta)
    }
    for i in answer.indices { answer[i] = (answer[i].lowerBound + delta)..<(answer[i].upperBound + delta) }
  }
}
