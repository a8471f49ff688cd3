import EvalCore
import Testing

@Suite struct BackendsTests {
  struct Echo: GenerationBackend {
    var backendDescription: String { "echo" }
    func generate(_ requests: [GenerationRequest]) async throws -> [GenerationResult] {
      requests.map { request in
        guard case .prompt(let text) = request.input else {
          return GenerationResult(
            id: request.id, text: "", finishReason: .other, promptTokens: 0, completionTokens: 0)
        }
        return GenerationResult(
          id: request.id, text: text, finishReason: .stop, promptTokens: 1, completionTokens: 4,
          timings: GenerationTimings(queueSeconds: 0.5, promptSeconds: 0.25, generationSeconds: 2))
      }
    }
  }

  @Test func singleRequestConvenienceReturnsTheResult() async throws {
    let result = try await Echo().generate(GenerationRequest(id: "a", input: .prompt("hi")))
    #expect(result.id == "a")
    #expect(result.text == "hi")
    #expect(result.tokensPerSecond == 1.5)
    #expect(result.timings.totalSeconds == 2.75)
  }

  @Test func defaultSamplingIsGreedy() {
    #expect(SamplingParameters().isGreedy)
    #expect(!SamplingParameters(temperature: 0.7).isGreedy)
    #expect(GenerationRequest(input: .prompt("x")).sampling == .greedy)
  }
}
