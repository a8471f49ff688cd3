// LlamaBackend re-exports EvalCore so `GenerationRequest`, `JudgeRequest`, `ChatMessage` and
// the backend protocols are visible to users who import only LlamaBackend.
@_exported public import EvalCore
