import Foundation

@testable import LeakScanner

/// A JSON string literal for `s`.
func lit(_ s: String) -> String {
  String(
    decoding: try! JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed]), as: UTF8.self)
}

/// A `{messages}` row whose assistant turn is `output`.
func messagesRow(_ id: String, _ output: String, prompt: String = "Question?") -> String {
  "{\"id\":\(lit(id)),\"messages\":[{\"role\":\"user\",\"content\":\(lit(prompt))},{\"role\":\"assistant\",\"content\":\(lit(output))}]}"
}

func row(_ output: String, shape: CorpusShape = .promptResponse) -> CorpusRow {
  CorpusRow(
    line: 1, offset: 0, id: "t", shape: shape,
    segments: [RowSegment(role: "prompt", text: "Q"), RowSegment(role: "response", text: output)])
}

func findings(_ detector: some Detector, _ output: String) -> [Finding] {
  detector.findings(in: RowContext(row: row(output), format: .think))
}

/// Natural reasoning openings and bodies for generated corpora.
let naturalOpenings = ["Okay, so ", "Let me think about this. ", "First, ", "Alright, ", "Hmm, ", "So "]
let bodies = [
  "the claim recites a housing and a latch, and the reference shows both.",
  "we need the sum of the first n odd numbers, which is n squared.",
  "the examiner combined two references without a reason to combine them.",
  "the portfolio should be diversified across stocks and bonds for a retiree.",
  "rest the steak five minutes per inch before slicing it.",
  "two books must be adjacent, so treat them as one block and count.",
]
