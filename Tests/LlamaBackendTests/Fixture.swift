import Foundation
import LlamaBackend
import Testing

/// The real test model, shared by all tests (loading is cheap: the file is memory-mapped).
enum Fixture {
  static let defaultPath =
    FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/fieldeval/models/gemma-3-270m-q4_k_m.gguf"

  static var modelPath: String {
    if let path = ProcessInfo.processInfo.environment["FIELDEVAL_MODEL"], !path.isEmpty { return path }
    return defaultPath
  }

  private static let loaded: Result<LlamaModel, LlamaBackendError> = {
    do throws(LlamaBackendError) {
      return .success(try LlamaModel(path: modelPath))
    } catch {
      return .failure(error)
    }
  }()

  /// The model, or a failure telling how to get it (the model is required, never skipped).
  static func model() throws -> LlamaModel {
    switch loaded {
    case .success(let model): return model
    case .failure(let error):
      Issue.record("test model unavailable at \(modelPath): \(error). Run `make bootstrap` to fetch it.")
      throw error
    }
  }

  /// Threads per test engine: 1 by default. ggml's OpenMP workers spin at barriers, and on a
  /// small shared CI machine (2 cores, other builds running) a 2-thread engine slowed the suite
  /// down several times over. `FIELDEVAL_TEST_THREADS` overrides.
  static let testThreads = Int(ProcessInfo.processInfo.environment["FIELDEVAL_TEST_THREADS"] ?? "") ?? 1

  /// A small engine for tests.
  static func engine(
    slots: Int = 4, contextSize: Int = 2048, prefixCaching: Bool = true, chatTemplate: String? = nil
  ) throws -> LlamaEngine {
    try LlamaEngine(
      model: model(),
      configuration: LlamaEngine.Configuration(
        contextSize: contextSize, slots: slots, threads: testThreads, chatTemplate: chatTemplate,
        prefixCaching: prefixCaching,
        minimumCachedPrefixTokens: 16))
  }

  /// A temporary file with `bytes`, removed by the caller.
  static func temporaryFile(_ bytes: [UInt8], suffix: String = ".gguf") throws -> String {
    let path = NSTemporaryDirectory() + "llamabackend-\(UUID().uuidString)\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// A syntactically valid GGUF file (v3, no tensors) with the given architecture.
  static func minimalGGUF(architecture: String) -> [UInt8] {
    ggufHeader(tensors: 0, architecture: architecture).bytes
  }

  /// A GGUF file (v3, `gemma3`) with one f32 tensor of 8 elements (32 bytes) at each of
  /// `offsets` in its data section, named `t0`, `t1`, …, and `dataBytes` bytes of data after
  /// the header's padding to 32. Contiguous offsets are `0, 32, 64, …`.
  static func ggufWithTensors(offsets: [UInt64], dataBytes: Int) -> [UInt8] {
    var out = ggufHeader(tensors: offsets.count, architecture: "gemma3")
    for (k, offset) in offsets.enumerated() {
      out.string("t\(k)")
      out.u32(1)  // dimensions
      out.u64(8)
      out.u32(0)  // GGML_TYPE_F32
      out.u64(offset)
    }
    var bytes = out.bytes
    bytes += [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)
    return bytes + [UInt8](repeating: 0, count: dataBytes)
  }

  /// A GGUF file's bytes written in its little-endian encoding.
  struct GGUFBytes {
    var bytes = Array("GGUF".utf8)
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    /// A GGUF string: its length (u64), then its UTF-8 bytes.
    mutating func string(_ s: String) {
      u64(UInt64(s.utf8.count))
      bytes += Array(s.utf8)
    }
  }

  /// A v3 header declaring `tensors` tensors and one metadata entry, `general.architecture`.
  static func ggufHeader(tensors: Int, architecture: String) -> GGUFBytes {
    var out = GGUFBytes()
    out.u32(3)
    out.u64(UInt64(tensors))
    out.u64(1)  // metadata entries
    out.string("general.architecture")
    out.u32(8)  // a string
    out.string(architecture)
    return out
  }

}
