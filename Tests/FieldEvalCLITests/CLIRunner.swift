import Foundation

/// Runs the built `fieldeval` executable and captures its output.
enum CLI {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The package root (this file is Tests/FieldEvalCLITests/CLIRunner.swift).
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The `fieldeval` binary: `$FIELDEVAL_BIN`, or the one next to the test bundle, or `.build/debug`.
  static var binary: URL {
    if let env = ProcessInfo.processInfo.environment["FIELDEVAL_BIN"] { return URL(fileURLWithPath: env) }
    let candidates = [
      Bundle.main.bundleURL.appendingPathComponent("fieldeval"),
      Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("fieldeval"),
      packageRoot.appendingPathComponent(".build/debug/fieldeval"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
  }

  /// The test model `make bootstrap` fetches (`$FIELDEVAL_MODEL` overrides).
  static var modelPath: String {
    if let path = ProcessInfo.processInfo.environment["FIELDEVAL_MODEL"], !path.isEmpty { return path }
    return FileManager.default.homeDirectoryForCurrentUser.path
      + "/.cache/fieldeval/models/gemma-3-270m-q4_k_m.gguf"
  }

  /// Runs `fieldeval arguments` from the package root, with `environment` added to the
  /// inherited one and, with `addressSpaceKB`, under `ulimit -v` (through `/bin/sh`). With
  /// `standardOutput`, its standard output goes to that file (`/dev/full`), not to `stdout`.
  static func run(
    _ arguments: [String], environment: [String: String] = [:], addressSpaceKB: Int? = nil,
    standardOutput: String? = nil
  ) throws -> Result {
    let process = Process()
    if let addressSpaceKB {
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments =
        ["-c", "ulimit -v \(addressSpaceKB) && exec \"$0\" \"$@\"", binary.path] + arguments
    } else {
      process.executableURL = binary
      process.arguments = arguments
    }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.currentDirectoryURL = packageRoot
    let out = Pipe()
    let err = Pipe()
    if let standardOutput {
      process.standardOutput = FileHandle(forWritingAtPath: standardOutput)
    } else {
      process.standardOutput = out
    }
    process.standardError = err
    try process.run()
    if standardOutput != nil { try out.fileHandleForWriting.close() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
