// ContentGate: an LLM judge scores model outputs against a domain rubric (Rubrics/) through
// pluggable JudgeBackend implementations (llama.cpp in-process, OpenAI-compatible servers,
// recorded fixtures). Its API lands with the ContentGate issue; this module is intentionally
// empty until then.
@_exported public import EvalCore
