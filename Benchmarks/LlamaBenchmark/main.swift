import Foundation
import LlamaBackend

let path = CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["FIELDEVAL_MODEL"] ?? ""
let engine = try LlamaEngine(modelPath: path, configuration: .init(contextSize: 2048, slots: 4))
print(engine.backendDescription, engine.model.info)
let requests = (0..<4).map { GenerationRequest(id: "\($0)", input: .prompt("The capital of France is"), maxNewTokens: 16) }
let t0 = Date()
let results = try await engine.generate(requests)
for r in results { print(r.id, r.finishReason, r.promptTokens, r.completionTokens, r.timings, r.text.debugDescription) }
print("elapsed", Date().timeIntervalSince(t0))
let chat = try? engine.render(.chat([.user("hi")]))
print(chat as Any)
