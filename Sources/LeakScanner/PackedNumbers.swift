import Foundation

/// The long per-row columns of a shard report's merge state, written as one base64 string of
/// little-endian integers instead of a JSON array of arrays: for a shard of 500,000 rows
/// `JSONEncoder` took about 3 s and hundreds of MB to write the arrays (and `JSONDecoder` as
/// long to read them back); one string of the same numbers takes a small part of that.
///
/// A column is `fieldeval-packed-v1:<kind>:<width>:<base64>`: `kind` is `i64`, `u64` or `u16`,
/// `width` the numbers per row. Reports of earlier versions hold the arrays, which are still
/// read.
enum PackedNumbers {
  static let prefix = "fieldeval-packed-v1:"
  /// The most numbers a row may hold (MinHash signatures hold 64 by default).
  static let maxWidth = 1 << 16

  /// `values` (rows of `width` numbers, back to back) as one packed string.
  static func pack<T: FixedWidthInteger>(_ values: some Sequence<T>, width: Int) -> String {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.underestimatedCount * MemoryLayout<T>.size)
    for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    return "\(prefix)\(kind(T.self)):\(width):\(Data(bytes).base64EncodedString())"
  }

  /// The numbers of a packed string of `T`, back to back, and the numbers per row; `reason`
  /// says why when `text` is not one.
  static func unpack<T: FixedWidthInteger>(_ text: String, as type: T.Type) -> Result<
    ([T], width: Int), Failure
  > {
    guard text.hasPrefix(prefix) else { return .failure(Failure("not a packed column")) }
    let fields = text.dropFirst(prefix.count).split(
      separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard fields.count == 3, fields[0] == kind(T.self) else {
      return .failure(Failure("expected a packed column of \(kind(T.self))"))
    }
    guard let width = Int(fields[1]), width > 0, width <= maxWidth else {
      return .failure(Failure("invalid row width \(fields[1]) (1 to \(maxWidth))"))
    }
    guard let data = Data(base64Encoded: String(fields[2])) else {
      return .failure(Failure("invalid base64"))
    }
    let size = MemoryLayout<T>.size
    guard data.count % (width * size) == 0 else {
      return .failure(Failure("\(data.count) bytes are not whole rows of \(width) × \(size) bytes"))
    }
    let values = data.withUnsafeBytes { raw in
      (0..<(data.count / size)).map {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self))
      }
    }
    return .success((values, width))
  }

  /// Why a packed column could not be read.
  struct Failure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
  }

  private static func kind<T: FixedWidthInteger>(_: T.Type) -> String {
    "\(T.isSigned ? "i" : "u")\(T.bitWidth)"
  }
}

extension KeyedEncodingContainer {
  /// Encodes `values` packed (``PackedNumbers``), `width` to a row.
  mutating func encodePacked<T: FixedWidthInteger>(
    _ values: some Sequence<T>, width: Int = 1, forKey key: Key
  )
    throws
  {
    try encode(PackedNumbers.pack(values, width: width), forKey: key)
  }

  /// Encodes `rows` of `width` numbers packed (``PackedNumbers``).
  mutating func encodePacked<T: FixedWidthInteger>(_ rows: [[T]], width: Int, forKey key: Key) throws {
    for row in rows where row.count != width {
      throw EncodingError.invalidValue(
        row, .init(codingPath: codingPath + [key], debugDescription: "rows of \(width) numbers expected"))
    }
    try encode(PackedNumbers.pack(rows.lazy.joined(), width: width), forKey: key)
  }
}

extension KeyedDecodingContainer {
  /// The packed numbers at `key` and their row width, or `nil` when `key` holds an array (a
  /// report of an earlier version).
  private func packed<T: FixedWidthInteger>(_ type: T.Type, forKey key: Key) throws -> ([T], width: Int)? {
    guard let text = try? decode(String.self, forKey: key) else { return nil }
    switch PackedNumbers.unpack(text, as: T.self) {
    case .success(let packed): return packed
    case .failure(let failure):
      throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: failure.reason)
    }
  }

  /// The numbers at `key`, `width` to a row and back to back, written packed or, by earlier
  /// versions, as an array (one per row) or as arrays of `width`; `nil` when absent. Rows of
  /// another width are refused with the key.
  func decodeRows<T: FixedWidthInteger & Decodable>(_ type: T.Type, width: Int, forKey key: Key) throws
    -> [T]?
  {
    guard contains(key), try !decodeNil(forKey: key) else { return nil }
    if let (values, found) = try packed(T.self, forKey: key) {
      guard found == width else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: self, debugDescription: "rows of \(found) numbers where \(width) belong")
      }
      return values
    }
    if width == 1 { return try decode([T].self, forKey: key) }
    let rows = try decode([[T]].self, forKey: key)
    guard rows.allSatisfy({ $0.count == width }) else {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: self, debugDescription: "rows of \(width) numbers expected")
    }
    return Array(rows.joined())
  }
}
