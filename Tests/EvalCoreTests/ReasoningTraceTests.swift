import Foundation
import Testing

@testable import EvalCore

@Suite struct ReasoningTraceTests {
  @Test func closedBlockAndAnswer() {
    let t = ReasoningFormat.think.parse("<think>\nstep one\n</think>\n\nThe answer is 4.")
    #expect(t.thinkPresent)
    #expect(t.thinkClosed)
    #expect(t.blocks.count == 1)
    #expect(t.thinkText == "\nstep one\n")
    #expect(t.answer.trimmingCharacters(in: .whitespacesAndNewlines) == "The answer is 4.")
    #expect(t.answerPresent)
  }

  @Test func prefilledOpeningTagAsDeepSeekR1Emits() {
    let out = "First, compute 2+2.\n</think>\n\n4"
    let auto = ReasoningFormat.think.parse(out)
    #expect(auto.thinkPresent && auto.thinkClosed)
    #expect(auto.blocks.first?.prefilled == true)
    #expect(auto.answer.contains("4"))
    let explicit = ReasoningFormat(opening: .explicit).parse(out)
    #expect(!explicit.thinkPresent)
    #expect(explicit.strayCloseTags == 1)
    let r1 = ReasoningFormat.deepSeekR1.parse("still thinking, ran out of budget")
    #expect(r1.thinkPresent)
    #expect(!r1.thinkClosed)
    #expect(!r1.answerPresent)
  }

  @Test func prefilledModeStillAcceptsAnExplicitTag() {
    let t = ReasoningFormat.deepSeekR1.parse("<think>a</think>b")
    #expect(t.thinkText == "a")
    #expect(t.answer == "b")
    #expect(t.blocks.first?.prefilled == false)
  }

  @Test func emptyBlockCountsAsNoReasoning() {
    let t = ReasoningFormat.think.parse("<think>\n\n</think>\n\nAnswer.")
    #expect(!t.thinkPresent)
    #expect(t.thinkEmpty)
    #expect(t.thinkClosed)
    #expect(t.answerPresent)
  }

  @Test func unclosedBlock() {
    let t = ReasoningFormat.think.parse("<think>I keep going and")
    #expect(t.thinkPresent)
    #expect(!t.thinkClosed)
    #expect(!t.answerPresent)
    let bare = ReasoningFormat.think.parse("text <think>")
    #expect(bare.blocks.count == 1)
    #expect(!bare.thinkClosed)
    #expect(!bare.thinkPresent)
  }

  @Test func severalAndNestedBlocks() {
    let several = ReasoningFormat.think.parse("<think>a</think>mid<think>b</think>end")
    #expect(several.blocks.count == 2)
    #expect(several.thinkText == "a\nb")
    #expect(several.answer == "midend")
    let nested = ReasoningFormat.think.parse("<think>a <think>b</think> c</think>d")
    #expect(nested.nested)
    #expect(nested.strayCloseTags == 1)
    // A truncated output that opened a second block at its very end keeps its reasoning: one
    // unclosed, nested block, as the prefilled reading does with an opening tag at the end.
    let truncated = ReasoningFormat.think.parse("<think>I am reasoning about it<think>")
    #expect(truncated.blocks.count == 1 && truncated.nested && !truncated.thinkClosed)
    #expect(truncated.thinkPresent && truncated.blocks[0].content == "I am reasoning about it<think>")
    let prefilled = ReasoningFormat.think.parse("so the answer <think>", opening: .prefilled)
    #expect(prefilled.blocks.count == 1 && prefilled.thinkPresent && !prefilled.thinkClosed)
  }

  @Test func noReasoningAtAll() {
    let t = ReasoningFormat.think.parse("Just an answer.")
    #expect(t.blocks.isEmpty)
    #expect(!t.thinkPresent)
    #expect(!t.thinkClosed)
    #expect(t.answer == "Just an answer.")
  }

  @Test func configurableTags() {
    let format = ReasoningFormat(openTag: "<|begin_of_thought|>", closeTag: "<|end_of_thought|>")
    let t = format.parse("<|begin_of_thought|>plan<|end_of_thought|>done")
    #expect(t.thinkText == "plan")
    #expect(t.answer == "done")
    #expect(!ReasoningFormat.think.parse("<|begin_of_thought|>plan<|end_of_thought|>done").thinkPresent)
  }
  /// Runs of tags lay out as one pass would: many opening tags and no closing one make one
  /// nested unclosed block (each search is reused while it still answers, so such a line is not
  /// read once per tag), and closes after the blocks count as stray.
  @Test func longRunsOfTagsLayOutInOnePass() {
    let open = Array("<think>".utf8)
    let close = Array("</think>".utf8)
    func layout(_ text: String) -> TraceLayout {
      var out = TraceLayout()
      let bytes = Array(text.utf8)
      bytes.withUnsafeBufferPointer {
        ReasoningTrace.layout($0, open: open, close: close, prefilled: false, into: &out)
      }
      return out
    }
    let opens = String(repeating: "<think>", count: 100_000) + "x"
    let a = layout(opens)
    #expect(a.nested)
    #expect(a.blocks.count == 1)
    #expect(a.blocks.first?.closed == false)
    #expect(a.blocks.first?.range == 7..<opens.utf8.count)
    let mixed =
      String(repeating: "<think>a</think>b", count: 1000) + String(repeating: "</think>", count: 3)
      + "<think><think>c"
    let b = layout(mixed)
    #expect(b.blocks.count == 1001)
    #expect(b.blocks.prefix(1000).allSatisfy { $0.closed && $0.range.count == 1 })
    #expect(b.strayCloseTags == 3)
    #expect(b.nested)
    #expect(b.blocks.last?.closed == false)
    #expect(ReasoningFormat.think.parse(mixed).blocks.count == 1001)
  }
}
