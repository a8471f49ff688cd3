#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A JSON value decoded from bytes by ``JSONBytes``.
///
/// Numbers keep their source text (row ids like `3886` stay exactly as written).
package enum JSONValue: Sendable, Equatable {
  case string(String)
  case number(String)
  case bool(Bool)
  case null
  case array([JSONValue])
  case object([(key: String, value: JSONValue)])

  package static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)), (.number(let x), .number(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.null, .null): return true
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  /// The member `key` of an object (the last one when a key repeats, as JSONSerialization does).
  package subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.key == key }?.value
  }

  /// The string, or `nil`.
  package var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// A string, or a number's source text.
  package var text: String? {
    switch self {
    case .string(let s), .number(let s): return s
    default: return nil
    }
  }

  /// The elements, or `nil`.
  package var array: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }
}

/// A strict JSON parser working directly on UTF-8 bytes.
///
/// Built for the LeakScanner hot path: the top-level object's members are decoded only when
/// `keep` says so; other values are validated and skipped without building anything, and
/// strings without escapes become `String`s with one copy. Errors name the byte column.
package struct JSONBytes {
  private let base: UnsafePointer<UInt8>
  private let count: Int
  private var i = 0
  private var depth = 0
  /// When recording, the paths (keys and array indices) of the keys given twice, and the path
  /// of the value being read.
  private var duplicatePaths: [[String]]? = nil
  private var path: [String] = []
  /// Whether a `\u` escape decoded to a non-ASCII scalar (the only way an ASCII line's strings
  /// can hold one).
  private var decodedNonASCII = false
  private static let maxDepth = 512

  /// Why the bytes are not a JSON object.
  package struct Failure: Error, Sendable {
    /// Human-readable reason with the byte column (1-based).
    package var reason: String
  }

  private init(_ buffer: UnsafeBufferPointer<UInt8>) {
    base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
    count = buffer.count
  }

  /// Parses `buffer` as one JSON object, keeping the members whose key passes `keep`.
  ///
  /// The bytes must already be valid UTF-8 (the JSONL readers check that first).
  package static func object(
    _ buffer: UnsafeBufferPointer<UInt8>, keep: (String) -> Bool
  ) -> Result<[(key: String, value: JSONValue)], Failure> {
    var ignored: [[String]] = []
    return object(buffer, keep: keep, recordingDuplicates: false, &ignored)
  }

  /// ``object(_:keep:)`` that also gives the path of each key given twice
  /// at any depth (`["usage", "n"]`, `["choices", "0", "text"]`); the last value is kept.
  package static func objectRecordingDuplicates(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<
    (members: [(key: String, value: JSONValue)], duplicates: [[String]]), Failure
  > {
    var duplicates: [[String]] = []
    return object(buffer, keep: { _ in true }, recordingDuplicates: true, &duplicates).map {
      ($0, duplicates)
    }
  }

  private static func object(
    _ buffer: UnsafeBufferPointer<UInt8>, keep: (String) -> Bool, recordingDuplicates: Bool,
    _ found: inout [[String]]
  ) -> Result<[(key: String, value: JSONValue)], Failure> {
    var p = JSONBytes(buffer)
    if recordingDuplicates { p.duplicatePaths = [] }
    defer { found = p.duplicatePaths ?? [] }
    do {
      p.skipSpace()
      guard p.i < p.count else { throw p.fail("empty line") }
      guard p.base[p.i] == UInt8(ascii: "{") else {
        let kind: String
        switch p.base[p.i] {
        case UInt8(ascii: "["): kind = "an array"
        case UInt8(ascii: "\""): kind = "a string"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): kind = "a number"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = "a boolean"
        case UInt8(ascii: "n"): kind = "null"
        default: throw p.fail("unexpected character \(p.describe(p.base[p.i]))")
        }
        _ = try p.value(build: false)
        p.skipSpace()
        guard p.i == p.count else { throw p.fail("unexpected text after the value") }
        throw Failure(reason: "expected a JSON object, found \(kind)")
      }
      let members = try p.objectMembers(keep: keep)
      p.skipSpace()
      guard p.i == p.count else { throw p.fail("unexpected text after the object") }
      return .success(members)
    } catch let failure as Failure {
      return .failure(failure)
    } catch {
      return .failure(Failure(reason: "\(error)"))
    }
  }

  /// A value found by
  /// ``rowMembers(_:keys:listKeys:elementKeys:elementKeysRead:storage:members:decodedNonASCII:)``.
  package struct RowMember: Sendable {
    /// What the value is.
    package enum Kind: Sendable { case string, number, array, other }
    /// The key's index in `keys` (top level) or in `elementKeys` (in a list element); -1 for a
    /// list element that is not an object.
    package var key: Int
    /// For a list element's member: the list's key index and the element's position; -1 at
    /// top level.
    package var list: Int
    /// The element's position in its list; -1 at top level.
    package var element: Int
    /// What the value is.
    package var kind: Kind
    /// A string's decoded bytes in `storage`; a number's source bytes in the line; for a list,
    /// `0..<elementCount`.
    package var range: Range<Int>
  }

  /// Reads a JSON object line for the members a training row needs, without making a `String`:
  /// top-level members named in `keys`, and for the keys in `listKeys` whose value is an
  /// array, the members named in the first `elementKeysRead` of `elementKeys` of each element
  /// (the others are only checked for being given twice). Strings are decoded into `storage`;
  /// values of other names are validated and skipped.
  ///
  /// Returns `false` when the line is not a JSON object, has a key with an escape, or holds one
  /// of `keys` (or of `elementKeys` in one element) twice: callers then use ``object(_:keep:)``,
  /// which also says why (a row reader reports the repeated key). Accepts exactly the objects that
  /// ``object(_:keep:)`` accepts otherwise. The bytes must already be valid UTF-8.
  /// `decodedNonASCII` tells whether a `\u` escape put a non-ASCII scalar into `storage`.
  package static func rowMembers(
    _ buffer: UnsafeBufferPointer<UInt8>, keys: [[UInt8]], listKeys: [Int], elementKeys: [[UInt8]],
    elementKeysRead: Int, storage: inout [UInt8], members: inout [RowMember], decodedNonASCII: inout Bool
  ) -> Bool {
    var p = JSONBytes(buffer)
    defer { decodedNonASCII = p.decodedNonASCII }
    do {
      p.skipSpace()
      guard p.i < p.count, p.base[p.i] == UInt8(ascii: "{") else { return false }
      var ok = true
      // A key read twice is ambiguous (readers differ on which value wins): the caller's
      // checked path reports the line.
      var seen: UInt64 = 0
      try p.walkMembers { p, key in
        guard let key, let k = Self.index(of: key, in: keys) else { return false }
        if k >= 64 || seen & (1 << UInt64(k)) != 0 { ok = false }
        seen |= 1 << UInt64(k & 63)
        if listKeys.contains(k), p.base[p.i] == UInt8(ascii: "[") {
          let elements = try p.rowList(
            list: k, elementKeys: elementKeys, elementKeysRead: elementKeysRead, storage: &storage,
            members: &members, ok: &ok)
          members.append(RowMember(key: k, list: -1, element: -1, kind: .array, range: 0..<elements))
        } else {
          members.append(try p.rowValue(key: k, list: -1, element: -1, storage: &storage))
        }
        return true
      } unnamed: {
        ok = false
      }
      p.skipSpace()
      guard p.i == p.count else { return false }
      return ok
    } catch {
      return false
    }
  }

  /// The index of the key `name` in `keys`.
  private static func index(of name: UnsafeBufferPointer<UInt8>, in keys: [[UInt8]]) -> Int? {
    for (k, key) in keys.enumerated() where key.count == name.count {
      if key.withUnsafeBufferPointer({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) {
        return k
      }
    }
    return nil
  }

  /// Walks an object's members at `i` (on its `{`): `visit` is called on each member's value
  /// with the raw key bytes (`nil` when the key has an escape, after `unnamed`) and says
  /// whether it consumed the value; other values are skipped.
  private mutating func walkMembers(
    _ visit: (inout JSONBytes, UnsafeBufferPointer<UInt8>?) throws -> Bool,
    unnamed: () -> Void
  ) throws {
    i += 1  // {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
    skipSpace()
    if i < count && base[i] == UInt8(ascii: "}") {
      i += 1
      return
    }
    while true {
      skipSpace()
      guard i < count, base[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
      let keyStart = i + 1
      let keyEnd = Self.plainRunEnd(base, from: keyStart, count: count)
      var key: UnsafeBufferPointer<UInt8>? = nil
      if keyEnd < count && base[keyEnd] == UInt8(ascii: "\"") {
        key = UnsafeBufferPointer(start: base + keyStart, count: keyEnd - keyStart)
        i = keyEnd + 1
      } else {
        var ignored: [UInt8] = []
        try string(into: &ignored, build: false)
        unnamed()
      }
      try expect(UInt8(ascii: ":"), "':'")
      skipSpace()
      guard i < count else { throw fail("unexpected end of line, expected a value") }
      if !(try visit(&self, key)) { _ = try value(build: false) }
      skipSpace()
      guard i < count else { throw fail("unexpected end of line in object") }
      if base[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard base[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
      i += 1
      return
    }
  }

  /// One value at `i` as a ``RowMember``: strings decoded into `storage`.
  private mutating func rowValue(key: Int, list: Int, element: Int, storage: inout [UInt8]) throws
    -> RowMember
  {
    switch base[i] {
    case UInt8(ascii: "\""):
      let start = storage.count
      try string(into: &storage, build: true)
      return RowMember(key: key, list: list, element: element, kind: .string, range: start..<storage.count)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      let start = i
      try number()
      return RowMember(key: key, list: list, element: element, kind: .number, range: start..<i)
    case UInt8(ascii: "["):
      _ = try value(build: false)
      return RowMember(key: key, list: list, element: element, kind: .array, range: 0..<0)
    default:
      _ = try value(build: false)
      return RowMember(key: key, list: list, element: element, kind: .other, range: 0..<0)
    }
  }

  /// A list of messages at `i` (on its `[`); returns the number of elements.
  private mutating func rowList(
    list: Int, elementKeys: [[UInt8]], elementKeysRead: Int, storage: inout [UInt8],
    members: inout [RowMember], ok: inout Bool
  ) throws -> Int {
    i += 1  // [
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
    var n = 0
    skipSpace()
    if i < count && base[i] == UInt8(ascii: "]") {
      i += 1
      return 0
    }
    while true {
      skipSpace()
      guard i < count else { throw fail("unexpected end of line, expected a value") }
      let element = n
      if base[i] == UInt8(ascii: "{") {
        var seen: UInt64 = 0
        try walkMembers { p, key in
          guard let key, let k = Self.index(of: key, in: elementKeys) else { return false }
          if k >= 64 || seen & (1 << UInt64(k)) != 0 { ok = false }
          seen |= 1 << UInt64(k & 63)
          // A key checked only for being given twice: its value is skipped.
          guard k < elementKeysRead else { return false }
          members.append(try p.rowValue(key: k, list: list, element: element, storage: &storage))
          return true
        } unnamed: {
          ok = false
        }
      } else {
        _ = try value(build: false)
        members.append(RowMember(key: -1, list: list, element: element, kind: .other, range: 0..<0))
      }
      n += 1
      skipSpace()
      guard i < count else { throw fail("unexpected end of line in array") }
      if base[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard base[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
      i += 1
      return n
    }
  }

  private func fail(_ why: String) -> Failure { Failure(reason: "\(why) at column \(i + 1)") }

  private func describe(_ b: UInt8) -> String {
    b >= 0x20 && b < 0x7F
      ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16, uppercase: true))"
  }

  @inline(__always) private mutating func skipSpace() {
    while i < count {
      let b = base[i]
      guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
      i += 1
    }
  }

  @inline(__always) private mutating func expect(_ c: UInt8, _ what: String) throws {
    skipSpace()
    guard i < count else { throw fail("unexpected end of line, expected \(what)") }
    guard base[i] == c else { throw fail("expected \(what), found \(describe(base[i]))") }
    i += 1
  }

  private mutating func objectMembers(keep: (String) -> Bool) throws -> [(key: String, value: JSONValue)] {
    i += 1  // {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
    var members: [(key: String, value: JSONValue)] = []
    var keys: Set<String> = []
    skipSpace()
    if i < count && base[i] == UInt8(ascii: "}") {
      i += 1
      return members
    }
    while true {
      skipSpace()
      guard i < count, base[i] == UInt8(ascii: "\"") else {
        throw i < count
          ? fail("expected a quoted key, found \(describe(base[i]))")
          : fail("unexpected end of line in object")
      }
      let key = try string(build: true)!
      if duplicatePaths != nil && !keys.insert(key).inserted {
        duplicatePaths?.append(path + [key])
        // The last value is the one kept, as readers that do not refuse take it.
        members.removeAll { $0.key == key }
      }
      try expect(UInt8(ascii: ":"), "':'")
      if duplicatePaths != nil { path.append(key) }
      if keep(key) {
        members.append((key, try value(build: true)!))
      } else {
        _ = try value(build: false)
      }
      if duplicatePaths != nil { path.removeLast() }
      skipSpace()
      guard i < count else { throw fail("unexpected end of line in object") }
      if base[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard base[i] == UInt8(ascii: "}") else {
        throw fail("expected ',' or '}', found \(describe(base[i]))")
      }
      i += 1
      return members
    }
  }

  private mutating func value(build: Bool) throws -> JSONValue? {
    skipSpace()
    guard i < count else { throw fail("unexpected end of line, expected a value") }
    switch base[i] {
    case UInt8(ascii: "\""):
      return try string(build: build).map(JSONValue.string)
    case UInt8(ascii: "{"):
      let members = try objectMembers(keep: { _ in build })
      return build ? .object(members) : nil
    case UInt8(ascii: "["):
      i += 1
      depth += 1
      defer { depth -= 1 }
      guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
      var items: [JSONValue] = []
      skipSpace()
      if i < count && base[i] == UInt8(ascii: "]") {
        i += 1
        return build ? .array(items) : nil
      }
      while true {
        if duplicatePaths != nil { path.append(String(items.count)) }
        let item = try value(build: build)
        if duplicatePaths != nil { path.removeLast() }
        if build { items.append(item!) }
        skipSpace()
        guard i < count else { throw fail("unexpected end of line in array") }
        if base[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        guard base[i] == UInt8(ascii: "]") else {
          throw fail("expected ',' or ']', found \(describe(base[i]))")
        }
        i += 1
        return build ? .array(items) : nil
      }
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      let start = i
      try number()
      return build
        ? .number(String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self))
        : nil
    default:
      throw fail("unexpected character \(describe(base[i]))")
    }
  }

  private mutating func literal(_ word: StaticString) throws {
    let n = word.utf8CodeUnitCount
    guard i + n <= count, memcmp(base + i, word.utf8Start, n) == 0 else { throw fail("invalid literal") }
    i += n
  }

  private mutating func number() throws {
    func digits() -> Int {
      let s = i
      while i < count && base[i] >= 0x30 && base[i] <= 0x39 { i += 1 }
      return i - s
    }
    if base[i] == UInt8(ascii: "-") { i += 1 }
    guard i < count, base[i] >= 0x30 && base[i] <= 0x39 else { throw fail("invalid number") }
    if base[i] == UInt8(ascii: "0") {
      i += 1
      if i < count && base[i] >= 0x30 && base[i] <= 0x39 { throw fail("invalid number (leading zero)") }
    } else {
      _ = digits()
    }
    if i < count && base[i] == UInt8(ascii: ".") {
      i += 1
      guard digits() > 0 else { throw fail("invalid number (no digits after '.')") }
    }
    if i < count && (base[i] | 0x20) == UInt8(ascii: "e") {
      i += 1
      if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
      guard digits() > 0 else { throw fail("invalid number (no exponent digits)") }
    }
  }

  /// The index of the first `"`, `\\` or control byte at or after `from` (or `count`),
  /// eight bytes at a time.
  @inline(__always)
  private static func plainRunEnd(_ p: UnsafePointer<UInt8>, from: Int, count: Int) -> Int {
    let raw = UnsafeRawPointer(p)
    var j = from
    while j + 8 <= count {
      let v = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
      if SWAR.equalMask(v, 0x22) | SWAR.equalMask(v, 0x5C) != 0 || SWAR.hasByteBelow(v, 0x20) { break }
      j += 8
    }
    while j < count {
      let b = p[j]
      if b == 0x22 || b == 0x5C || b < 0x20 { return j }
      j += 1
    }
    return j
  }

  /// Parses a string at `i` (on its opening quote) into a `String` when `build`.
  private mutating func string(build: Bool) throws -> String? {
    // Without escapes the String is made straight from the line's bytes.
    let start = i + 1
    let end = Self.plainRunEnd(base, from: start, count: count)
    if end < count && base[end] == UInt8(ascii: "\"") {
      i = end + 1
      return build
        ? String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self) : nil
    }
    var out: [UInt8] = []
    try string(into: &out, build: build)
    return build ? String(decoding: out, as: UTF8.self) : nil
  }

  /// Parses a string at `i` (on its opening quote), appending its decoded bytes to `out`
  /// when `build`.
  private mutating func string(into out: inout [UInt8], build: Bool) throws {
    i += 1
    var start = i
    while true {
      let j = Self.plainRunEnd(base, from: i, count: count)
      i = j
      guard j < count else { throw fail("unterminated string") }
      let b = base[j]
      if build { out.append(contentsOf: UnsafeBufferPointer(start: base + start, count: j - start)) }
      if b == UInt8(ascii: "\"") {
        i = j + 1
        return
      }
      if b < 0x20 { throw fail("control character \(describe(b)) in a string") }
      // A backslash.
      i = j + 1
      guard i < count else { throw fail("unterminated string") }
      let e = base[i]
      i += 1
      var unescaped: UInt8
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped = e
      case UInt8(ascii: "b"): unescaped = 0x08
      case UInt8(ascii: "f"): unescaped = 0x0C
      case UInt8(ascii: "n"): unescaped = 0x0A
      case UInt8(ascii: "r"): unescaped = 0x0D
      case UInt8(ascii: "t"): unescaped = 0x09
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if scalar >= 0xD800 && scalar <= 0xDBFF {
          guard i + 1 < count, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u") else {
            throw fail("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
          }
          i += 2
          let low = try hex4()
          guard low >= 0xDC00 && low <= 0xDFFF else { throw fail("invalid surrogate pair") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
          throw fail("unpaired surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
        }
        if scalar >= 0x80 { decodedNonASCII = true }
        if build { out.append(contentsOf: Unicode.Scalar(scalar)!.utf8) }
        start = i
        continue
      default:
        i -= 1
        throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))")
      }
      if build { out.append(unescaped) }
      start = i
    }
  }

  private mutating func hex4() throws -> UInt32 {
    guard i + 4 <= count else { throw fail("truncated \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = base[i]
      let d: UInt8
      switch b {
      case 0x30...0x39: d = b - 0x30
      case 0x41...0x46: d = b - 0x41 + 10
      case 0x61...0x66: d = b - 0x61 + 10
      default: throw fail("invalid \\u escape")
      }
      v = v << 4 | UInt32(d)
      i += 1
    }
    return v
  }
}
