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
      switch error {
      case .corrupt(let reason): throw .corruptGGUF(path: path, reason: reason)
      case .truncated(let needed, let inside):
        throw .truncatedGGUF(path: path, size: data.count, needed: needed, inside: inside)
      }
    } catch {
      throw .corruptGGUF(path: path, reason: "\(error)")
    }
  }

  enum GGUFParseError: Error {
    /// The header does not hold together.
    case corrupt(String)
    /// The file ends before what the header describes: the least size it needs, and the part
    /// of the header it ends in (`nil` when the header was read through).
    case truncated(needed: Int, inside: String?)
  }

  /// Most bytes in a metadata string, and most elements in a metadata array, that are read as
  /// plausible past the end of a file (a truncated one): more than any real model holds
  /// (`tokenizer.ggml.tokens` has about 10^6) and far less than damaged bytes make.
  static let plausibleLength: UInt64 = 1 << 26
  /// Most bytes of tensor data that are read as plausible past the end of a file (16 TiB).
  static let plausibleDataSize: UInt64 = 1 << 44

  struct Reader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    /// Whether `n` bytes of `what` follow; a file that ends first is truncated (every length
    /// read is checked as plausible first, so `offset + n` does not overflow).
    mutating func need(_ n: Int, _ what: String) throws(GGUFParseError) {
      guard offset <= bytes.count, bytes.count - offset >= n else {
        throw .truncated(needed: offset + n, inside: what)
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
      guard n <= limit else { throw .corrupt("implausible \(what) \(n) at byte \(offset - 8)") }
      return Int(n)
    }
    /// A count that may be more than a cut file holds: up to the file's size or to `plausible`.
    mutating func length(_ what: String, plausible: UInt64 = GGUFFile.plausibleLength) throws(GGUFParseError)
      -> Int
    {
      try count(what, limit: max(UInt64(bytes.count), plausible))
    }
    mutating func string(_ what: String) throws(GGUFParseError) -> String {
      let n = try length("length of \(what)")
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
      let n = try r.length("array length of \(key)")
      if let size = scalarSize(elementType) {
        try r.skip(n * size, "array \(key)")
      } else if elementType == 8 {
        for _ in 0..<n { _ = try r.string("array element of \(key)") }
      } else {
        throw .corrupt("metadata \(key) has an array of unsupported type \(elementType)")
      }
    } else {
      throw .corrupt("metadata \(key) has unknown value type \(type)")
    }
  }

  static func parse(_ r: inout Reader, fileSize: Int) throws(GGUFParseError) -> GGUFSummary {
    let version = try r.u32("version")
    guard version == 2 || version == 3 else {
      throw .corrupt("unsupported GGUF version \(version) (expected 2 or 3)")
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
      throw .corrupt("metadata has no general.architecture")
    }
    if let layers = blockCounts["\(architecture).block_count"], !(1...maxLayers).contains(layers) {
      throw .corrupt(
        "\(architecture).block_count is \(layers); a model has 1 to \(maxLayers) layers (damaged metadata?)")
    }
    guard alignment > 0, alignment & (alignment - 1) == 0 else {
      throw .corrupt("general.alignment \(alignment) is not a power of two")
    }
    var tensors: [(name: String, offset: Int, size: Int)] = []
    tensors.reserveCapacity(tensorCount)
    for _ in 0..<tensorCount {
      let tensorName = try r.string("tensor name")
      let dims = Int(try r.u32("dimension count of \(tensorName)"))
      guard (1...4).contains(dims) else {
        throw .corrupt("tensor \(tensorName) has \(dims) dimensions")
      }
      var elements = 1
      var rowLength = 1
      for d in 0..<dims {
        let n = try r.count("dimension of \(tensorName)", limit: 1 << 40)
        if d == 0 { rowLength = n }
        let (product, overflow) = elements.multipliedReportingOverflow(by: n)
        guard !overflow else { throw .corrupt("tensor \(tensorName) is impossibly large") }
        elements = product
      }
      let type = try r.u32("type of \(tensorName)")
      let offset = try r.length("data offset of \(tensorName)", plausible: plausibleDataSize)
      guard type < GGML_TYPE_COUNT.rawValue else {
        throw .corrupt("tensor \(tensorName) has unknown type \(type)")
      }
      let ggmlType = ggml_type(rawValue: type)
      let block = Int(ggml_blck_size(ggmlType))
      let typeSize = Int(ggml_type_size(ggmlType))
      guard block > 0, typeSize > 0, rowLength % block == 0 else {
        throw .corrupt("tensor \(tensorName) has unusable type \(type)")
      }
      let (size, overflow) = (elements / block).multipliedReportingOverflow(by: typeSize)
      guard !overflow, size <= plausibleDataSize else {
        throw .corrupt("tensor \(tensorName) is impossibly large")
      }
      tensors.append((tensorName, offset, size))
    }
    let dataStart = (r.offset + alignment - 1) / alignment * alignment
    // Past the end of the file: truncated when the tensors lie one after the other (as
    // llama.cpp requires, each padded to the alignment), the file then being shorter than the
    // header describes; damaged when one is placed elsewhere.
    if let beyond = tensors.first(where: { dataStart + $0.offset + $0.size > fileSize }) {
      var next = 0
      let contiguous = tensors.allSatisfy { tensor in
        defer { next = tensor.offset + (tensor.size + alignment - 1) / alignment * alignment }
        return tensor.offset == next
      }
      guard contiguous else {
        throw .corrupt(
          "tensor \(beyond.name) ends at byte \(dataStart + beyond.offset + beyond.size) but the file has only \(fileSize) bytes, and the tensors do not lie one after the other"
        )
      }
      throw .truncated(needed: dataStart + tensors.map { $0.offset + $0.size }.max()!, inside: nil)
    }
    return GGUFSummary(
      version: version, architecture: architecture, name: name, tensorCount: tensorCount,
      metadataCount: kvCount, hasChatTemplate: hasTemplate)
  }
}
