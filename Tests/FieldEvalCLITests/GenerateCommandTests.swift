import Foundation
import Testing

/// `fieldeval generate` end to end on the real test model (one decode thread: OpenMP spinning
/// on a busy 2-core machine slows the whole suite).
@Suite struct GenerateCommandTests {
  let oneThread = ["OMP_NUM_THREADS": "1"]

  @Test func printsJSONReport() throws {
    let run = try CLI.run(
      [
        "generate", "--model", CLI.modelPath, "--prompt", "The capital of France is", "--max-tokens", "5",
        "--format", "json", "--threads", "1",
      ], environment: oneThread)
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

  @Test func failsWithExitTwoOnUnusableInput() throws {
    let missing = try CLI.run(["generate", "--model", "/nonexistent.gguf", "--prompt", "x"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("model file not found"))
    let noTemplate = try CLI.run(
      ["generate", "--model", CLI.modelPath, "--prompt", "x", "--chat", "--threads", "1"],
      environment: oneThread)
    #expect(noTemplate.status == 2)
    #expect(noTemplate.stderr.contains("--chat-template"))
    // Options that would trap, not reproduce, be ignored or name the library's API.
    let cases: [([String], String)] = [
      (["--threads", "3000000000"], "--threads must be from 1 to 4096"),
      (["--seed", "4294967295", "--temperature", "0.9"], "--seed must be from 0 to 4294967294"),
      (["--chat-template", "gemma"], "--chat-template applies to --chat"),
      (["--context-size", "16", "--prompt", String(repeating: "word ", count: 40)], "raise --context-size"),
    ]
    for (extra, message) in cases {
      let r = try CLI.run(["generate", "--model", CLI.modelPath, "--prompt", "x", "--threads", "1"] + extra)
      #expect(r.status == 2, "\(extra)")
      #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
    }
    let directory = try CLI.run(["generate", "--model", "/tmp", "--prompt", "x"])
    #expect(directory.status == 2 && directory.stderr.contains("(a directory)"))
  }

  /// A model file cut short (`head -c 1000000 model.gguf`) is said to be truncated, with its
  /// size, not "implausible" or "damaged"; exit status 2.
  @Test func aTruncatedModelIsSaidToBeTruncated() throws {
    let whole = try Data(contentsOf: URL(fileURLWithPath: CLI.modelPath), options: .alwaysMapped)
    let path = NSTemporaryDirectory() + "fieldeval-truncated-\(UUID().uuidString).gguf"
    try whole.prefix(1_000_000).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let run = try CLI.run(["generate", "--model", path, "--prompt", "x", "--threads", "1"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("\(path) is truncated: it has 1000000 bytes"), "\(run.stderr)")
    #expect(!run.stderr.contains("implausible") && !run.stderr.contains("damaged"), "\(run.stderr)")
  }

  /// A negative number after a numeric option is its value, not another option: it reaches the
  /// command's own checks, which say the range, instead of "Missing value".
  @Test func negativeNumbersReachTheRangeChecks() throws {
    let cases: [([String], String)] = [
      (["--max-tokens", "-5"], "--max-tokens must be at least 1"),
      (["--max-tokens=-5"], "--max-tokens must be at least 1"),
      (["--context-size", "-16"], "--context-size must be at least 16"),
      (["--threads", "-2"], "--threads must be from 1 to 4096"),
      (["--seed", "-1", "--temperature", "0.9"], "--seed must be from 0 to 4294967294"),
    ]
    for (extra, message) in cases {
      let r = try CLI.run(["generate", "--model", CLI.modelPath, "--prompt", "x"] + extra)
      #expect(r.status == 2, "\(extra)")
      #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
      #expect(!r.stderr.contains("Missing value"), "\(extra): \(r.stderr)")
    }
    // Another option where the number should be is a missing number, and a word is no number.
    let missing: [([String], String)] = [
      (["--max-tokens", "--chat"], "missing a number: --max-tokens is followed by the option '--chat'"),
      (["--seed", "--threads", "1"], "missing a number: --seed is followed by the option '--threads'"),
      (["--temperature", "warm"], "'warm' is not a number"),
    ]
    for (extra, message) in missing {
      let r = try CLI.run(["generate", "--model", CLI.modelPath, "--prompt", "x"] + extra)
      #expect(r.status == 2, "\(extra)")
      #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
    }
    // A negative temperature is greedy, as its help says: the same text as 0.
    func text(temperature: String) throws -> String {
      let run = try CLI.run(
        [
          "generate", "--model", CLI.modelPath, "--prompt", "The capital of France is", "--max-tokens", "4",
          "--threads", "1", "--temperature", temperature,
        ], environment: oneThread)
      #expect(run.status == 0, "\(temperature): \(run.stderr)")
      return run.stdout
    }
    let greedy = try text(temperature: "0")
    #expect(!greedy.isEmpty)
    #expect(try text(temperature: "-1") == greedy)
  }

  /// Out of memory, made cheap and safe: under a 3 GB address-space limit the 4 GB KV cache
  /// of a 262,144-token context fails to allocate at once instead of pushing the machine
  /// into swap.
  @Test func outOfMemoryForTheContextIsReportedWithWhatToLower() throws {
    let run = try CLI.run(
      [
        "generate", "--model", CLI.modelPath, "--prompt", "Hi", "--max-tokens", "2", "--context-size",
        "262144",
        "--threads", "1",
      ], environment: oneThread, addressSpaceKB: 3_000_000)
    #expect(run.status == 2, "\(run.stderr)")
    #expect(run.stderr.contains("could not create a llama.cpp context of 262144 tokens"), "\(run.stderr)")
    #expect(run.stderr.contains("out-of-memory"), "\(run.stderr)")
  }
}
