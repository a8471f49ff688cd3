import Foundation

/// A temporary directory for a test, removed when the value is deinitialized.
public final class TempDir {
  /// The directory.
  public let url: URL

  /// Creates a fresh directory under the system's temporary folder.
  public init() {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "fieldeval-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// The path of `name` inside the directory (the file need not exist).
  public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  /// Writes `bytes` to `name` and returns its path.
  public func file(_ name: String, bytes: [UInt8]) -> String {
    let p = path(name)
    _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
    return p
  }

  /// Writes `text` as UTF-8 to `name` and returns its path.
  public func file(_ name: String, _ text: String) -> String { file(name, bytes: Array(text.utf8)) }
}
