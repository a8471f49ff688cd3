import Testing

@testable import EmissionGate

@Suite struct EmissionAnalyzerTests {
  let analyzer = EmissionAnalyzer()

  func row(
    _ output: String, finish: FinishReason? = .stop, completion: Int? = nil, max: Int? = nil,
    opening: ThinkOpening? = nil
  )
    -> EmissionRow
  {
    analyzer.analyze(
      OutputRecord(
        id: "r", category: "c", output: output, completionTokens: completion, maxNewTokens: max,
        finishReason: finish,
        thinkOpening: opening))
  }

  @Test func healthyOutputPassesEveryCheck() {
    let r = row("<think>\nTwo books together form one block, so 4! × 2 = 48.\n</think>\n\n48")
    #expect(r.thinkPresent && r.thinkClosed && r.answerPresent)
    #expect(
      !r.thinkEmpty && !r.budgetExhausted && !r.repetition && !r.mojibake && !r.scriptDrift && !r.runTogether)
    #expect(r.thinkTokens > 10)
    #expect(r.thinkBlocks == 1)
  }

  @Test func implicitOpenR1Output() {
    let r = row("Compute 3x+7=2x-5, so x=-12.\n</think>\n\nx = -12")
    #expect(r.thinkPresent && r.thinkClosed && r.thinkPrefilled && r.answerPresent)
    let explicit = row("Compute.\n</think>\n\nx", opening: .explicit)
    #expect(!explicit.thinkPresent)
  }

  @Test func emptyThinkCountsAsMissing() {
    let r = row("<think>\n\n</think>\n\nAnswer")
    #expect(!r.thinkPresent)
    #expect(r.thinkEmpty)
    #expect(r.thinkTokens == 0)
  }

  @Test func unclosedThinkWithoutAnswer() {
    let r = row("<think>\nStill going", finish: .length)
    #expect(r.thinkPresent && !r.thinkClosed && !r.answerPresent)
    #expect(r.budgetExhausted)
  }

  @Test func budgetExhaustionFromTokenCounts() {
    #expect(row("<think>a</think>b", finish: nil, completion: 512, max: 512).budgetExhausted)
    #expect(!row("<think>a</think>b", finish: nil, completion: 511, max: 512).budgetExhausted)
    #expect(!row("<think>a</think>b", finish: .stop).budgetExhausted)
    #expect(row("<think>a</think>b", finish: .length).budgetExhausted)
  }

  /// With `expected: .context`, the row's prompt says which scripts an answer may use: a
  /// requested Russian translation and a Chinese question answered in Chinese pass; an English
  /// question whose reasoning turns to Chinese drifts.
  @Test func scriptDriftReadsThePromptWhenAskedTo() {
    var configuration = EmissionConfiguration()
    configuration.scriptDrift = ScriptDriftCheck(expected: .context)
    let analyzer = EmissionAnalyzer(configuration: configuration)
    func drifts(_ prompt: String, _ output: String) -> Bool {
      analyzer.analyze(OutputRecord(id: "r", prompt: prompt, output: output)).scriptDrift
    }
    #expect(!drifts("Translate into Russian: thank you very much", "<think>Easy.</think>Большое спасибо"))
    #expect(!drifts("这个数是质数吗？", "<think>我们来检查一下这个数</think>是质数"))
    #expect(drifts("Is 91 prime?", "<think>我们来检查一下这个数是不是质数</think>No"))
  }

  @Test func contentFlags() {
    let loop = row("<think>" + String(repeating: "I should check the modulus again now. ", count: 10))
    #expect(loop.repetition)
    #expect(loop.repetitionFragment?.contains("modulus") == true)
    #expect(row("<think>The applicantâ€™s point</think>ok").mojibake)
    #expect(row("<think>So 48. 그러므로 답은 48입니다</think>48").scriptDrift)
    #expect(row("<think>so 48. 그러므로 답은</think>48").driftScript == .hangul)
    // A quoted word is a lesson, not drift; the same word unquoted is drift.
    #expect(!row("<think>The Korean '감사합니다' means thank you.</think>ok").scriptDrift)
    #expect(row("<think>The Korean 감사합니다 means thank you.</think>ok").scriptDrift)
    #expect(row("<think>thetwobooksmustbeadjacentsotreatthemasone block</think>48").runTogether)
  }

  @Test func customTagsAndExactCounter() {
    struct WordCounter: TokenCounter {
      func countTokens(in text: String) -> Int { text.split(separator: " ").count }
    }
    let analyzer = EmissionAnalyzer(
      configuration: EmissionConfiguration(format: ReasoningFormat(openTag: "[THINK]", closeTag: "[/THINK]")),
      tokenCounter: WordCounter())
    let r = analyzer.analyze(OutputRecord(id: "x", output: "[THINK]one two three[/THINK]answer"))
    #expect(r.thinkPresent && r.thinkClosed)
    #expect(r.thinkTokens == 3)
  }
}
