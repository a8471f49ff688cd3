import CLlama
import Foundation

/// What LlamaBackend reads from a GGUF file's header before handing it to llama.cpp.
///
/// llama.cpp aborts or mis-reports on some malformed files, so the header, every metadata
/// entry and every tensor's byte range are validated here first.
package struct GGUFSummary: Sendable, Hashable {
  /// GGUF format version (2 or 3).
  package var version: UInt32
  /// `general.architecture`.
  package var architecture: String
  /// `general.name`, when present.
  package var name: String?
  /// Number of tensors.
  package var tensorCount: Int
  /// Number of metadata entries.
  package var metadataCount: Int
  /// Whether `tokenizer.chat_template` is present.
  package var hasChatTemplate: Bool
}

/// Reads and validates a GGUF file's header, metadata and tensor table.
package enum GGUFFile {
  static let magic: [UInt8] = Array("GGUF".utf8)
  /// `LLAMA_MAX_LAYERS` of the pinned llama.cpp (`src/llama-hparams.h`).
  static let maxLayers: UInt64 = 512

  /// Validates the file at `path`.
  package static func inspect(path: String) throws(LlamaBackendError) -> GGUFSummary {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      FileManager.default.isReadableFile(atPath: path)
    else { throw .fileNotFound(path: path) }
    // Something that is there but is no file a model can be read from.
    if isDirectory.boolValue { throw .notGGUF(path: path, found: "(a directory)") }
    var status = stat()
    if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
      throw .notGGUF(path: path, found: "(not a regular file)")
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw .fileNotFound(path: path)
    }
    guard data.count >= 4, Array(data.prefix(4)) == magic else {
      let shown = data.prefix(8).map { b in
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : String(format: "\\x%02x", b)
      }.joined()
      throw .notGGUF(path: path, found: shown.isEmpty ? "(empty file)" : "'\(shown)'")
    }
    do {
      return try data.withUnsafeBytes { raw in
        var reader = Reader(bytes: raw, offset: 4)
        return try parse(&reader, fileSize: raw.count)
      }
    } catch let error as GGUFParseError {
      throw .corruptGGUF(path: path, reason: error.reason)
    } catch {
      throw .corruptGGUF(path: path, reason: "\(error)")
    }
  }

  struct GGUFParseError: Error {
    var reason: String
  }

  struct Reader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    mutating func need(_ n: Int, _ what: String) throws(GGUFParseError) {
      guard n >= 0, offset <= bytes.count, bytes.count - offset >= n else {
        throw GGUFParseError(
          reason: "file ends inside \(what) at byte \(offset) (file has \(bytes.count) bytes)")
      }
    }
    mutating func u32(_ what: String) throws(GGUFParseError) -> UInt32 {
      try need(4, what)
      defer { offset += 4 }
      return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64(_ what: String) throws(GGUFParseError) -> UInt64 {
      try need(8, what)
      defer { offset += 8 }
      return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    mutating func count(_ what: String, limit: UInt64) throws(GGUFParseError) -> Int {
      let n = try u64(what)
      guard n <= limit else { throw GGUFParseError(reason: "implausible \(what) \(n) at byte \(offset - 8)") }
      return Int(n)
    }
    mutating func string(_ what: String) throws(GGUFParseError) -> String {
      let n = try count("length of \(what)", limit: UInt64(bytes.count))
      try need(n, what)
      defer { offset += n }
      return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
    }
    mutating func skip(_ n: Int, _ what: String) throws(GGUFParseError) {
      try need(n, what)
      offset += n
    }
  }

  /// Byte size of a scalar GGUF value type, or nil for string/array/unknown.
  static func scalarSize(_ type: UInt32) -> Int? {
    switch type {
    case 0, 1, 7: return 1
    case 2, 3: return 2
    case 4, 5, 6: return 4
    case 10, 11, 12: return 8
    default: return nil
    }
  }

  static func skipValue(type: UInt32, key: String, _ r: inout Reader) throws(GGUFParseError) {
    if let size = scalarSize(type) {
      try r.skip(size, "value of \(key)")
    } else if type == 8 {
      _ = try r.string("value of \(key)")
    } else if type == 9 {
      let elementType = try r.u32("array type of \(key)")
      let n = try r.count("array length of \(key)", limit: UInt64(r.bytes.count))
      if let size = scalarSize(elementType) {
        try r.skip(n * size, "array \(key)")
      } else if elementType == 8 {
        for _ in 0..<n { _ = try r.string("array element of \(key)") }
      } else {
        throw GGUFParseError(reason: "metadata \(key) has an array of unsupported type \(elementType)")
      }
    } else {
      throw GGUFParseError(reason: "metadata \(key) has unknown value type \(type)")
    }
  }

  static func parse(_ r: inout Reader, fileSize: Int) throws(GGUFParseError) -> GGUFSummary {
    let version = try r.u32("version")
    guard version == 2 || version == 3 else {
      throw GGUFParseError(reason: "unsupported GGUF version \(version) (expected 2 or 3)")
    }
    let tensorCount = try r.count("tensor count", limit: 1 << 24)
    let kvCount = try r.count("metadata count", limit: 1 << 24)
    var architecture: String?
    var name: String?
    var alignment = 32
    var hasTemplate = false
    // `<arch>.block_count` values by key (the architecture may come later): llama.cpp asserts
    // (aborts) on a layer count outside 1…LLAMA_MAX_LAYERS.
    var blockCounts: [String: UInt64] = [:]
    for _ in 0..<kvCount {
      let key = try r.string("metadata key")
      let type = try r.u32("type of \(key)")
      if key.hasSuffix(".block_count"), type == 4 || type == 5 || type == 10 || type == 11 {
        let value: UInt64
        // Signed types (5, 11) read negative as 0, which the range check refuses.
        switch type {
        case 4: value = UInt64(try r.u32("value of \(key)"))
        case 5: value = UInt64(max(0, Int32(bitPattern: try r.u32("value of \(key)"))))
        case 10: value = try r.u64("value of \(key)")
        default: value = UInt64(max(0, Int64(bitPattern: try r.u64("value of \(key)"))))
        }
        blockCounts[key] = value
      } else if key == "general.architecture" || key == "general.name", type == 8 {
        let value = try r.string("value of \(key)")
        if key == "general.architecture" { architecture = value } else { name = value }
      } else if key == "general.alignment", type == 4 {
        alignment = Int(try r.u32("general.alignment"))
      } else {
        if key == "tokenizer.chat_template" { hasTemplate = true }
        try skipValue(type: type, key: key, &r)
      }
    }
    guard let architecture else {
      throw GGUFParseError(reason: "metadata has no general.architecture")
    }
    if let layers = blockCounts["\(architecture).block_count"], !(1...maxLayers).contains(layers) {
      throw GGUFParseError(
        reason:
          "\(architecture).block_count is \(layers); a model has 1 to \(maxLayers) layers (damaged metadata?)"
      )
    }
    guard alignment > 0, alignment & (alignment - 1) == 0 else {
      throw GGUFParseError(reason: "general.alignment \(alignment) is not a power of two")
    }
    var tensors: [(name: String, end: Int)] = []
    tensors.reserveCapacity(tensorCount)
    for _ in 0..<tensorCount {
      let tensorName = try r.string("tensor name")
      let dims = Int(try r.u32("dimension count of \(tensorName)"))
      guard (1...4).contains(dims) else {
        throw GGUFParseError(reason: "tensor \(tensorName) has \(dims) dimensions")
      }
      var elements = 1
      var rowLength = 1
      for d in 0..<dims {
        let n = try r.count("dimension of \(tensorName)", limit: 1 << 40)
        if d == 0 { rowLength = n }
        let (product, overflow) = elements.multipliedReportingOverflow(by: n)
        guard !overflow else { throw GGUFParseError(reason: "tensor \(tensorName) is impossibly large") }
        elements = product
      }
      let type = try r.u32("type of \(tensorName)")
      let offset = try r.count("data offset of \(tensorName)", limit: UInt64(fileSize))
      guard type < GGML_TYPE_COUNT.rawValue else {
        throw GGUFParseError(reason: "tensor \(tensorName) has unknown type \(type)")
      }
      let ggmlType = ggml_type(rawValue: type)
      let block = Int(ggml_blck_size(ggmlType))
      let typeSize = Int(ggml_type_size(ggmlType))
      guard block > 0, typeSize > 0, rowLength % block == 0 else {
        throw GGUFParseError(reason: "tensor \(tensorName) has unusable type \(type)")
      }
      tensors.append((tensorName, offset + elements / block * typeSize))
    }
    let dataStart = (r.offset + alignment - 1) / alignment * alignment
    for tensor in tensors where dataStart + tensor.end > fileSize {
      throw GGUFParseError(
        reason:
          "tensor \(tensor.name) ends at byte \(dataStart + tensor.end) but the file has only \(fileSize) bytes (truncated download?)"
      )
    }
    return GGUFSummary(
      version: version, architecture: architecture, name: name, tensorCount: tensorCount,
      metadataCount: kvCount, hasChatTemplate: hasTemplate)
  }
}
