import Foundation

extension ScanReport {
  static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

  /// The first `top` candidates and every acceptable one after them (high-confidence ones take
  /// part in `clean`, and acceptable ones with `--accept-discovered`, so a report never hides
  /// one), in rank order.
  static func listedCandidates(_ all: [DiscoveryCandidate], top: Int) -> [DiscoveryCandidate] {
    Array(all.enumerated().filter { $0.offset < top || $0.element.acceptable }.map(\.element))
  }

  /// A candidate's mark in the table: `HIGH` (applied by `clean`), `acc` (applied with
  /// `--accept-discovered`) or blanks (applied only when accepted in a ruleset).
  static func mark(_ c: DiscoveryCandidate, markdown: Bool = false) -> String {
    if markdown { return c.highConfidence ? "high" : c.acceptable ? "accept" : "low" }
    return c.highConfidence ? "HIGH" : c.acceptable ? "acc " : "    "
  }

  static func grouped(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, ch) in digits.reversed().enumerated() {
      if i > 0 && i % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return String(out.reversed())
  }

  /// The report as a terminal table: detector counts and shares with example rows, the
  /// histogram of reasoning openings, and discovery candidates.
  public func renderTable() -> String {
    var out = "Leak scan: \(Self.printable(file))\(shard.map { " (shard \($0))" } ?? "")\n"
    out +=
      "lines: \(Self.grouped(lines))   rows: \(Self.grouped(rows))   malformed: \(Self.grouped(malformedLines))   flagged: \(Self.grouped(flaggedRows)) (\(Self.percent(Double(flaggedRows) / Double(max(1, lines)))))\(highConfidenceNote)\n"
    if !shapes.isEmpty {
      out +=
        "layouts: "
        + shapes.sorted { $0.key < $1.key }.map { "\($0.key) \(Self.grouped($0.value))" }.joined(
          separator: ", ") + "\n"
    }
    out += "\n"
    var rowsOut: [[String]] = []
    for d in detectors {
      let examples = d.examples.prefix(3).map { "L\($0.line) \(Self.printable($0.evidence.prefix(40)))" }
        .joined(
          separator: " | ")
      rowsOut.append([d.id, Self.grouped(d.rows), Self.percent(d.share), examples])
    }
    out += Self.table(["detector", "rows", "share", "examples (line: evidence)"], rowsOut)
    out += "\nFirst 20 characters of <think> blocks (top 20):\n"
    let top = topOpenings()
    if top.isEmpty { out += "  (no reasoning blocks)\n" }
    let total = max(1, openingHistogram.values.reduce(0, +) + (openingHistogramDropped ?? 0))
    for (text, n) in top {
      let bar = String(repeating: "█", count: max(1, Int((Double(n) / Double(total) * 40).rounded())))
      out +=
        "  \(Self.pad("\"\(Self.printable(text))\"", 24)) \(Self.pad(Self.grouped(n), 8)) \(Self.pad(Self.percent(Double(n) / Double(total)), 6)) \(bar)\n"
    }
    if let dropped = openingHistogramDropped, dropped > 0 {
      out +=
        "  (\(Self.grouped(dropped)) rare openings not listed: more distinct openings than the histogram keeps)\n"
    }
    out += "\nDiscovered candidates (unknown scaffolding, best first):\n"
    if discovered.isEmpty { out += "  none\n" }
    let listed = Self.listedCandidates(discovered, top: 10)
    for c in listed {
      out +=
        "  \(Self.mark(c)) \(c.kind.rawValue) \"\(Self.printable(c.shape))\": \(Self.grouped(c.count)) rows (\(Self.percent(c.share))), e.g. lines \(c.exampleLines.prefix(3).map(String.init).joined(separator: ", ")): \"\(Self.printable(c.example.prefix(50)))\"\(Self.codesNote(c))\n"
    }
    if discovered.count > listed.count {
      out +=
        "  … and \(Self.grouped(discovered.count - listed.count)) more, none HIGH or acc (`--format json` lists every one)\n"
    }
    if listed.contains(where: { $0.acceptable && !$0.highConfidence }) {
      out +=
        "  acc candidates are shaped like stamps: `fieldeval clean --accept-discovered` applies them with the HIGH ones. The others are repeated prose, applied only when written with --write-rules and accepted there.\n"
    }
    if discovered.contains(where: \.highConfidence) {
      // Not counted in the table above: say what `clean` will do with them.
      out +=
        "  HIGH candidates take part in `fieldeval clean` (as `discovered`) even without --accept-discovered; write them to a ruleset with --write-rules to review them first, or list a shape that is natural for this data under `discovery: { ignore: [...] }` in --rules.\n"
    }
    if !issues.isEmpty {
      out += "\nMalformed lines:\n"
      for issue in issues.prefix(10) { out += "  \(Self.printable(issue.description))\n" }
      if malformedLines > 10 {
        out +=
          "  … and \(Self.grouped(malformedLines - 10)) more (`fieldeval clean` quarantines every one, with its reason)\n"
      }
    }
    if let notes {
      out += "\nNotes:\n"
      for note in notes { out += "  \(Self.printable(note))\n" }
    }
    return out
  }

  /// For a family limited to its codes (``DiscoveryCandidate/codes``): the first eight of them;
  /// for a numbered opening, its distinct numbers (``DiscoveryCandidate/distinctNumbers``); for
  /// a label's family (of lines or openings), its first eight values
  /// (``DiscoveryCandidate/values``).
  static func codesNote(_ c: DiscoveryCandidate) -> String {
    if let n = c.distinctNumbers { return " (about \(grouped(min(n, c.count))) distinct numbers)" }
    if let values = c.values {
      return
        " (values \(values.prefix(8).joined(separator: ", "))\(values.count > 8 ? ", … \(values.count) in all" : ""))"
    }
    guard let codes = c.codes else { return "" }
    let shown = codes.sorted().prefix(8).joined(separator: ", ")
    return " (codes \(shown)\(codes.count > 8 ? ", … \(codes.count) in all" : ""))"
  }

  /// After the flagged count: the high-confidence candidates, which the count leaves out (their
  /// rows are counted only with --accept-discovered) but the exit status and `clean` do not.
  var highConfidenceNote: String {
    let n = discovered.filter(\.highConfidence).count
    // Accepted, their rows are the `discovered` detector's, counted already.
    guard n > 0, !detectors.contains(where: { $0.id == DetectorID.discovered }) else { return "" }
    return "   + \(n) high-confidence discovered candidate\(n == 1 ? "" : "s") (not in the count; see below)"
  }

  /// The report as Markdown.
  public func renderMarkdown() -> String {
    var out = "# Leak scan: `\(Self.md(file))`\(shard.map { " (shard \($0))" } ?? "")\n\n"
    out +=
      "- lines: \(Self.grouped(lines)), rows: \(Self.grouped(rows)), malformed: \(Self.grouped(malformedLines)), flagged: \(Self.grouped(flaggedRows))\(highConfidenceNote)\n\n"
    out += "| detector | what it finds | rows | share | examples |\n|---|---|---:|---:|---|\n"
    for d in detectors {
      let ex = d.examples.prefix(3).map { "L\($0.line): \(Self.md($0.evidence.prefix(40)))" }.joined(
        separator: "<br>")
      out +=
        "| `\(d.id)` | \(Self.md(d.summary)) | \(Self.grouped(d.rows)) | \(Self.percent(d.share)) | \(ex) |\n"
    }
    out += "\n## First 20 characters of `<think>` blocks\n\n| opening | rows |\n|---|---:|\n"
    for (text, n) in topOpenings() {
      out += "| \(Self.mdCode(text)) | \(Self.grouped(n)) |\n"
    }
    if let dropped = openingHistogramDropped, dropped > 0 {
      out +=
        "\n\(Self.grouped(dropped)) rare openings are not listed (more distinct openings than the histogram keeps).\n"
    }
    out +=
      "\n## Discovered candidates\n\n| confidence | kind | shape | rows | share | example |\n|---|---|---|---:|---:|---|\n"
    let listed = Self.listedCandidates(discovered, top: 20)
    for c in listed {
      out +=
        "| \(Self.mark(c, markdown: true)) | \(c.kind.rawValue) | \(Self.mdCode(c.shape)) | \(Self.grouped(c.count)) | \(Self.percent(c.share)) | \(Self.md(c.example.prefix(50)))\(Self.md(Self.codesNote(c)[...])) |\n"
    }
    if discovered.count > listed.count {
      out +=
        "\n… and \(Self.grouped(discovered.count - listed.count)) more candidates, none high or accept (the JSON report lists every one).\n"
    }
    if !issues.isEmpty {
      out += "\n## Malformed lines\n\n"
      for issue in issues.prefix(20) { out += "- \(Self.md(issue.description))\n" }
      if malformedLines > 20 { out += "- … and \(Self.grouped(malformedLines - 20)) more\n" }
    }
    if let notes {
      out += "\n## Notes\n\n"
      for note in notes { out += "- \(Self.md(note))\n" }
    }
    return out
  }

  /// `s` as a code span in a table cell (backticks become quotes, pipes are escaped).
  static func mdCode(_ s: String) -> String { "`" + md(s.replacingOccurrences(of: "`", with: "'")) + "`" }

  static func md<S: StringProtocol>(_ s: S) -> String {
    printable(s).replacingOccurrences(of: "|", with: "\\|")
  }

  /// `s` safe to print on a terminal: a newline or a tab as a space, other control characters
  /// (C0, DEL, C1) and the bidirectional overrides and isolates written as `\u{1B}`, so a
  /// corpus's escape sequences cannot clear the screen or reorder what the report says.
  static func printable<S: StringProtocol>(_ s: S) -> String {
    var out = ""
    out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
    for scalar in s.unicodeScalars {
      if scalar == "\n" || scalar == "\t" {
        out.unicodeScalars.append(" ")
      } else if isUnprintable(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Whether `scalar` is written as an escape wherever a corpus's text is shown or saved
  /// (``printable(_:)``, ``Ruleset/yaml(for:)``): a control character (C0, DEL, C1) or a
  /// bidirectional override or isolate, or the line and paragraph separators (U+2028, U+2029),
  /// which YAML reads as line breaks.
  static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
    default: return false
    }
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }

  static func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
      var s = cells.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ")
      while s.hasSuffix(" ") { s.removeLast() }
      return s + "\n"
    }
    return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + rows.map(line).joined()
  }
}
