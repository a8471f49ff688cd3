import Testing

@testable import EvalCore

struct FixedGate: Gate {
  var name: String
  var pass: Bool
  func evaluate(_ input: Int) -> GateReport {
    GateReport(
      name: name,
      checks: [
        CheckResult(
          id: name, description: "fixed", measured: Double(input), threshold: .atLeast(0), passed: pass)
      ])
  }
}

@Suite struct GateTests {
  @Test func allOfNeedsEveryGate() {
    let report = AllOf("both", [FixedGate(name: "a", pass: true), FixedGate(name: "b", pass: false)])
      .evaluate(3)
    #expect(!report.passed)
    #expect(report.failedChecks.map(\.id) == ["b"])
    #expect(report.allChecks.count == 2)
    #expect(AllOf("both", [FixedGate(name: "a", pass: true)]).evaluate(1).passed)
  }

  @Test func anyOfNeedsOneGate() {
    #expect(
      AnyOf("either", [FixedGate(name: "a", pass: true), FixedGate(name: "b", pass: false)]).evaluate(3)
        .passed)
    #expect(!AnyOf("either", [FixedGate(name: "a", pass: false)]).evaluate(3).passed)
  }

  @Test func thresholds() {
    #expect(Threshold.atLeast(0.54).accepts(0.54))
    #expect(!Threshold.atLeast(0.54).accepts(0.53))
    #expect(Threshold.atMost(0.05).accepts(0.0))
    #expect(!Threshold.atMost(0.05).accepts(.nan))
    #expect(!Threshold.atLeast(.nan).accepts(1))
  }

  @Test func yamlErrorsCarryLineAndColumn() {
    do {
      _ = try YAMLNode.parse("a: 1\nb: [unclosed\n", file: "gate.yaml")
      Issue.record("expected an error")
    } catch let error as EvalCoreError {
      guard case .invalidConfiguration(let file, let line, let column, _) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(file == "gate.yaml")
      #expect(line != nil && column != nil)
      #expect("\(error)".hasPrefix("gate.yaml:"))
    } catch {
      Issue.record("wrong error type \(error)")
    }
  }

  /// The syntax errors people make most in a ruleset say what to do besides where: a tab
  /// indenting, a regex's backslash in double quotes, a line indented out of its mapping, an
  /// unclosed `{`.
  @Test func yamlSyntaxErrorsSayWhatToDo() {
    func message(_ yaml: String) -> String { yamlError(yaml, file: "rules.yaml") }
    let tab = message("rules:\n\t- { id: x, where: anywhere, literal: \"a\" }\n")
    #expect(tab.hasPrefix("rules.yaml:2:1:") && tab.contains("replace the tab with spaces"), "\(tab)")
    let escape = message("rules:\n  - { id: x, where: anywhere, regex: \"Q\\d+ blend:\" }\n")
    #expect(
      escape.hasPrefix("rules.yaml:2:") && escape.contains("single quotes ('Q\\d+ blend:')"), "\(escape)")
    let indent = message("rules:\n  - id: x\n     where: anywhere\n    literal: a\n")
    #expect(indent.hasPrefix("rules.yaml:3:") && indent.contains("indentation"), "\(indent)")
    let unclosed = message("rules:\n  - { id: x, where: anywhere, literal: \"a\"\n")
    #expect(unclosed.contains("is not closed"), "\(unclosed)")
    // A tab inside a flow collection is allowed: an error later on that line is not the tab's.
    let flowTab = message("rules: [\n\t{ id: x, where: anywhere, literal: @x }]\n")
    #expect(flowTab.contains("cannot start any token") && !flowTab.contains("tab"), "\(flowTab)")
    // Text after a quoted value: the hint names it, not only the indentation.
    let quoted = message("rules:\n  - id: x\n    literal: 'it's'\n")
    #expect(quoted.contains("closing quote") && quoted.contains("'it''s'"), "\(quoted)")
    let list = message("a: 1\nb: [unclosed\n")
    #expect(list.contains("list is not closed"), "\(list)")
    // A mistake with no hint keeps the parser's words alone.
    let plain = message("a: 1\nb: *nowhere\n")
    #expect(plain.hasPrefix("rules.yaml:2:") && !plain.contains("; "), "\(plain)")
  }

  /// A key given twice is placed where it is given again, whatever the mapping's layout: a flow
  /// mapping over several lines, the key three times, quoted, after a comment, or a block
  /// mapping whose first line holds the same key in a nested flow mapping.
  @Test func aRepeatedKeyIsPlacedAtTheRepeatInMappingsOverSeveralLines() {
    func place(_ yaml: String) -> String {
      yamlError(yaml, file: "gate.yaml").split(separator: " ").first.map(String.init) ?? ""
    }
    #expect(place("rules: {a: 1,\n  a: 2}\n") == "gate.yaml:2:3:")
    #expect(place("rules: {a: 1,\n  b: 2,\n    a: 3}\n") == "gate.yaml:3:5:")
    #expect(place("rules: {\n  a: 1,\n  a: 2,\n  a: 3\n}\n") == "gate.yaml:3:3:")
    #expect(place("rules: {a: 1, # the first\n  \"a\": 2}\n") == "gate.yaml:2:3:")
    #expect(place("rules: {a: {a: 1},\n  b: [a, {a: 2}],\n  a: 3}\n") == "gate.yaml:3:3:")
    #expect(place("a: {a: 1}\na: 2\n") == "gate.yaml:2:1:")
    #expect(place("x: [{a: 1,\r\n  a: 2}]\r\n") == "gate.yaml:2:3:")
    // Two keys repeated: the first reported (in key order) is placed at its own repeat.
    #expect(place("m: {b: 1, a: 1,\n  b: 2,\n  a: 2}\n") == "gate.yaml:3:3:")
    // Columns count Unicode scalars, as the parser's do (a decomposed é is two).
    #expect(place("m: {é: 1,\n  x: \"e\u{301}e\u{301}\", é: 2}\n") == "gate.yaml:2:14:")
    // One-line flow mappings and block mappings still place the repeat.
    #expect(place("m: {a: 1, a: 2}\n") == "gate.yaml:1:11:")
    #expect(place("m:\n  a: 1\n  a: 2\n") == "gate.yaml:3:3:")
  }
}

/// The error `YAMLNode.parse` gives for `yaml` read as `file`, as printed; "no error" when it
/// reads.
private func yamlError(_ yaml: String, file: String) -> String {
  do {
    _ = try YAMLNode.parse(yaml, file: file)
    return "no error"
  } catch {
    return "\(error)"
  }
}
