import Foundation
import LlamaBackend
import Testing

extension LlamaBackendTests {
  /// The `fieldeval` executable next to the test bundle (SwiftPM builds it with the tests).
  static func fieldevalBinary() throws -> URL {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("fieldeval")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    Issue.record(
      "fieldeval executable not found near \(CommandLine.arguments[0]); run `swift build --build-tests`")
    throw CocoaError(.fileNoSuchFile)
  }

  static func runFieldeval(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = try fieldevalBinary()
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OMP_NUM_THREADS"] = "1"
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: stdout, as: UTF8.self),
      String(decoding: stderr, as: UTF8.self)
    )
  }

  @Test func generateCommandPrintsJSONReport() throws {
    let run = try Self.runFieldeval([
      "generate", "--model", Fixture.modelPath, "--prompt", "The capital of France is", "--max-tokens", "5",
      "--format", "json", "--threads", "1",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
    #expect((object["backend"] as? String)?.hasPrefix("llama.cpp 0.6.") == true)
    #expect(object["prompt_tokens"] as? Int == 6)
    #expect(object["completion_tokens"] as? Int == 5)
    #expect(object["finish_reason"] as? String == "length")
    #expect((object["tokens_per_second"] as? Double ?? 0) > 0)
    #expect(!(object["text"] as? String ?? "").isEmpty)
  }

  @Test func generateCommandFailsWithExitTwoOnUnusableInput() throws {
    let missing = try Self.runFieldeval(["generate", "--model", "/nonexistent.gguf", "--prompt", "x"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("model file not found"))
    let noTemplate = try Self.runFieldeval([
      "generate", "--model", Fixture.modelPath, "--prompt", "x", "--chat", "--threads", "1",
    ])
    #expect(noTemplate.status == 2)
    #expect(noTemplate.stderr.contains("--chat-template"))
  }

  /// Out of memory, made cheap and safe: the process runs under a 3 GB address-space limit
  /// (`ulimit -v`), so the 4 GB KV cache of a 262,144-token context fails to allocate at once
  /// instead of pushing the machine into swap.
  @Test func outOfMemoryForTheContextIsReportedWithWhatToLower() throws {
    let binary = try Self.fieldevalBinary().path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = [
      "-c",
      "ulimit -v 3000000 && exec \"$0\" generate --model \"$1\" --prompt Hi --max-tokens 2 "
        + "--context-size 262144 --threads 1",
      binary, Fixture.modelPath,
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["OMP_NUM_THREADS"] = "1"
    process.environment = environment
    let err = Pipe()
    process.standardError = err
    process.standardOutput = Pipe()
    try process.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 2, "\(stderr)")
    #expect(stderr.contains("could not create a llama.cpp context of 262144 tokens"), "\(stderr)")
    #expect(stderr.contains("out-of-memory"), "\(stderr)")
  }
}
