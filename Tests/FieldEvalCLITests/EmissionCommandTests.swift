import Foundation
import TestSupport
import Testing

@Suite struct EmissionCommandTests {
  let finetune = "Examples/emission/finetune-outputs.jsonl"
  let baseline = "Examples/emission/baseline-outputs.jsonl"
  let gate = "Examples/emission/gate.yaml"

  @Test func failingRunExitsOneAndNamesTheFailures() throws {
    let r = try CLI.run(["emission", finetune, "--baseline", baseline, "--config", gate])
    #expect(r.status == 1)
    #expect(r.stdout.contains("PASS  think_closed_rate"))
    #expect(r.stdout.contains("FAIL  bad_line_rate"))
    #expect(r.stdout.contains("FAIL  loop_rate[category=math]"))
    #expect(r.stdout.contains("malformed lines: 3"))
    #expect(r.stdout.contains("Gate: FAIL"))
  }

  /// A malformed line fails the default gate (`bad_line_rate` ≤ 0, its line as evidence); a
  /// baseline without a readable row is an input error; `--rows-out` never replaces an input.
  @Test func unreadableLinesAndBaselinesAreNotPasses() throws {
    let dir = TempDir()
    let good = #"{"id":"a","output":"<think>Let me check the sum of the two numbers.</think>4"}"#
    let run = dir.file(
      "run.jsonl", ([good] + Array(repeating: "{not json", count: 9)).joined(separator: "\n") + "\n")
    let r = try CLI.run(["emission", run])
    #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("FAIL  bad_line_rate"), "\(r.stdout)")
    #expect(r.stdout.contains("line 2"), "\(r.stdout)")
    let emptyBaseline = dir.file("base.jsonl", "{not json\n")
    let b = try CLI.run(["emission", baseline, "--baseline", emptyBaseline])
    #expect(b.status == 2, "\(b.stdout)\(b.stderr)")
    #expect(b.stderr.contains("has no readable rows"), "\(b.stderr)")
    let copy = dir.file(
      "copy.jsonl", try String(contentsOfFile: CLI.packageRoot.path + "/" + baseline, encoding: .utf8))
    let before = try String(contentsOfFile: copy, encoding: .utf8)
    for rowsOut in [copy, dir.path("./copy.jsonl")] {
      let o = try CLI.run(["emission", copy, "--rows-out", rowsOut])
      #expect(o.status == 2, "\(o.stdout)\(o.stderr)")
      #expect(o.stderr.contains("--rows-out"), "\(o.stderr)")
    }
    let withBaseline = try CLI.run(["emission", baseline, "--baseline", copy, "--rows-out", copy])
    #expect(withBaseline.status == 2)
    #expect(try String(contentsOfFile: copy, encoding: .utf8) == before)
  }

  /// A field path a gate file sets that finds no row is reported: it disables the checks that
  /// read it (a typo in `finish_reason` would leave exhaustion at 0 %).
  @Test func aConfiguredFieldPathThatFindsNoRowIsReported() throws {
    let dir = TempDir()
    let config = dir.file("g.yaml", "fields:\n  finish_reason: choices.0.finsh_reason\n")
    let r = try CLI.run(["emission", baseline, "--config", config])
    #expect(
      r.stdout.contains("field 'finish_reason' at 'choices.0.finsh_reason' is in none of the"), "\(r.stdout)")
    let json = try CLI.run(["emission", baseline, "--config", config, "--format", "json"])
    #expect(json.stdout.contains("\"notes\""), "\(json.stdout)")
    let fine = try CLI.run(["emission", baseline])
    #expect(!fine.stdout.contains("Notes:"))
  }

  @Test func healthyRunExitsZero() throws {
    let r = try CLI.run(["emission", baseline])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("Gate: PASS"))
  }

  @Test func rowsOutHasOneObjectPerGoodRowWithEveryField() throws {
    let dir = TempDir()
    let rowsPath = dir.path("rows.jsonl")
    let r = try CLI.run([
      "emission", finetune, "--baseline", baseline, "--config", gate, "--rows-out", rowsPath,
    ])
    #expect(r.status == 1)
    let lines = try String(contentsOfFile: rowsPath, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 24)
    let required = [
      "id", "think_present", "think_closed", "think_tokens", "answer_present", "budget_exhausted",
      "repetition",
      "mojibake", "script_drift", "run_together",
    ]
    var byId: [String: [String: Any]] = [:]
    for line in lines {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      for key in required { #expect(object[key] != nil, "missing \(key)") }
      byId[object["id"] as! String] = object
    }
    #expect(byId["math-001"]?["repetition"] as? Bool == true)
    #expect(byId["patent-006"]?["mojibake"] as? Bool == true)
    #expect(byId["math-005"]?["script_drift"] as? Bool == true)
    #expect(byId["math-007"]?["run_together"] as? Bool == true)
    #expect(byId["math-009"]?["think_prefilled"] as? Bool == true)
    #expect(byId["math-009"]?["think_closed"] as? Bool == true)
    #expect(byId["math-003"]?["think_present"] as? Bool == false)
    #expect(byId["patent-010"]?["repetition"] as? Bool == false)
  }

  @Test func jsonSummaryHasRatesCategoriesGateAndBadLines() throws {
    let r = try CLI.run(["emission", finetune, "--baseline", baseline, "--config", gate, "--format", "json"])
    #expect(r.status == 1)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(doc["bad_lines"] as? Int == 3)
    #expect(doc["passed"] as? Bool == false)
    let overall = try #require(doc["overall"] as? [String: Any])
    #expect(overall["rows"] as? Int == 24)
    let metrics = try #require(overall["metrics"] as? [String: Any])
    #expect(metrics["think_presence_rate"] as? Double != nil)
    let categories = try #require(doc["per_category"] as? [String: Any])
    #expect(Set(categories.keys) == ["math", "patent"])
    let issues = try #require(doc["issues"] as? [String])
    #expect(issues.count == 3)
    #expect(issues[2].contains("invalid UTF-8"))
    let gateDoc = try #require(doc["gate"] as? [String: Any])
    #expect((gateDoc["checks"] as? [Any])?.isEmpty == false)
  }

  @Test func unreadableInputAndUsageErrorsExitTwo() throws {
    let missing = try CLI.run(["emission", "/nonexistent/out.jsonl"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("/nonexistent/out.jsonl"))
    let badFormat = try CLI.run(["emission", baseline, "--format", "xml"])
    #expect(badFormat.status == 2)
    let relativeWithoutBaseline = try CLI.run(["emission", baseline, "--config", gate])
    #expect(relativeWithoutBaseline.status == 2)
    #expect(relativeWithoutBaseline.stderr.contains("--baseline"))
    let dir = TempDir()
    let badYaml = dir.file("bad.yaml", "rules:\n  - { metric: nope, min: 1 }\n")
    let yamlError = try CLI.run(["emission", baseline, "--config", badYaml])
    #expect(yamlError.status == 2)
    #expect(yamlError.stderr.contains("bad.yaml:2:"))
    let empty = dir.file("empty.jsonl", "not json\n")
    let noRows = try CLI.run(["emission", empty])
    #expect(noRows.status == 2)
    #expect(noRows.stderr.contains("no readable rows"))
  }

  @Test func templateFlagSwitchesR1Parsing() throws {
    let dir = TempDir()
    let path = dir.file(
      "r1.jsonl",
      (0..<10).map {
        "{\"id\":\"\($0)\",\"output\":\"Reason about it step by step.\\n</think>\\n\\nAnswer \($0)\"}"
      }
      .joined(separator: "\n") + "\n")
    let prefilled = try CLI.run(["emission", path, "--template-opens-think", "true", "--format", "json"])
    #expect(prefilled.status == 0, "\(prefilled.stdout)")
    let explicit = try CLI.run(["emission", path, "--template-opens-think", "false", "--format", "json"])
    #expect(explicit.status == 1)
  }
}
