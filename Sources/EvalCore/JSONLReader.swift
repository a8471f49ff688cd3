#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One line of a JSONL file, as raw bytes, with where it came from.
public struct JSONLLine: Sendable {
  /// 1-based line number.
  public var number: Int
  /// Byte offset of the line's first byte in the file.
  public var offset: Int
  /// The line's bytes without the terminating `\n` (a trailing `\r` is kept).
  public var bytes: ArraySlice<UInt8>

  /// Creates a line value.
  public init(number: Int, offset: Int, bytes: ArraySlice<UInt8>) {
    self.number = number
    self.offset = offset
    self.bytes = bytes
  }

  /// The bytes with a trailing `\r` removed, and a UTF-8 byte-order mark that opens the file
  /// (as some Windows tools write before the first row) left out, for parsing.
  public var content: ArraySlice<UInt8> {
    var content = bytes
    if let last = content.last, last == UInt8(ascii: "\r") { content = content.dropLast() }
    if offset == 0 && content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
    return content
  }

  /// Why the line is no JSON though its text may be: a UTF-8 byte-order mark opens it but not
  /// the file (`cat a.jsonl b.jsonl` leaves one before the first row of each file after the
  /// first). JSON loaders reject it there (Python's `json`: "Unexpected UTF-8 BOM"), so such a
  /// line is malformed, with this reason; `nil` for other lines.
  public var misplacedByteOrderMark: String? {
    guard offset > 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) else { return nil }
    return
      "a byte-order mark (EF BB BF) opens the line, not the file (files joined with cat?); "
      + "JSON loaders reject it here: remove it"
  }

  /// Whether ``content`` is valid UTF-8 (pure-ASCII lines are recognised eight bytes at a time).
  public var isValidUTF8: Bool {
    content.withUnsafeBufferPointer { ByteSearch.isASCII($0) || String(validating: $0, as: UTF8.self) != nil }
  }

  /// The offset in ``bytes`` of the first byte of the first ill-formed UTF-8 sequence of
  /// ``content``, or nil when it is valid UTF-8. Meant for reporting a line already found
  /// invalid: it walks the bytes one sequence at a time.
  public var firstInvalidUTF8Offset: Int? {
    let content = self.content
    let skipped = content.startIndex - bytes.startIndex
    return content.withUnsafeBufferPointer { p -> Int? in
      var i = 0
      while i < p.count {
        let lead = p[i]
        if lead < 0x80 {
          i += 1
          continue
        }
        // The length of the sequence `lead` starts, and the range its second byte must be in
        // (narrower after E0, ED, F0 and F4: no overlong forms, surrogates or values past U+10FFFF).
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)
        case 0xE1...0xEF: length = 3
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)
        case 0xF1...0xF3: length = 4
        default: return skipped + i
        }
        for k in 1..<length {
          guard i + k < p.count, (k == 1 ? second : 0x80...0xBF).contains(p[i + k]) else {
            return skipped + i
          }
        }
        i += length
      }
      return nil
    }
  }

  /// Whether the line holds only whitespace (blank lines are skipped, not errors).
  public var isBlank: Bool {
    content.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
  }
}

/// Why a line of an input file could not be used.
public enum LineIssueKind: Sendable, Equatable, Hashable, Codable {
  /// The line is not valid JSON (or not a JSON object).
  case invalidJSON(String)
  /// The line is not valid UTF-8; `at` is the offset in the line of the first byte of the
  /// first ill-formed sequence, when known.
  case invalidUTF8(at: Int?)
  /// A required field is missing or has the wrong type.
  case missingField(String)
  /// The line exceeds the reader's `maxLineBytes`; it was skipped without being buffered.
  case lineTooLong(length: Int)
  /// A field is present but its value cannot be what it records (a token count of `1e30` or
  /// `true`): `field` names it, `reason` says what it must be.
  case invalidField(String, reason: String)

  /// A short stable identifier: `invalid_json`, `invalid_utf8`, `missing_field`, `line_too_long`,
  /// `invalid_field`.
  public var code: String {
    switch self {
    case .invalidJSON: return "invalid_json"
    case .invalidUTF8: return "invalid_utf8"
    case .missingField: return "missing_field"
    case .lineTooLong: return "line_too_long"
    case .invalidField: return "invalid_field"
    }
  }

  private enum CodingKeys: String, CodingKey {
    case code, reason, at, field, length
  }

  /// Encodes as an object with the stable ``code`` and the case's detail: `{"code":
  /// "invalid_json", "reason": "…"}`, `{"code": "invalid_utf8", "at": 12}`, `{"code":
  /// "missing_field", "field": "messages.0.role"}`, `{"code": "line_too_long", "length": 70000000}`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(code, forKey: .code)
    switch self {
    case .invalidJSON(let reason): try c.encode(reason, forKey: .reason)
    case .invalidUTF8(let at): try c.encodeIfPresent(at, forKey: .at)
    case .missingField(let field): try c.encode(field, forKey: .field)
    case .lineTooLong(let length): try c.encode(length, forKey: .length)
    case .invalidField(let field, let reason):
      try c.encode(field, forKey: .field)
      try c.encode(reason, forKey: .reason)
    }
  }

  /// The form reports of earlier versions wrote (`{"invalidJSON": {"_0": "…"}}`).
  private enum LegacyKeys: String, CodingKey {
    case invalidJSON, invalidUTF8, missingField, lineTooLong
  }
  private enum LegacyDetailKeys: String, CodingKey {
    case _0, at, length
  }

  /// Decodes what ``encode(to:)`` writes, and the form of earlier versions' shard reports.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    guard c.contains(.code) else {
      let legacy = try decoder.container(keyedBy: LegacyKeys.self)
      guard let key = legacy.allKeys.first else {
        throw DecodingError.dataCorrupted(
          .init(codingPath: decoder.codingPath, debugDescription: "a line issue needs a 'code'"))
      }
      let detail = try legacy.nestedContainer(keyedBy: LegacyDetailKeys.self, forKey: key)
      switch key {
      case .invalidJSON: self = .invalidJSON(try detail.decode(String.self, forKey: ._0))
      case .invalidUTF8: self = .invalidUTF8(at: try detail.decodeIfPresent(Int.self, forKey: .at))
      case .missingField: self = .missingField(try detail.decode(String.self, forKey: ._0))
      case .lineTooLong: self = .lineTooLong(length: try detail.decode(Int.self, forKey: .length))
      }
      return
    }
    switch try c.decode(String.self, forKey: .code) {
    case "invalid_json": self = .invalidJSON(try c.decode(String.self, forKey: .reason))
    case "invalid_utf8": self = .invalidUTF8(at: try c.decodeIfPresent(Int.self, forKey: .at))
    case "missing_field": self = .missingField(try c.decode(String.self, forKey: .field))
    case "line_too_long": self = .lineTooLong(length: try c.decode(Int.self, forKey: .length))
    case "invalid_field":
      self = .invalidField(
        try c.decode(String.self, forKey: .field), reason: try c.decode(String.self, forKey: .reason))
    case let other:
      throw DecodingError.dataCorruptedError(
        forKey: .code, in: c,
        debugDescription:
          "unknown line issue '\(other)': one of invalid_json, invalid_utf8, missing_field, line_too_long, invalid_field"
      )
    }
  }
}

/// A malformed input line: where it is and why it was not used.
public struct LineIssue: Error, Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
  /// 1-based line number.
  public var line: Int
  /// Byte offset of the line in the file.
  public var offset: Int
  /// Length of the line in bytes, without the newline.
  public var length: Int
  /// What is wrong.
  public var kind: LineIssueKind

  /// Creates an issue.
  public init(line: Int, offset: Int, length: Int, kind: LineIssueKind) {
    self.line = line
    self.offset = offset
    self.length = length
    self.kind = kind
  }

  public var description: String {
    let reason: String
    switch kind {
    case .invalidJSON(let why): reason = "invalid JSON: \(why)"
    case .invalidUTF8(let at?): reason = "invalid UTF-8 at byte \(at) of the line (file byte \(offset + at))"
    case .invalidUTF8(nil): reason = "invalid UTF-8"
    case .missingField(let field): reason = "missing or non-string field '\(field)'"
    case .lineTooLong(let length): reason = "line too long (\(length) bytes)"
    case .invalidField(let field, let why): reason = "field '\(field)' \(why)"
    }
    return "line \(line) (byte \(offset)): \(reason)"
  }
}

/// A streaming reader of newline-delimited files.
///
/// The reader holds at most one chunk plus one line in memory, so files of any size stream
/// through. Lines longer than ``maxLineBytes`` are not buffered: they are reported through
/// the `onOversizedLine` callback with their offset and length and skipped (in a regular file
/// a long line's end is looked up ahead, so such a line is never held even in part; from a
/// pipe, up to the limit).
///
/// ```swift
/// let reader = JSONLReader(path: "outputs.jsonl")
/// try reader.forEachLine { line in
///   // line.number, line.offset, line.bytes
/// } onOversizedLine: { issue in
///   print(issue)
/// }
/// ```
public struct JSONLReader: Sendable {
  /// The file to read.
  public var path: String
  /// Lines longer than this many bytes are reported and skipped. Default 64 MiB.
  public var maxLineBytes: Int
  /// Size of each `read(2)`. Default 1 MiB.
  public var chunkBytes: Int
  /// Byte range to read: lines that *start* inside `[start, end)` are delivered.
  public var byteRange: Range<Int>?
  /// The number of newlines in the file before ``byteRange``'s start, when the caller knows it
  /// (from ``countNewlines(in:)``): the reader then numbers lines from it instead of reading
  /// the file up to the range to count them.
  public var newlinesBefore: Int?

  /// Creates a reader for the file at `path`.
  public init(
    path: String, maxLineBytes: Int = 64 << 20, chunkBytes: Int = 1 << 20, byteRange: Range<Int>? = nil
  ) {
    self.path = path
    self.maxLineBytes = maxLineBytes
    self.chunkBytes = max(1024, chunkBytes)
    self.byteRange = byteRange
  }

  /// The index of the first newline in `buffer` at or after `from` (memchr).
  @inline(__always)
  static func newline(in buffer: [UInt8], from: Int, to end: Int) -> Int? {
    buffer.withUnsafeBufferPointer { b in
      guard from < end, let base = b.baseAddress,
        let hit = memchr(base + from, 0x0A, end - from)
      else { return nil }
      return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }
  }

  /// The length of the line that starts at file offset `start`, whose first `known` bytes were
  /// read and hold no newline, found by reading on with `pread` (the file position is kept)
  /// into `scratch`: the bytes before its newline or the end of the file when that is at most
  /// `limit`. Otherwise a length over `limit` (the line's exact length, or where the look-up
  /// stopped: no newline comes before it). `nil` when the file cannot be read so (a pipe).
  static func lineLength(fd: Int32, start: Int, known: Int, limit: Int, scratch: inout [UInt8]) -> Int? {
    if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: 1 << 20) }
    var position = start + known
    // A line with no newline before here is longer than `limit`.
    let stop = start + limit + 1
    while position < stop {
      let want = min(scratch.count, stop - position)
      let n = scratch.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
      if n < 0 { return nil }
      if n == 0 { return position - start }
      let hit = scratch.withUnsafeBufferPointer { b in
        memchr(b.baseAddress!, 0x0A, n).map {
          b.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self))
        }
      }
      if let hit { return position + hit - start }
      position += n
    }
    return position - start
  }

  /// Grows `buffer` to `count` bytes (at least), allocating that much and no more.
  static func grow(_ buffer: inout [UInt8], to count: Int) {
    guard count > buffer.count else { return }
    buffer.reserveCapacity(count)
    buffer.append(contentsOf: repeatElement(0, count: count - buffer.count))
  }

  /// The compression format whose magic bytes open the file at `fd` (read with `pread`, the
  /// file position is kept), or `nil`.
  static func compression(fd: Int32) -> String? {
    var head = [UInt8](repeating: 0, count: 6)
    let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 6, 0) }
    guard n >= 2 else { return nil }
    let magic: [(String, [UInt8])] = [
      ("gzip", [0x1F, 0x8B]), ("zstd", [0x28, 0xB5, 0x2F, 0xFD]), ("bzip2", [0x42, 0x5A, 0x68]),
      ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]), ("zip", [0x50, 0x4B, 0x03, 0x04]),
    ]
    return magic.first { $0.1.count <= n && head.starts(with: $0.1) }?.0
  }

  /// Opens the file, refusing a directory or a compressed file with the reason.
  private func openForReading() throws -> Int32 {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    var st = stat()
    if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw EvalCoreError.notARegularFile(path: path, kind: "a directory")
    }
    if let format = Self.compression(fd: fd) {
      close(fd)
      throw EvalCoreError.unreadableFile(
        path: path, reason: "is \(format)-compressed, not JSONL: decompress it first")
    }
    return fd
  }

  /// The number of newline bytes in `range` of the file (a directory or a compressed file is
  /// refused as ``forEachLine(_:onOversizedLine:)`` refuses it).
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the file cannot be read.
  public func countNewlines(in range: Range<Int>) throws -> Int {
    let fd = try openForReading()
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: chunkBytes)
    var position = range.lowerBound
    var count = 0
    while position < range.upperBound {
      let want = min(chunkBytes, range.upperBound - position)
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position)) }
      if n < 0 { throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
      if n == 0 { break }
      buffer.withUnsafeBufferPointer { b in
        let base = b.baseAddress!
        var from = 0
        while from < n, let hit = memchr(base + from, 0x0A, n - from) {
          count += 1
          from = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
      }
      position += n
    }
    return count
  }

  /// The size of the file in bytes.
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the path cannot be read, or
  ///   ``EvalCoreError/notARegularFile(path:kind:)`` when it is not a regular file: a pipe (`<(zcat …)`, `/dev/stdin`) or a device has no size, and
  ///   whoever asks for one splits the file into byte ranges or reads it twice.
  public func fileSize() throws -> Int {
    var st = stat()
    guard stat(path, &st) == 0 else {
      throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    guard st.st_mode & S_IFMT == S_IFREG else {
      throw EvalCoreError.notARegularFile(path: path, kind: Self.kind(mode: st.st_mode))
    }
    return Int(st.st_size)
  }

  /// What a file that is not a regular file is, from its `st_mode`, as a noun phrase.
  static func kind(mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "a special file"
    }
  }

  /// Calls `body` for each line in order. Line numbers are counted from the start of the file,
  /// also when ``byteRange`` selects a slice: from ``newlinesBefore`` when set, otherwise from
  /// ``countNewlines(in:)`` of the bytes before the slice.
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the file cannot be opened or
  ///   read, ``EvalCoreError/notARegularFile(path:kind:)`` for a directory, or whatever `body`
  ///   throws.
  public func forEachLine(
    _ body: (JSONLLine) throws -> Void,
    onOversizedLine: (LineIssue) throws -> Void = { _ in }
  ) throws {
    let fd = try openForReading()
    defer { close(fd) }

    var lineNumber = 1
    var fileOffset = 0  // offset of buffer[0] in the file
    let rangeEnd = byteRange?.upperBound ?? Int.max

    // Position at the first line that starts inside the range, counting lines before it.
    if let range = byteRange, range.lowerBound > 0 {
      var skipBuf = [UInt8](repeating: 0, count: chunkBytes)
      lineNumber += try newlinesBefore ?? countNewlines(in: 0..<range.lowerBound)
      // A line starts at lowerBound only if the byte before it is '\n'.
      var before: UInt8 = 0
      let n = pread(fd, &before, 1, off_t(range.lowerBound - 1))
      if n < 0 { throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
      if n == 0 { return }
      var pos = range.lowerBound
      guard lseek(fd, off_t(pos), SEEK_SET) >= 0 else {
        throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
      }
      // Skip the partial line that started before the range.
      var startOfNext = range.lowerBound
      if before != 0x0A {
        // Read on until the next newline.
        var found = false
        while !found {
          let n = skipBuf.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunkBytes) }
          if n < 0 {
            throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
          }
          if n == 0 { return }
          if let idx = skipBuf[0..<n].firstIndex(of: 0x0A) {
            found = true
            startOfNext = pos + idx + 1
            lineNumber += 1
          }
          pos += n
        }
      }
      if startOfNext >= rangeEnd { return }
      guard lseek(fd, off_t(startOfNext), SEEK_SET) >= 0 else {
        throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
      }
      fileOffset = startOfNext
    }

    // The bytes read and not yet delivered are `buffer[0..<filled]`; reads go straight into the
    // rest of `buffer` (grown when an unfinished line leaves less than a chunk), so no chunk is
    // copied from one array to another.
    var buffer = [UInt8](repeating: 0, count: 2 * chunkBytes)
    var filled = 0
    var skipping = false  // inside an oversized line
    var skipStart = 0
    var eof = false
    var scanFrom = 0
    var probe: [UInt8] = []  // for `lineLength`, allocated when first needed

    while true {
      // Deliver complete lines in the buffer.
      var lineStart = 0
      while let nl = Self.newline(in: buffer, from: scanFrom, to: filled) {
        if skipping {
          let length = fileOffset + nl - skipStart
          try onOversizedLine(
            LineIssue(line: lineNumber, offset: skipStart, length: length, kind: .lineTooLong(length: length))
          )
          skipping = false
        } else {
          let start = fileOffset + lineStart
          if start >= rangeEnd { return }
          if nl - lineStart > maxLineBytes {
            let length = nl - lineStart
            try onOversizedLine(
              LineIssue(line: lineNumber, offset: start, length: length, kind: .lineTooLong(length: length)))
          } else {
            try body(JSONLLine(number: lineNumber, offset: start, bytes: buffer[lineStart..<nl]))
          }
        }
        lineNumber += 1
        lineStart = nl + 1
        scanFrom = lineStart
      }
      if eof {
        if lineStart < filled || skipping {
          let start = skipping ? skipStart : fileOffset + lineStart
          if start < rangeEnd {
            let length = fileOffset + filled - start
            if skipping || length > maxLineBytes {
              try onOversizedLine(
                LineIssue(line: lineNumber, offset: start, length: length, kind: .lineTooLong(length: length))
              )
            } else {
              try body(JSONLLine(number: lineNumber, offset: start, bytes: buffer[lineStart..<filled]))
            }
          }
        }
        return
      }
      // Drop delivered bytes: the unfinished line moves to the front.
      if lineStart > 0 {
        let rest = filled - lineStart
        if rest > 0 {
          buffer.withUnsafeMutableBytes { raw in
            _ = memmove(raw.baseAddress!, raw.baseAddress! + lineStart, rest)
          }
        }
        filled = rest
        fileOffset += lineStart
      }
      scanFrom = filled
      // The unfinished line (or the next one) starts past the range: it is another reader's.
      if !skipping && fileOffset >= rangeEnd { return }
      // An unfinished line that is already too long: stop buffering it.
      if !skipping && filled > maxLineBytes {
        skipping = true
        skipStart = fileOffset
      }
      // An unfinished line that fills the buffer: its length is looked up ahead with `pread`
      // before the buffer grows, so a line over the limit is never buffered (it is skipped from
      // where the look-up stopped) and one within it gets a buffer of its size in one step.
      if !skipping && buffer.count - filled < chunkBytes {
        if let length = Self.lineLength(
          fd: fd, start: fileOffset, known: filled, limit: maxLineBytes, scratch: &probe)
        {
          if length > maxLineBytes {
            skipping = true
            skipStart = fileOffset
            filled = length  // no newline in them: skipped below without being read again
            guard lseek(fd, off_t(fileOffset + length), SEEK_SET) >= 0 else {
              throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
          } else {
            // Half as large again at least, so lines a little longer each time do not make it
            // grow (and be copied) line by line.
            Self.grow(
              &buffer, to: max(length + chunkBytes, min(buffer.count * 3 / 2, maxLineBytes + chunkBytes)))
          }
        } else {
          // Not seekable (a pipe): doubled as it fills, to one byte over the limit at most.
          Self.grow(&buffer, to: max(buffer.count, min(2 * buffer.count, maxLineBytes + 1)))
        }
      }
      if skipping {
        fileOffset += filled
        filled = 0
        scanFrom = 0
        if fileOffset >= rangeEnd && skipStart >= rangeEnd { return }
      }
      let want = min(chunkBytes, buffer.count - filled)
      let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + filled, want) }
      if n < 0 { throw EvalCoreError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
      if n == 0 {
        eof = true
      } else {
        filled += n
      }
    }
  }
}
