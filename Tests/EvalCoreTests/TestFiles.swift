import Foundation

/// A temporary directory removed when the value is deinitialized.
final class TempDir {
  let url: URL

  init() {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "fieldeval-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  func file(_ name: String, bytes: [UInt8]) -> String {
    let path = url.appendingPathComponent(name).path
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  func file(_ name: String, _ text: String) -> String {
    file(name, bytes: Array(text.utf8))
  }
}
