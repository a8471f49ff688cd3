import Foundation
import TestSupport
import Testing

/// Error messages name the subcommand, the paths and the problem.
@Suite struct ErrorMessageTests {
  let corpus = "Examples/corpus/train.jsonl"

  /// A usage error of a subcommand shows that subcommand's usage, not the root's.
  @Test func usageErrorsShowTheSubcommandsUsage() throws {
    let dir = TempDir()
    let ruleset = dir.file("rules.yaml", "rules: []\n")
    let cases: [(command: String, arguments: [String], message: String)] = [
      (
        "clean", ["--clean-out", dir.path("o.jsonl"), "--quarantine-out", dir.path("o.jsonl")],
        "different files"
      ),
      ("clean", ["--clean-out", corpus, "--quarantine-out", dir.path("q.jsonl")], "different files"),
      (
        "clean",
        [
          "--clean-out", dir.path("c.jsonl"), "--quarantine-out", dir.path("q.jsonl"), "--audit-out",
          dir.path("a"),
        ],
        "--repair"
      ),
      ("scan", ["--rules", ruleset, "--write-rules", ruleset], "--write-rules"),
      ("scan", ["--accept-discovered", "--shard", "1/2"], "--accept-discovered"),
      ("scan", ["--shard", "4/3"], "K/N"),
      ("scan", ["--shard", "-1/2"], "K/N"),
      ("emission", ["--template-opens-think", "maybe"], "--template-opens-think"),
    ]
    for (command, arguments, message) in cases {
      let r = try CLI.run([command, corpus] + arguments)
      #expect(r.status == 2, "\(arguments)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
      #expect(r.stderr.contains("Usage: fieldeval \(command) "), "\(r.stderr)")
      #expect(r.stderr.contains("'fieldeval \(command) --help'"), "\(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.path("o.jsonl")))
  }

  /// "must be different files" says which two paths collide and which options gave them.
  @Test func sameFileErrorsNameBothPaths() throws {
    let dir = TempDir()
    let data = dir.file("data.jsonl", "{\"id\":\"1\",\"text\":\"row\"}\n")
    let link = dir.path("link.jsonl")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: data)
    let (q, c) = (dir.path("q.jsonl"), dir.path("c.jsonl"))
    let both = try CLI.run(["clean", data, "--clean-out", q, "--quarantine-out", q])
    #expect(both.stderr.contains("--clean-out and --quarantine-out both name '\(q)'"), "\(both.stderr)")
    let linked = try CLI.run(["clean", data, "--clean-out", c, "--quarantine-out", link])
    #expect(
      linked.stderr.contains("the corpus '\(data)' and --quarantine-out '\(link)' are the same file"),
      "\(linked.stderr)")
    let audit = try CLI.run([
      "clean", data, "--clean-out", c, "--quarantine-out", q, "--repair", "--audit-out", q,
    ])
    #expect(audit.stderr.contains("--quarantine-out and --audit-out both name"), "\(audit.stderr)")
    let defaultAudit = try CLI.run([
      "clean", data, "--clean-out", c, "--quarantine-out", c + ".audit.jsonl", "--repair",
    ])
    #expect(
      defaultAudit.stderr.contains("--quarantine-out and the default audit file both name"),
      "\(defaultAudit.stderr)")
    let rules = try CLI.run(["scan", data, "--write-rules", link])
    #expect(
      rules.stderr.contains("--write-rules '\(link)' and the corpus '\(data)' are the same file"),
      "\(rules.stderr)")
    for r in [both, linked, audit, defaultAudit, rules] { #expect(r.status == 2) }
  }

  /// A FIFO, a device or a directory given as the input is named for what it is, with what to
  /// do, not "check that the file exists and is readable".
  @Test func nonRegularInputsSayWhatTheyAre() throws {
    let dir = TempDir()
    let fifo = dir.path("pipe.jsonl")
    try #require(mkfifo(fifo, 0o600) == 0)
    for (path, kind) in [(fifo, "a FIFO (named pipe)"), ("/dev/null", "a character device")] {
      for command in ["scan", "emission"] {
        let r = try CLI.run([command, path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(path): it is \(kind), not a regular file"), "\(r.stderr)")
        #expect(r.stderr.contains("save it to a file first"), "\(r.stderr)")
        #expect(!r.stderr.contains("exists and is readable"), "\(r.stderr)")
      }
    }
    let folder = try CLI.run(["scan", dir.path("")])
    #expect(folder.stderr.contains("it is a directory"), "\(folder.stderr)")
    #expect(!folder.stderr.contains("exists and is readable"), "\(folder.stderr)")
    // A missing file keeps the hint, which fits it.
    #expect(try CLI.run(["scan", dir.path("none.jsonl")]).stderr.contains("exists and is readable"))
  }

  /// A line of invalid UTF-8 is reported with the offset of its first bad byte.
  @Test func invalidUTF8NamesTheByte() throws {
    let dir = TempDir()
    let path = dir.file(
      "u.jsonl", bytes: Array("{\"id\":\"a\",\"text\":\"caf\u{E9} ".utf8) + [0xFF] + Array("\"}\n".utf8))
    let r = try CLI.run(["scan", path])
    #expect(
      r.stdout.contains("line 1 (byte 0): invalid UTF-8 at byte 24 of the line (file byte 24)"), "\(r.stdout)"
    )
  }

  /// `clean --help` gives the default audit file as it is: the --clean-out path plus
  /// `.audit.jsonl`; a run without --audit-out writes it there.
  @Test func cleanHelpSaysWhereTheAuditGoes() throws {
    let help = try CLI.run(["clean", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(
      separator: " ")
    #expect(!help.contains("CLEAN.audit.jsonl"), "\(help)")
    #expect(
      help.contains("the --clean-out path with .audit.jsonl added, e.g. c.jsonl.audit.jsonl"), "\(help)")
    let dir = TempDir()
    let data = dir.file("d.jsonl", "{\"id\":\"1\",\"text\":\"row\"}\n")
    let r = try CLI.run([
      "clean", data, "--clean-out", dir.path("c.jsonl"), "--quarantine-out", dir.path("q"), "--repair",
    ])
    #expect(r.status == 0)
    #expect(FileManager.default.fileExists(atPath: dir.path("c.jsonl.audit.jsonl")))
  }
}

/// A full disk or a missing file is an error that says why and what to do: no crash, no
/// Foundation error's dump, no report silently cut short.
@Suite struct FileErrorMessageTests {
  let corpus = "Examples/corpus/train.jsonl"

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
  func aFullDiskIsReportedForEveryOutput() throws {
    let dir = TempDir()
    for format in ["json", "table", "markdown"] {
      let r = try CLI.run(["scan", corpus, "--format", format], standardOutput: "/dev/full")
      #expect(r.status == 2, "\(format): \(r.stderr)")
      #expect(
        r.stderr.hasPrefix(
          "error: cannot write the report to standard output: No space left on device (the disk is full"),
        "\(r.stderr)")
    }
    let clean = try CLI.run([
      "clean", corpus, "--clean-out", "/dev/full", "--quarantine-out", dir.path("q.jsonl"),
    ])
    #expect(clean.status == 2)
    #expect(
      clean.stderr.contains("cannot write /dev/full: No space left on device (the disk is full"),
      "\(clean.stderr)")
    #expect(!clean.stderr.contains("NSCocoaErrorDomain"), "\(clean.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.path("q.jsonl")))
  }

  @Test func aMissingRulesFileOrReportSaysSo() throws {
    let dir = TempDir()
    let rules = try CLI.run(["scan", corpus, "--rules", dir.path("none.yaml")])
    #expect(rules.status == 2)
    #expect(rules.stderr.contains("cannot read \(dir.path("none.yaml")): no such file"), "\(rules.stderr)")
    let merge = try CLI.run(["merge", dir.path("a.json"), dir.path("b.json")])
    #expect(merge.status == 2)
    #expect(
      merge.stderr.contains("\(dir.path("a.json"))") && merge.stderr.contains("no such file"),
      "\(merge.stderr)")
  }
}
