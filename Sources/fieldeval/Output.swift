import EvalCore
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension FileHandle {
  /// Writes `string`; a failure (standard error closed) is ignored: there is nowhere left to
  /// report it.
  func write(_ string: String) {
    try? write(contentsOf: Data(string.utf8))
  }
}

/// The report a command prints, written so that a failure (a full disk, a closed file) is an
/// error that says why, not a crash or a report silently cut short.
enum StandardOutput {
  static func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  static func write(_ data: some DataProtocol) throws {
    try Array(data).withUnsafeBytes { try write($0) }
  }

  static func write(_ bytes: UnsafeRawBufferPointer) throws {
    var done = 0
    while done < bytes.count {
      #if canImport(Glibc)
        let n = Glibc.write(1, bytes.baseAddress! + done, bytes.count - done)
      #else
        let n = Darwin.write(1, bytes.baseAddress! + done, bytes.count - done)
      #endif
      if n < 0 {
        let code = errno
        if code == EINTR { continue }
        throw CLIError("cannot write the report to standard output: \(FileErrors.reason(errno: code))")
      }
      done += n
    }
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
