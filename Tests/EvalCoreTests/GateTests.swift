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
}
