import ArgumentParser
import EvalCore
import Foundation
import LeakScanner
import Logging

/// Report formats of the corpus commands.
enum LeakReportFormat: String, ExpressibleByArgument, CaseIterable {
  case table, json, markdown
}

/// Options shared by `scan` and `clean`.
struct CorpusOptions: ParsableArguments {
  @Option(help: "A YAML ruleset: reasoning tags, layout, template, detector settings, user rules.")
  var rules: String?

  @Flag(name: .customLong("near-duplicates"), help: "Also find near duplicates (MinHash/LSH).")
  var nearDuplicates = false

  @Flag(
    name: .customLong("accept-discovered"),
    help:
      "Treat the discovered candidates shaped like stamps (HIGH and acc in the report) as rules: scan counts the rows they match (a second pass), clean applies them. Other repeated lines (the domain's sentences) are never accepted so: write them to a ruleset with --write-rules and accept them there."
  )
  var acceptDiscovered = false

  func configuration() throws -> ScanConfiguration {
    var config = ScanConfiguration()
    if let rules { config = try Ruleset.load(path: rules, base: config) }
    if nearDuplicates { config.nearDuplicates = true }
    return config
  }
}

func printReport(_ report: ScanReport, format: LeakReportFormat) throws {
  switch format {
  case .table: try StandardOutput.write(report.renderTable() + "\n")
  case .markdown: try StandardOutput.write(report.renderMarkdown() + "\n")
  case .json: try StandardOutput.write(try JSONOutput.encoder().encode(report) + [0x0A])
  }
}

struct ScanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "Audit a training corpus for leaked scaffolding, producer notes, duplicates and damage.",
    discussion: """
      Reads JSONL rows ({prompt, response}, {text}, {messages}, {conversations}; detected per \
      row) and reports each detector's row count and share with example lines, the histogram of \
      reasoning openings, and candidates for unknown scaffolding found from statistics. \
      --shard K/N scans one slice; combine shard reports with `fieldeval merge`. \
      Exit status: 0 nothing flagged, 1 something flagged, 2 usage or unreadable input.
      """
  )

  @Argument(help: "The corpus, JSONL.")
  var corpus: String

  @OptionGroup var options: CorpusOptions

  @Option(help: "Report format: table, json or markdown.")
  var format: LeakReportFormat = .table

  // Taken whatever it looks like, so `--shard -1/2` is told what a shard is, not that the
  // value is missing.
  @Option(
    parsing: .unconditional,
    help: "Scan only slice K of N (1-based), e.g. 3/8; write the report with --format json.")
  var shard: String?

  @Option(
    name: .customLong("write-rules"),
    help:
      "Write discovered candidates as a ruleset to this file: the confident ones as rules, the listed ones commented out for review (with --accept-discovered, the ones it accepts as rules too)."
  )
  var writeRules: String?

  /// The parsed `--shard K/N`, or nil without it.
  func shardSpec() throws -> (k: Int, n: Int)? {
    guard let shard else { return nil }
    let parts = shard.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, k >= 1, k <= n else {
      throw LeakScannerError.invalidShard(shard)
    }
    return (k, n)
  }

  /// Checks that depend only on the arguments: thrown here, the error shows `scan`'s usage.
  func validate() throws {
    do { _ = try shardSpec() } catch { throw ValidationError("\(error)") }
    if options.acceptDiscovered && shard != nil {
      throw ValidationError(
        "--accept-discovered needs the whole corpus (discovery counts over all rows): scan the shards without it, merge them, then scan or clean with it"
      )
    }
    if let writeRules {
      // Checked before the scan: writing over the corpus or the ruleset would lose it.
      let inputs =
        [NamedPath("the corpus", corpus)] + (options.rules.map { [NamedPath("--rules", $0)] } ?? [])
      for input in inputs {
        if let (a, b) = NamedPath.firstSameFile([NamedPath("--write-rules", writeRules), input]) {
          throw ValidationError(
            "\(NamedPath.describeCollision(a, b)): --write-rules must name a new file, not the corpus or the --rules file (it holds only the discovered rules: copy them into your ruleset)"
          )
        }
      }
      if shard != nil {
        throw ValidationError(
          "--write-rules needs the whole corpus (discovery counts over all rows): merge the shard reports, then scan the whole file with it"
        )
      }
    }
  }

  func run() async throws {
    let config = try options.configuration()
    let shardSpec = try shardSpec()
    if let writeRules, let problem = AtomicLineFile.problem(writing: writeRules) {
      throw LeakScannerError.unwritableOutput(path: writeRules, reason: problem)
    }
    let logger = Logger(label: "fieldeval.scan")
    logger.info("scanning", metadata: ["file": "\(corpus)", "shard": "\(shard ?? "-")"])
    var report = try await CorpusScanner(configuration: config).scan(path: corpus, shard: shardSpec)
    logReport(report, logger)
    if options.acceptDiscovered && report.discovered.contains(where: \.acceptable) {
      // The accepted candidates count as a detector: a second pass with their rules.
      var withRules = config
      withRules.detectors.append(
        RuleDetector(
          id: DetectorID.discovered, summary: "accepted discovered scaffolding",
          rules: report.discovered.filter(\.acceptable).map { $0.rule() }))
      report = try await CorpusScanner(configuration: withRules).scan(path: corpus)
    }
    try printReport(report, format: format)
    let accepted = report.discovered.filter { $0.isApplied(acceptingDiscovered: options.acceptDiscovered) }
    if let writeRules {
      // The candidates not applied are written too, commented out, for the user to review: the
      // file is the discovery table to act on.
      let listed = report.discovered.filter { !$0.isApplied(acceptingDiscovered: options.acceptDiscovered) }
      let yaml = Ruleset.yaml(for: accepted, listed: listed)
      // Atomically: an interrupted write leaves the old file.
      let file = try AtomicLineFile(path: writeRules)
      do {
        var bytes = Array(yaml.utf8)
        if bytes.last == 0x0A { bytes.removeLast() }  // `write` ends the last line
        try file.write(bytes)
        try file.commit()
      } catch {
        file.abandon()
        throw LeakScannerError.unwritableOutput(path: writeRules, reason: FileErrors.reason(error))
      }
      var said = "wrote \(accepted.count) rule\(accepted.count == 1 ? "" : "s") to \(writeRules)"
      if !listed.isEmpty {
        said +=
          " and \(listed.count) listed candidate\(listed.count == 1 ? "" : "s") commented out (review them; remove the `# ` marks to accept one\(options.acceptDiscovered ? "" : ", or pass --accept-discovered for the stamp-shaped ones"))"
      }
      FileHandle.standardError.write(Data((said + "\n").utf8))
    }
    let flagged = report.flaggedRows > 0 || !accepted.isEmpty
    if flagged { throw ExitCode(1) }
  }
}

struct MergeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine shard reports from `fieldeval scan --shard K/N --format json` exactly.",
    discussion: "Exit status: 0 nothing flagged, 1 something flagged, 2 usage or unreadable input."
  )

  @Argument(help: "Shard reports (JSON).")
  var reports: [String]

  @Option(help: "Report format: table, json or markdown.")
  var format: LeakReportFormat = .table

  func run() async throws {
    guard !reports.isEmpty else { throw ValidationError("give the shard reports to merge") }
    let merged = try ShardMerger.merge(paths: reports, configuration: ScanConfiguration())
    logReport(merged, Logger(label: "fieldeval.merge"))
    try printReport(merged, format: format)
    if merged.hasFindings { throw ExitCode(1) }
  }
}

struct CleanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clean",
    abstract: "Split a corpus into clean rows and quarantined rows; every input line lands in exactly one.",
    discussion: """
      Clean lines are byte-identical to the input. Quarantine lines hold the line number, row id, \
      reasons (detector ids and evidence) and the original row (`row`, or `raw_base64` for lines \
      that are not valid JSON/UTF-8). Of duplicates, the first copy that no other detector flags stays clean. \
      The discovered candidates `scan` marks HIGH take part as the `discovered` detector; \
      --accept-discovered adds those marked acc. --repair \
      strips scaffolding prefixes instead of quarantining, recording each change in --audit-out; \
      only prefixes whose shape recurs (3 rows and 1% of the corpus) are cut, and a repaired row \
      must pass every detector. \
      Outputs are written atomically. Exit status: 0 done, 2 usage or unreadable input.
      """
  )

  @Argument(help: "The corpus, JSONL.")
  var corpus: String

  @OptionGroup var options: CorpusOptions

  @Option(name: .customLong("clean-out"), help: "Where clean rows go.")
  var cleanOut: String

  @Option(name: .customLong("quarantine-out"), help: "Where flagged and malformed rows go, with reasons.")
  var quarantineOut: String

  @Flag(help: "Strip detected scaffolding prefixes instead of quarantining those rows.")
  var repair = false

  @Option(
    name: .customLong("audit-out"),
    help:
      "With --repair: the audit of every change (default: the --clean-out path with .audit.jsonl added, e.g. c.jsonl.audit.jsonl)."
  )
  var auditOut: String?

  /// The audit file `--repair` writes: `--audit-out`, or `--clean-out` with `.audit.jsonl` added.
  var auditPath: String? { repair ? (auditOut ?? cleanOut + ".audit.jsonl") : nil }

  /// Checks that depend only on the arguments: thrown here, the error shows `clean`'s usage.
  func validate() throws {
    if auditOut != nil && !repair {
      throw ValidationError("--audit-out records repairs: give it with --repair")
    }
    var paths = [NamedPath("the corpus", corpus)]
    if let rules = options.rules { paths.append(NamedPath("--rules", rules)) }
    paths += [NamedPath("--clean-out", cleanOut), NamedPath("--quarantine-out", quarantineOut)]
    if let audit = auditPath {
      paths.append(NamedPath(auditOut != nil ? "--audit-out" : "the default audit file", audit))
    }
    if let (a, b) = NamedPath.firstSameFile(paths) {
      throw ValidationError(
        "\(NamedPath.describeCollision(a, b)): the corpus, --rules, --clean-out, --quarantine-out and the audit file must be different files"
      )
    }
  }

  func run() async throws {
    let audit = auditPath
    // Interrupted, the run leaves the old outputs and no hidden temporary files.
    TemporaryFiles.removeOnInterrupt()
    let cleaner = CorpusCleaner(
      configuration: try options.configuration(), acceptDiscovered: options.acceptDiscovered, repair: repair)
    let logger = Logger(label: "fieldeval.clean")
    logger.info(
      "cleaning", metadata: ["file": "\(corpus)", "clean": "\(cleanOut)", "quarantine": "\(quarantineOut)"])
    let (summary, report) = try await cleaner.clean(
      path: corpus, cleanOut: cleanOut, quarantineOut: quarantineOut, auditOut: audit)
    logReport(report, logger)
    var lines = [
      "lines: \(summary.lines)  clean: \(summary.clean) (repaired \(summary.repaired))  quarantined: \(summary.quarantined) (malformed \(summary.malformed))"
    ]
    if let audit, repair { lines.append("audit: \(audit)") }
    // An output on standard output gets its lines alone there: the summary goes to the error
    // stream then.
    let outputs = [cleanOut, quarantineOut] + (audit.map { [$0] } ?? [])
    if outputs.contains(where: { AtomicLineFile.standardStream($0) == 1 }) {
      FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    } else {
      try StandardOutput.write(lines.map { $0 + "\n" }.joined())
    }
  }

}

/// A path given to a command, with the option (or argument) it came from.
struct NamedPath {
  var role: String
  var path: String
  init(_ role: String, _ path: String) { (self.role, self.path) = (role, path) }

  /// The first two of `paths` that name the same file: compared after resolving symbolic
  /// links, and for files that exist by device and inode too (a hard link is the same file
  /// under another name); nil when they all differ.
  static func firstSameFile(_ paths: [NamedPath]) -> (NamedPath, NamedPath)? {
    let resolved = paths.map {
      URL(fileURLWithPath: $0.path).resolvingSymlinksInPath().standardizedFileURL.path
    }
    var seenPaths: [String: Int] = [:]
    var seenFiles: [[UInt64]: Int] = [:]
    for (index, path) in resolved.enumerated() {
      if let earlier = seenPaths[path] { return (paths[earlier], paths[index]) }
      seenPaths[path] = index
      var st = stat()
      guard stat(path, &st) == 0 else { continue }
      let identity = [UInt64(st.st_dev), UInt64(st.st_ino)]
      if let earlier = seenFiles[identity] { return (paths[earlier], paths[index]) }
      seenFiles[identity] = index
    }
    return nil
  }

  /// "--clean-out and --quarantine-out both name 'o.jsonl'", or, for two spellings of one
  /// file, "--clean-out 'link.jsonl' and the corpus 'data.jsonl' are the same file".
  static func describeCollision(_ a: NamedPath, _ b: NamedPath) -> String {
    a.path == b.path
      ? "\(a.role) and \(b.role) both name '\(a.path)'"
      : "\(a.role) '\(a.path)' and \(b.role) '\(b.path)' are the same file"
  }
}

/// Logs a report's totals (info) and each malformed line it lists (debug; the report keeps the
/// first 100, and `clean` quarantines every one).
func logReport(_ report: ScanReport, _ logger: Logger) {
  logger.info(
    "scanned",
    metadata: [
      "lines": "\(report.lines)", "rows": "\(report.rows)", "malformed": "\(report.malformedLines)",
      "flagged": "\(report.flaggedRows)",
    ])
  for issue in report.issues { logger.debug("malformed line", metadata: ["issue": "\(issue)"]) }
  if report.malformedLines > report.issues.count {
    logger.debug(
      "more malformed lines not listed", metadata: ["count": "\(report.malformedLines - report.issues.count)"]
    )
  }
}
