// LlamaBackend: in-process llama.cpp generation and judging. Lands with the LlamaBackend issue.
@_exported public import EvalCore
