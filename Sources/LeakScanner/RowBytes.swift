@_spi(FieldEvalInternal) import EvalCore

/// One row's texts as UTF-8 bytes in a buffer reused from row to row, with the reasoning
/// structure of each model-written segment as byte ranges.
///
/// This is what the scan's hot path reads instead of ``RowContext``: it holds the same
/// information (model text, reasoning blocks, openings, the text without tags) without making
/// a `String` per piece. Anything that needs Character semantics (a non-ASCII character where
/// whitespace is skipped) is left to ``RowContext``: ``load(_:)`` then returns `false`.
struct RowBytes {
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
  /// Each model segment without reasoning blocks after leading whitespace
  /// (``RowContext/bareStarts``).
  private(set) var bareStarts: [Range<Int>] = []
  /// Whether every segment is ASCII.
  private(set) var isASCII = true

  private let format: ReasoningFormat
  private let open: [UInt8]
  private let close: [UInt8]
  /// Whether each tag is one word: non-empty, without a space, tab, newline or carriage return.
  private let tagsAreWords: Bool
  private let tagsAreASCII: Bool
  /// ``ReasoningFormat/turnFraming`` as bytes.
  private let turnBefore: [UInt8]
  private let turnAfter: [UInt8]

  /// Creates an empty buffer for rows read with `format`.
  init(format: ReasoningFormat) {
    self.format = format
    open = Array(format.openTag.utf8)
    close = Array(format.closeTag.utf8)
    tagsAreWords = [open, close].allSatisfy { tag in
      !tag.isEmpty && !tag.contains(where: RepetitionCheck.isWordSeparator)
    }
    tagsAreASCII = (open + close).allSatisfy { $0 < 0x80 }
    let framing = format.turnFraming
    turnBefore = Array(framing.beforeReasoning.utf8)
    turnAfter = Array(framing.afterReasoning.utf8)
  }

  /// The layouts of this row's model segments.
  var rowTraces: ArraySlice<TraceLayout> { traces[..<traceCount] }

  /// The row's layout.
  private(set) var shape: CorpusShape = .text
  /// 1-based line number.
  private(set) var line = 0
  /// Byte offset of the line.
  private(set) var offset = 0
  /// The row this was loaded from, or each segment's role where the layout does not fix it
  /// (message roles, in `storage`), to make the ``CorpusRow`` when one is needed.
  private var sourceRow: CorpusRow? = nil
  private var roleRanges: [Range<Int>?] = []
  /// Whether each segment is model-written text.
  private var isModel: [Bool] = []
  /// The `id` when loaded from a ``CorpusRow``; otherwise `idBytes` holds it (`idFound`).
  private var idString: String? = nil
  private var idBytes: [UInt8] = []
  private var idFound = false
  /// Reused by ``load(line:shape:)``.
  private var members: [JSONBytes.RowMember] = []
  private var roles: [Int] = []
  private var contents: [Int] = []
  /// Members that are reasoning fields of a message, and a rendered turn's bytes.
  private var reasonings: [Int] = []
  private var turn: [UInt8] = []
  /// Whether a segment is a rendered turn (``renderTurn(reasoning:content:)``).
  private var renderedTurn = false

  /// The row's `id` field, or `line-N` (``CorpusRow/id``).
  var id: String {
    if let idString { return idString }
    return idFound ? String(decoding: idBytes, as: UTF8.self) : "line-\(line)"
  }

  /// Loads `row` (read with the buffer's format); `false` when the row needs ``RowContext`` (Character-level whitespace).
  mutating func load(_ row: CorpusRow) -> Bool {
    storage.removeAll(keepingCapacity: true)
    segments.removeAll(keepingCapacity: true)
    isModel.removeAll(keepingCapacity: true)
    for segment in row.segments {
      var text = segment.text
      let start = storage.count
      text.withUTF8 { storage.append(contentsOf: $0) }
      segments.append(start..<storage.count)
      isModel.append(segment.isModelText)
    }
    shape = row.shape
    line = row.line
    offset = row.offset
    idString = row.id
    sourceRow = row
    return layOut()
  }

  // The keys ``load(line:shape:)`` reads: the indices below are positions in these lists.
  // 10…12: a reasoning field beside a `{prompt, response}` row's response; 13…16: the prompt
  // fields of instruction layouts (`system`, `instruction`, `question`, `input`).
  private static let keys: [[UInt8]] =
    ([
      "id", "messages", "conversations", "text", "prompt", "response", "completion", "output", "answer",
      "chosen",
    ] + CorpusRowParser.reasoningKeys + CorpusRowParser.extraPromptKeys).map { Array($0.utf8) }
  /// Message keys: the role and content of each list layout, then
  /// ``CorpusRowParser/reasoningKeys`` (indices 4…), then the tool-call keys, only checked for
  /// being given twice (``CorpusRowParser`` reads them).
  private static let elementKeys: [[UInt8]] =
    (["role", "content", "from", "value"] + CorpusRowParser.reasoningKeys + CorpusRowParser.toolCallKeys)
    .map { Array($0.utf8) }
  /// The message keys whose values are read.
  private static let elementKeysRead = elementKeys.count - CorpusRowParser.toolCallKeys.count
  private static let modelRoles: [[UInt8]] = RowSegment.modelRoles.sorted().map { Array($0.utf8) }

  /// Loads a JSONL line straight from its bytes, as ``CorpusRowParser`` with `shape` would read
  /// it, without making a `String`. `false` when the line is not a row that parses cleanly
  /// (malformed, a missing field, a key with an escape, a non-ASCII role…) or needs
  /// ``RowContext``: the caller then takes the `CorpusRow` path, which also reports why.
  mutating func load(line: JSONLLine, shape forced: CorpusShape?) -> Bool {
    storage.removeAll(keepingCapacity: true)
    segments.removeAll(keepingCapacity: true)
    isModel.removeAll(keepingCapacity: true)
    members.removeAll(keepingCapacity: true)
    roleRanges.removeAll(keepingCapacity: true)
    sourceRow = nil
    renderedTurn = false
    var lineIsASCII = false
    var decodedNonASCII = false
    let parsed = line.content.withUnsafeBufferPointer { buffer in
      lineIsASCII = ByteSearch.isASCII(buffer)
      guard lineIsASCII || String(validating: buffer, as: UTF8.self) != nil else {
        return false
      }
      return JSONBytes.rowMembers(
        buffer, keys: Self.keys, listKeys: [1, 2], elementKeys: Self.elementKeys,
        elementKeysRead: Self.elementKeysRead, storage: &storage, members: &members,
        decodedNonASCII: &decodedNonASCII)
    }
    guard parsed else { return false }
    // The last member of each top-level key wins, as in `JSONValue`'s subscript.
    var top = (-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)
    var lists = (0, 0)
    for (m, member) in members.enumerated() where member.element < 0 {
      withUnsafeMutableBytes(of: &top) { $0.storeBytes(of: m, toByteOffset: member.key * 8, as: Int.self) }
      if member.key == 1 && member.kind == .array { lists.0 += 1 }
      if member.key == 2 && member.kind == .array { lists.1 += 1 }
    }
    func member(_ key: Int) -> JSONBytes.RowMember? {
      let m = withUnsafeBytes(of: top) { $0.load(fromByteOffset: key * 8, as: Int.self) }
      return m < 0 ? nil : members[m]
    }
    func string(_ key: Int) -> Range<Int>? {
      guard let m = member(key), m.kind == .string else { return nil }
      return m.range
    }
    idString = nil
    idFound = false
    idBytes.removeAll(keepingCapacity: true)
    if let m = member(0) {
      if m.kind == .string {
        idBytes.append(contentsOf: storage[m.range])
        idFound = true
      } else if m.kind == .number {
        line.content.withUnsafeBufferPointer {
          idBytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[m.range]))
        }
        idFound = true
      }
    }
    let detected: CorpusShape
    if let forced {
      detected = forced
    } else if member(1)?.kind == .array {
      detected = .messages
    } else if member(2)?.kind == .array {
      detected = .conversations
    } else if string(3) != nil {
      detected = .text
    } else if (4...9).contains(where: { member($0) != nil })
      || (13...16).contains(where: { member($0) != nil })
    {
      detected = .promptResponse
    } else {
      return false
    }
    switch detected {
    case .text:
      guard let text = string(3) else { return false }
      segments.append(text)
      isModel.append(true)
      roleRanges.append(nil)
    case .promptResponse:
      // Message lists (TRL's conversational layouts) are read by the parser.
      guard !(4...9).contains(where: { member($0)?.kind == .array }) else { return false }
      // In the parser's order: `system`, `prompt`, then `instruction`, `question`, `input`,
      // the others only when they are non-empty strings.
      for key in [13, 4, 14, 15, 16] {
        guard let text = string(key), key == 4 || !text.isEmpty else { continue }
        segments.append(text)
        isModel.append(false)
        roleRanges.append(nil)
      }
      var found: Range<Int>? = nil
      for key in 5...9 where found == nil { found = string(key) }
      guard let response = found else { return false }
      // A reasoning field beside the response: the first key present, rendered before it. One
      // that may be `null` (`.other`) or is not a string is left to the parser.
      if let reasoning = member(10) ?? member(11) ?? member(12) {
        guard reasoning.kind == .string else { return false }
        segments.append(renderTurn(reasoning: reasoning.range, content: response))
        renderedTurn = true
      } else {
        segments.append(response)
      }
      isModel.append(true)
      roleRanges.append(nil)
    case .messages, .conversations:
      let list = detected == .messages ? 1 : 2
      guard (list == 1 ? lists.0 : lists.1) == 1, let m = member(list), m.kind == .array else { return false }
      let (roleKey, contentKey) = list == 1 ? (0, 1) : (2, 3)
      let n = m.range.count
      roles.removeAll(keepingCapacity: true)
      contents.removeAll(keepingCapacity: true)
      roles.append(contentsOf: repeatElement(-1, count: n))
      contents.append(contentsOf: repeatElement(-1, count: n))
      reasonings.removeAll(keepingCapacity: true)
      for (k, member) in members.enumerated() where member.list == list {
        if member.key == roleKey { roles[member.element] = k }
        if member.key == contentKey { contents[member.element] = k }
        if member.key >= 4 { reasonings.append(k) }
      }
      for e in 0..<n {
        guard roles[e] >= 0, contents[e] >= 0 else { return false }
        let role = members[roles[e]]
        let content = members[contents[e]]
        guard role.kind == .string, content.kind == .string, let model = isModelRole(role.range) else {
          return false
        }
        roleRanges.append(role.range)
        isModel.append(model)
        guard model, let reasoning = reasoningMember(ofElement: e) else {
          segments.append(content.range)
          continue
        }
        // A field that is not a string is left to the parser: `null` reads as absent there,
        // anything else is reported.
        guard reasoning.kind == .string else { return false }
        segments.append(renderTurn(reasoning: reasoning.range, content: content.range))
        renderedTurn = true
      }
    }
    shape = detected
    self.line = line.number
    offset = line.offset
    // The strings of an ASCII line are ASCII unless an escape decoded to more (or a rendered
    // turn added tags that are not).
    return layOut(knownASCII: lineIsASCII && !decodedNonASCII && (!renderedTurn || tagsAreASCII))
  }

  /// The reasoning field of message `e` as ``CorpusRowParser`` picks it: the first of
  /// ``CorpusRowParser/reasoningKeys`` present and not `null` (the last member of that key).
  /// `nil` when there is none; a member of kind `.other` when one may be `null` but is not
  /// known to be (the caller then leaves the row to the parser).
  private func reasoningMember(ofElement e: Int) -> JSONBytes.RowMember? {
    var best: JSONBytes.RowMember? = nil
    for k in reasonings where members[k].element == e {
      let m = members[k]
      // `.other` may be `null` (absent) or not: the parser decides.
      if m.kind == .other { return m }
      if best == nil || m.key <= best!.key { best = m }
    }
    return best
  }

  /// Appends ``ReasoningFormat/renderedTurn(reasoning:content:)`` of two strings in `storage`
  /// to it, returning its range.
  private mutating func renderTurn(reasoning: Range<Int>, content: Range<Int>) -> Range<Int> {
    // Through `turn`: appending a slice of `storage` to itself would copy the whole buffer.
    turn.removeAll(keepingCapacity: true)
    turn.append(contentsOf: turnBefore)
    turn.append(contentsOf: storage[reasoning])
    turn.append(contentsOf: turnAfter)
    turn.append(contentsOf: storage[content])
    let start = storage.count
    storage.append(contentsOf: turn)
    return start..<storage.count
  }

  /// The row as ``CorpusRowParser`` reads it (made from the bytes when loaded from a line).
  func corpusRow() -> CorpusRow {
    if let sourceRow { return sourceRow }
    let texts = storage.withUnsafeBufferPointer { all in
      segments.map { String(decoding: UnsafeBufferPointer(rebasing: all[$0]), as: UTF8.self) }
    }
    let rows = texts.indices.map { i -> RowSegment in
      let role: String
      if let range = roleRanges[i] {
        role = String(
          decoding: storage[range].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
      } else {
        role = shape == .text ? "text" : isModel[i] ? "response" : "prompt"
      }
      return RowSegment(role: role, text: texts[i])
    }
    return CorpusRow(line: line, offset: offset, id: id, shape: shape, segments: rows)
  }

  /// ``normalizedHash(_:)`` of the row's segments (the model's or not, and their texts), as
  /// ``corpusRow()`` reads them.
  var normalizedHash: UInt64 {
    rowHash { bytes, sequence in sequence.add(wordsOf: bytes) }
  }

  /// ``normalizedHash``, with `readModel` reading the words of the model segment(s) into the
  /// running hash it is given (``DetectionScratch/readRowWords(of:forDetectors:hashing:)``
  /// reads the single model segment's words for the detectors at the same time).
  func rowHash(readModel: (UnsafeBufferPointer<UInt8>, inout WordSequenceHash) -> Void) -> UInt64 {
    storage.withUnsafeBufferPointer { all in
      var hasher = NormalizedHasher()
      for (i, range) in segments.enumerated() {
        hasher.startSegment(model: isModel[i])
        let bytes = UnsafeBufferPointer(rebasing: all[range])
        if isModel[i] {
          readModel(bytes, &hasher.words)
        } else {
          hasher.add(bytes)
        }
      }
      return hasher.value
    }
  }

  /// Whether there is exactly one model-written segment (``withModel(_:)`` is then that segment).
  var hasOneModelSegment: Bool { traceCount == 1 && !modelIsJoined }

  /// How the words of the model text as it is relate to those of the text without tags.
  enum ModelWords {
    /// They are the same words (no reasoning block: the two texts are equal).
    case same
    /// They are the same once the words of the two tags, at these ranges of the model text,
    /// are left out.
    case withoutTags(open: Range<Int>, close: Range<Int>)
  }

  /// ``ModelWords`` for this row, or `nil` when the words of the text without tags must be read
  /// from it. The tags' words can be left out when there is one model segment holding one
  /// closed block after white space at most, and each tag has a word separator (space, tab,
  /// newline, carriage return) or the text's end on both sides: the text without tags is then
  /// the block, a newline and the rest, the same words in the same order.
  var modelWords: ModelWords? {
    guard hasOneModelSegment, tagsAreWords else { return nil }
    let t = traces[0]
    guard !t.nested, t.strayCloseTags == 0 else { return nil }
    if t.blocks.isEmpty { return .same }
    guard t.blocks.count == 1, t.blocks[0].closed, !t.blocks[0].prefilled else { return nil }
    let block = t.blocks[0].range
    let openStart = block.lowerBound - open.count
    let closeEnd = block.upperBound + close.count
    guard !block.isEmpty, openStart >= model.lowerBound, closeEnd <= model.upperBound else { return nil }
    let isSeparator = RepetitionCheck.isWordSeparator
    guard isSeparator(storage[block.lowerBound]), isSeparator(storage[block.upperBound - 1]),
      closeEnd == model.upperBound || isSeparator(storage[closeEnd])
    else { return nil }
    for i in model.lowerBound..<openStart where !isSeparator(storage[i]) { return nil }
    let base = model.lowerBound
    return .withoutTags(
      open: (openStart - base)..<(block.lowerBound - base),
      close: (block.upperBound - base)..<(closeEnd - base))
  }

  /// All segments joined by newlines (``CorpusRow/allText``).
  var allText: String {
    var joined: [UInt8] = []
    for (i, range) in segments.enumerated() {
      if i > 0 { joined.append(0x0A) }
      Self.copy(storage, range, to: &joined)
    }
    return String(decoding: joined, as: UTF8.self)
  }

  /// Whether the ASCII role at `range` of `storage`, lower-cased, is a model role
  /// (``RowSegment/isModelText``); `nil` for a non-ASCII role.
  private func isModelRole(_ range: Range<Int>) -> Bool? {
    storage.withUnsafeBufferPointer { all in
      let role = UnsafeBufferPointer(rebasing: all[range])
      guard ByteSearch.isASCII(role) else { return nil }
      return Self.modelRoles.contains { name in
        name.count == role.count
          && zip(name, role).allSatisfy { $0 == ($1 >= 0x41 && $1 <= 0x5A ? $1 | 0x20 : $1) }
      }
    }
  }

  /// Everything but the segments: ASCII-ness, model text, reasoning layout, openings and the
  /// text without tags (`knownASCII`: the segments are known to be ASCII). `false` when the
  /// row needs ``RowContext``.
  private mutating func layOut(knownASCII: Bool = false) -> Bool {
    openings.removeAll(keepingCapacity: true)
    bareStarts.removeAll(keepingCapacity: true)
    traceCount = 0
    isASCII =
      knownASCII
      || storage.withUnsafeBufferPointer { all in
        segments.allSatisfy { ByteSearch.isASCII(UnsafeBufferPointer(rebasing: all[$0])) }
      }
    var modelSegments = 0
    for (i, range) in segments.enumerated() where isModel[i] {
      modelSegments += 1
      model = range
    }
    if modelSegments == 0 { model = 0..<0 }
    modelIsJoined = modelSegments > 1
    if modelIsJoined {
      joinedModel.removeAll(keepingCapacity: true)
      var first = true
      for (i, range) in segments.enumerated() where isModel[i] {
        // Joined by newlines as `RowContext.modelText` is, an empty segment included.
        if !first { joinedModel.append(0x0A) }
        first = false
        Self.copy(storage, range, to: &joinedModel)
      }
    }
    // Reasoning structure per model segment.
    for (range, isModelSegment) in zip(segments, isModel) where isModelSegment {
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
    func start(of range: Range<Int>) -> Range<Int>? {
      var i = range.lowerBound
      while i < range.upperBound && Self.isASCIISpace(storage[i]) { i += 1 }
      return i < range.upperBound && storage[i] >= 0x80 ? nil : i..<range.upperBound
    }
    for t in 0..<traceCount {
      for block in traces[t].blocks {
        guard let opening = start(of: block.range) else { return false }
        openings.append(opening)
      }
    }
    if shape != .text {
      var t = 0
      for (range, isModelSegment) in zip(segments, isModel) where isModelSegment {
        defer { t += 1 }
        guard traces[t].blocks.isEmpty else { continue }
        guard let bare = start(of: range) else { return false }
        if !bare.isEmpty { bareStarts.append(bare) }
      }
    }
    plainText()
    return true
  }

  /// Whether the number written `digits` (ASCII digits) stands, as a whole number, in a
  /// segment that is not the model's (the prompt, system and user turns) or in the model
  /// segment of the opening `opening` before it (a `{text}` row's templated prompt): a
  /// numbered opening that restates it (`Question 873:` for a prompt's question 873) echoes
  /// the prompt and numbers no row. `all` is ``storage``.
  /// With `word`, whether the code `digits` names (ASCII letters and digits, `Q16`) stands
  /// there as a whole word (``NumberSketch/holdsWord(_:_:)``).
  func echoes(
    _ digits: UnsafeBufferPointer<UInt8>, before opening: Range<Int>, in all: UnsafeBufferPointer<UInt8>,
    word: Bool = false
  )
    -> Bool
  {
    func holds(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
      word ? NumberSketch.holdsWord(text, digits) : NumberSketch.holds(text, digits)
    }
    for (i, range) in segments.enumerated() {
      if !isModel[i] {
        if holds(UnsafeBufferPointer(rebasing: all[range])) { return true }
      } else if range.lowerBound <= opening.lowerBound && opening.lowerBound <= range.upperBound {
        if holds(UnsafeBufferPointer(rebasing: all[range.lowerBound..<opening.lowerBound])) { return true }
      }
    }
    return false
  }

  /// Calls `body` with a test of whether a text stands word for word in a segment that is not
  /// the model's (the prompt, a system message): a line the reasoning quotes from it is the
  /// prompt's, however often it recurs. The test reads the segments in place (no copy of the
  /// row per call).
  func withPromptTest<R>(
    in all: UnsafeBufferPointer<UInt8>, _ body: ((UnsafeBufferPointer<UInt8>) -> Bool) -> R
  ) -> R {
    segments.withUnsafeBufferPointer { segments in
      isModel.withUnsafeBufferPointer { isModel in
        body { text in
          for i in segments.indices where !isModel[i] {
            if ByteSearch.contains(UnsafeBufferPointer(rebasing: all[segments[i]]), text) { return true }
          }
          return false
        }
      }
    }
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
  private mutating func plainText() {
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
    guard let base = text.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    var i = 0
    // Eight bytes at a time: none at or above 0x80 (then the CR test is exact), no CR.
    while i + 8 <= n {
      let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      if v & 0x8080_8080_8080_8080 != 0 || SWAR.equalMask(v, 0x0D) != 0 { return nil }
      i += 8
    }
    while i < n {
      if base[i] >= 0x80 || base[i] == 0x0D { return nil }
      i += 1
    }
    if n < text.count && text[n] >= 0x80 { return nil }
    return n
  }

  @inline(__always) static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

  /// Whether a model segment holds an ASCII character that is not whitespace (``isBlank(_:)``
  /// says `false` of it); `false` also when only non-ASCII characters could tell.
  var modelHasASCIIText: Bool {
    segments.indices.contains { isModel[$0] && isBlank(segments[$0]) == false }
  }

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
