import Foundation
import TestSupport
import Testing

@Suite struct LeakCommandTests {
  let corpus = "Examples/corpus/train.jsonl"
  let rules = "Examples/corpus/rules.yaml"

  @Test func scanFlagsTheExampleCorpusAndExitsOne() throws {
    let r = try CLI.run(["scan", corpus, "--rules", rules])
    #expect(r.status == 1)
    #expect(r.stdout.contains("scaffold-prefix"))
    #expect(r.stdout.contains("First 20 characters of <think> blocks"))
    #expect(r.stdout.contains("HIGH opening \"X# spice combinator:\""))
  }

  /// Interrupted while writing (Ctrl-C, or the terminal or ssh session closed), `clean` exits
  /// 128 + the signal, the old outputs are as they were and no hidden temporary file is left
  /// beside them.
  @Test(arguments: [SIGINT, SIGHUP])
  func interruptedCleanLeavesNoTemporaryFiles(signal: Int32) throws {
    let dir = TempDir()
    let out = dir.path("out")
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
    let row = { (i: Int) in
      "{\"id\":\"\(i)\",\"prompt\":\"Question \(i)?\",\"response\":\"<think>A4 spice combinator: case \(i) needs \(i * 3) steps of work, each of them written out at some length so the file is large.</think>Answer \(i).\"}"
    }
    let corpus = dir.file("big.jsonl", (0..<150_000).map(row).joined(separator: "\n") + "\n")
    let old = out + "/clean.jsonl"
    _ = FileManager.default.createFile(atPath: old, contents: Data("OLD\n".utf8))
    let process = Process()
    process.executableURL = CLI.binary
    process.arguments = ["clean", corpus, "--clean-out", old, "--quarantine-out", out + "/q.jsonl"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait for the second pass's hidden part files, then interrupt.
    func hidden() -> [String] {
      ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { $0.hasPrefix(".") }
    }
    let deadline = Date().addingTimeInterval(120)
    while hidden().isEmpty && process.isRunning && Date() < deadline { usleep(5_000) }
    try #require(process.isRunning, "clean finished before it could be interrupted")
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    #expect(process.terminationStatus == 128 + signal)
    #expect(hidden().isEmpty, "\(hidden())")
    #expect(try String(contentsOfFile: old, encoding: .utf8) == "OLD\n")
    #expect(!FileManager.default.fileExists(atPath: out + "/q.jsonl"))
  }

  /// `--clean-out /dev/stdout` with the output redirected to a file writes the clean lines
  /// there, the file the shell opened written through, not replaced; the summary goes to the
  /// error stream, so the clean stream holds rows only.
  @Test func cleanToStandardOutputRedirectedToAFileKeepsTheSummary() throws {
    let dir = TempDir()
    let rows = (0..<4).map { i in
      "{\"id\":\"\(i)\",\"prompt\":\"Question \(i)?\",\"response\":\"<think>Okay, so case \(i) needs \(i * 3) steps.</think>Answer \(i).\"}"
    }
    let corpus = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let out = dir.path("out.txt")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = [
      "-c", "exec \"$0\" clean \"$1\" --clean-out /dev/stdout --quarantine-out \"$2\" > \"$3\"",
      CLI.binary.path, corpus, dir.path("q.jsonl"), out,
    ]
    let err = Pipe()
    process.standardError = err
    try process.run()
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let text = try String(contentsOfFile: out, encoding: .utf8)
    #expect(text == rows.joined(separator: "\n") + "\n", "\(text)")
    #expect(errText.contains("clean: 4"), "\(errText)")
  }

  @Test func cleanCorpusExitsZero() throws {
    let dir = TempDir()
    let path = dir.file(
      "clean.jsonl",
      (0..<5).map {
        "{\"id\":\"\($0)\",\"prompt\":\"Question \($0)?\",\"response\":\"<think>Okay, so case \($0) needs \($0 * 3) steps of work.</think>Answer \($0).\"}"
      }.joined(separator: "\n") + "\n")
    let r = try CLI.run(["scan", path])
    #expect(r.status == 0, "\(r.stdout)")
  }

  @Test func jsonAndMarkdownFormats() throws {
    let json = try CLI.run(["scan", corpus, "--format", "json"])
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(doc["malformed_lines"] as? Int == 3)
    let detectors = try #require(doc["detectors"] as? [[String: Any]])
    #expect(detectors.contains { $0["id"] as? String == "producer-note" && ($0["rows"] as? Int ?? 0) > 0 })
    let md = try CLI.run(["scan", corpus, "--format", "markdown"])
    #expect(md.stdout.contains("| `scaffold-prefix` |"))
  }

  /// Accepted candidates are counted as a detector; shards cannot accept (discovery is
  /// corpus-wide).
  @Test func acceptedDiscoveriesAreCounted() throws {
    let r = try CLI.run(["scan", corpus, "--accept-discovered", "--format", "json"])
    #expect(r.status == 1)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let detectors = try #require(doc["detectors"] as? [[String: Any]])
    let discovered = try #require(detectors.first { $0["id"] as? String == "discovered" })
    #expect((discovered["rows"] as? Int ?? 0) > 100)
    let sharded = try CLI.run(["scan", corpus, "--accept-discovered", "--shard", "1/2"])
    #expect(sharded.status == 2)
    #expect(sharded.stderr.contains("whole corpus"))
  }

  @Test func shardsMergeToTheWholeScan() throws {
    let dir = TempDir()
    var paths: [String] = []
    for k in 1...3 {
      let r = try CLI.run(["scan", corpus, "--shard", "\(k)/3", "--format", "json"])
      #expect(r.status == 1)
      paths.append(dir.file("shard\(k).json", r.stdout))
    }
    let merged = try CLI.run(["merge"] + paths + ["--format", "json"])
    let whole = try CLI.run(["scan", corpus, "--format", "json"])
    let m = try #require(try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any])
    let w = try #require(try JSONSerialization.jsonObject(with: Data(whole.stdout.utf8)) as? [String: Any])
    #expect(m["flagged_rows"] as? Int == w["flagged_rows"] as? Int)
    #expect(m["rows"] as? Int == w["rows"] as? Int)
    let mc = (m["detectors"] as? [[String: Any]])?.map { $0["rows"] as? Int }
    let wc = (w["detectors"] as? [[String: Any]])?.map { $0["rows"] as? Int }
    #expect(mc == wc)
    let missing = try CLI.run(["merge", paths[0], paths[1]])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("missing shards 3/3"))
  }

  @Test func cleanWritesEveryLineOnceAndRepairs() throws {
    let dir = TempDir()
    let clean = dir.path("clean.jsonl")
    let quarantine = dir.path("quarantine.jsonl")
    let audit = dir.path("audit.jsonl")
    let r = try CLI.run([
      "clean", corpus, "--rules", rules, "--clean-out", clean, "--quarantine-out", quarantine, "--repair",
      "--audit-out", audit,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    func count(_ p: String) throws -> Int {
      try String(contentsOfFile: p, encoding: .isoLatin1).split(separator: "\n").count
    }
    let input = try String(
      contentsOfFile: CLI.packageRoot.appendingPathComponent(corpus).path, encoding: .isoLatin1
    )
    .split(separator: "\n").count
    #expect(try count(clean) + count(quarantine) == input)
    #expect(try count(audit) > 0)
    // Nothing is left beside the outputs (no part files of the atomic writes).
    let left = try FileManager.default.contentsOfDirectory(
      atPath: URL(fileURLWithPath: clean).deletingLastPathComponent().path)
    #expect(left.sorted() == ["audit.jsonl", "clean.jsonl", "quarantine.jsonl"])
  }

  @Test func usageAndInputErrorsExitTwo() throws {
    let dir = TempDir()
    #expect(try CLI.run(["scan", "/nonexistent/corpus.jsonl"]).status == 2)
    let badShard = try CLI.run(["scan", corpus, "--shard", "4/3"])
    #expect(badShard.status == 2)
    #expect(badShard.stderr.contains("K/N"))
    for bad in ["1//2", "1/2/", "/2", "0/2", "x/2"] {
      #expect(try CLI.run(["scan", corpus, "--shard", bad]).status == 2, "\(bad)")
    }
    // A compressed corpus is named as such, not read as lines of garbage.
    let gzip = dir.file(
      "c.jsonl.gz", bytes: [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01])
    for command in ["scan", "emission"] {
      let compressed = try CLI.run([command, gzip])
      #expect(compressed.status == 2, "\(command)")
      #expect(compressed.stderr.contains("gzip-compressed"), "\(command)")
    }
    let unwritable = try CLI.run([
      "clean", corpus, "--clean-out", "/nonexistent/folder/c.jsonl", "--quarantine-out", dir.path("q.jsonl"),
    ])
    #expect(unwritable.status == 2)
    #expect(unwritable.stderr.contains("/nonexistent/folder/c.jsonl"))
    let badRules = dir.file("rules.yaml", "rules:\n  - { id: x, regex: \"([\" }\n")
    let rulesError = try CLI.run(["scan", corpus, "--rules", badRules])
    #expect(rulesError.status == 2)
    #expect(rulesError.stderr.contains("rules.yaml:2:"))
    #expect(rulesError.stderr.contains("\"([\""))
    let same = try CLI.run(["clean", corpus, "--clean-out", corpus, "--quarantine-out", dir.path("q.jsonl")])
    #expect(same.status == 2)
  }

  /// An output that is the corpus under another name (a symbolic or hard link) is refused
  /// before anything is written: the corpus stays as it was.
  @Test func cleanRefusesToOverwriteTheCorpusThroughALink() throws {
    let dir = TempDir()
    let text = (0..<4).map { "{\"id\":\"\($0)\",\"text\":\"row \($0)\"}" }.joined(separator: "\n") + "\n"
    let data = dir.file("data.jsonl", text)
    let symlink = dir.path("link.jsonl")
    try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: data)
    let hardlink = dir.path("hard.jsonl")
    try FileManager.default.linkItem(atPath: data, toPath: hardlink)
    for (corpusPath, out) in [(symlink, data), (data, symlink), (hardlink, data), (data, hardlink)] {
      let r = try CLI.run(["clean", corpusPath, "--clean-out", out, "--quarantine-out", dir.path("q.jsonl")])
      #expect(r.status == 2, "\(corpusPath) → \(out)")
      #expect(r.stderr.contains("must be different files"))
      #expect(try String(contentsOfFile: data, encoding: .utf8) == text)
    }
    let audit = try CLI.run([
      "clean", data, "--clean-out", dir.path("c.jsonl"), "--quarantine-out", dir.path("q.jsonl"),
      "--audit-out",
      dir.path("a.jsonl"),
    ])
    #expect(audit.status == 2)
    #expect(audit.stderr.contains("--repair"))
  }
  /// `--write-rules` and `clean`'s outputs never replace an input: the corpus and the ruleset
  /// stay as they were, and the rules file is written whole (atomically) when it is new.
  @Test func outputsThatNameAnInputAreRefused() throws {
    let dir = TempDir()
    let (data, ruleset) = (dir.path("data.jsonl"), dir.path("rules.yaml"))
    try FileManager.default.copyItem(atPath: corpus, toPath: data)
    try FileManager.default.copyItem(atPath: rules, toPath: ruleset)
    let before = (FileManager.default.contents(atPath: data), FileManager.default.contents(atPath: ruleset))
    for args in [
      ["scan", data, "--write-rules", data],
      ["scan", data, "--rules", ruleset, "--write-rules", ruleset],
      ["scan", data, "--write-rules", dir.path("w.yaml"), "--shard", "1/2", "--format", "json"],
      ["clean", data, "--rules", ruleset, "--clean-out", ruleset, "--quarantine-out", dir.path("q.jsonl")],
      ["clean", data, "--rules", ruleset, "--clean-out", dir.path("c.jsonl"), "--quarantine-out", ruleset],
    ] {
      let r = try CLI.run(args)
      #expect(r.status == 2, "\(args)")
      #expect(r.stderr.contains("--write-rules") || r.stderr.contains("different files"), "\(r.stderr)")
    }
    #expect(FileManager.default.contents(atPath: data) == before.0)
    #expect(FileManager.default.contents(atPath: ruleset) == before.1)
    #expect(!FileManager.default.fileExists(atPath: dir.path("w.yaml")))
    let written = try CLI.run(["scan", data, "--rules", ruleset, "--write-rules", dir.path("w.yaml")])
    #expect(written.status == 1)
    let yaml = try String(contentsOfFile: dir.path("w.yaml"), encoding: .utf8)
    #expect(yaml.hasPrefix("rules:\n") && yaml.hasSuffix("\n") && yaml.contains("discovered-"))
    // The written rules load.
    #expect(try CLI.run(["scan", data, "--rules", dir.path("w.yaml")]).status == 1)
  }

  /// `--write-rules` without `--accept-discovered` writes the confident candidates as rules and
  /// the listed ones commented out, and says so; with it, the acceptable ones are rules and the
  /// repeated prose stays commented out.
  @Test func writeRulesListsCandidatesThatAreNotConfident() throws {
    let dir = TempDir()
    let rows = (0..<300).map { i -> String in
      var think = "Let me explain topic \(i) in simple words for the reader."
      if i % 3 == 0 { think = "Sampling was done with temperature 0.\(i % 9 + 1) and top_p 0.95.\\n" + think }
      if i % 4 == 0 { think = "zq batch \(10 + i), " + think }
      return
        "{\"prompt\":\"Explain topic \(i).\",\"response\":\"<think>\\n\(think)\\n</think>\\n\\nTopic \(i) explained.\"}"
    }
    let data = dir.file("c.jsonl", rows.joined(separator: "\n") + "\n")
    let json = try CLI.run(["scan", data, "--format", "json"])
    let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let discovered = try #require(report?["discovered"] as? [[String: Any]])
    let confident = discovered.filter { $0["high_confidence"] as? Bool == true }.count
    let listed = discovered.count - confident
    #expect(confident >= 1 && listed >= 1, "\(discovered)")
    let written = try CLI.run(["scan", data, "--write-rules", dir.path("w.yaml")])
    #expect(written.status == 1)
    #expect(
      written.stderr.contains("wrote \(confident) rule")
        && written.stderr.contains("\(listed) listed candidate"),
      "\(written.stderr)")
    let yaml = try String(contentsOfFile: dir.path("w.yaml"), encoding: .utf8)
    #expect(yaml.components(separatedBy: "\n  - id: ").count - 1 == confident)
    #expect(yaml.components(separatedBy: "\n  # - id: ").count - 1 == listed)
    // The written rules in use: their candidates are the rules now, left out of the list (and
    // of merged shards' lists), their rows counted by the rules.
    func shapes(_ args: [String]) throws -> [String] {
      let out = try CLI.run(args + ["--format", "json"]).stdout
      let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
      return (object?["discovered"] as? [[String: Any]] ?? []).compactMap { $0["shape"] as? String }
    }
    let before = try shapes(["scan", data])
    let ruled = try shapes(["scan", data, "--rules", dir.path("w.yaml")])
    #expect(ruled.count == listed && before.filter { !ruled.contains($0) }.count == confident, "\(ruled)")
    let rerun = try CLI.run(["scan", data, "--rules", dir.path("w.yaml")])
    #expect(!rerun.stdout.contains("high-confidence discovered"), "\(rerun.stdout)")
    #expect(rerun.stdout.contains("discovered-zq-batch"), "\(rerun.stdout)")
    for k in 1...2 {
      let shard = try CLI.run([
        "scan", data, "--rules", dir.path("w.yaml"), "--shard", "\(k)/2", "--format", "json",
      ])
      try shard.stdout.write(toFile: dir.path("s\(k).json"), atomically: true, encoding: .utf8)
    }
    #expect(try shapes(["merge", dir.path("s1.json"), dir.path("s2.json")]) == ruled)
    // The repeated sentence about sampling is prose: --accept-discovered leaves it commented
    // out, as `acceptable` in the JSON report says.
    let acceptable = discovered.filter { $0["acceptable"] as? Bool == true }
    let prose = discovered.filter { ($0["shape"] as? String ?? "").hasPrefix("sampling was done") }
    #expect(prose.count == 1 && prose.allSatisfy { $0["acceptable"] as? Bool == false }, "\(discovered)")
    #expect(acceptable.count >= confident && acceptable.count < discovered.count)
    let all = try CLI.run(["scan", data, "--accept-discovered", "--write-rules", dir.path("all.yaml")])
    #expect(all.status == 1)
    let every = try String(contentsOfFile: dir.path("all.yaml"), encoding: .utf8)
    #expect(every.components(separatedBy: "\n  - id: ").count - 1 == acceptable.count)
    #expect(every.components(separatedBy: "\n  # - id: ").count - 1 == discovered.count - acceptable.count)
    #expect(every.contains("# - id: discovered-sampling-was-done"), "\(every)")
    #expect(!all.stderr.contains("or pass --accept-discovered"), "\(all.stderr)")
  }
  /// The headline says when high-confidence candidates (not in the flagged count) make the scan
  /// exit 1, and a cut list of malformed lines says how many more there are.
  @Test func reportsSayWhatTheirListsLeaveOut() throws {
    let dir = TempDir()
    var lines: [String] = []
    for i in 0..<60 {
      lines.append(
        i % 4 == 0
          ? "{bad json \(i)"
          : "{\"id\":\"r\(i)\",\"prompt\":\"Explain topic \(i).\",\"response\":\"<think>\\n\(i % 3 == 0 ? "zq batch \(10 + i), " : "")Let me explain topic \(i) in simple words for the reader.\\n</think>\\n\\nTopic \(i) explained.\"}"
      )
    }
    let path = dir.file("c.jsonl", lines.joined(separator: "\n") + "\n")
    let table = try CLI.run(["scan", path])
    #expect(table.status == 1)
    #expect(table.stdout.contains("high-confidence discovered candidate"), "\(table.stdout)")
    #expect(table.stdout.contains("… and 5 more"), "\(table.stdout)")
    // Per-line diagnostics on standard error, as the help says.
    let logged = try CLI.run(["scan", path], environment: ["FIELDEVAL_LOG_LEVEL": "debug"])
    #expect(logged.stderr.contains("malformed line") && logged.stderr.contains("line 1 "), "\(logged.stderr)")
    #expect(try CLI.run(["scan", path]).stderr.isEmpty)
    let markdown = try CLI.run(["scan", path, "--format", "markdown"])
    #expect(markdown.stdout.contains("## Malformed lines"))
    #expect(markdown.stdout.contains("high-confidence discovered candidate"))
  }
}
