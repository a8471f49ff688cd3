import Foundation

extension FileHandle {
  func write(_ string: String) {
    write(string.data(using: .utf8)!)
  }
}

/// Writes lines to a file through a buffer, atomically replacing the target on `commit()`.
final class AtomicLineWriter {
  let path: String
  let tempPath: String
  let handle: FileHandle
  var buffer = Data()

  init(path: String) throws {
    self.path = path
    let dir = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    tempPath = (dir.isEmpty ? "." : dir) + "/.\(name).tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tempPath, contents: nil) else {
      throw CLIError("cannot create \(path): check that the folder exists and is writable")
    }
    handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tempPath))
  }

  func write(_ data: Data) throws {
    buffer.append(data)
    buffer.append(0x0A)
    if buffer.count >= 1 << 20 { try flush() }
  }

  func flush() throws {
    try handle.write(contentsOf: buffer)
    buffer.removeAll(keepingCapacity: true)
  }

  func commit() throws {
    try flush()
    try handle.synchronize()
    try handle.close()
    if rename(tempPath, path) != 0 {
      throw CLIError("cannot move output into place at \(path)")
    }
  }

  func abandon() {
    try? handle.close()
    unlink(tempPath)
  }
}

enum JSONOutput {
  static func encoder(pretty: Bool = true) -> JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting =
      pretty
      ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    e.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return e
  }
}
