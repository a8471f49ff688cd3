/// An exact ``TokenCounter`` backed by a model's own vocabulary.
///
/// Counts what the model's tokenizer produces for the text, without BOS/EOS and with
/// special-token text treated as plain text (as ``TokenCounter`` asks).
public struct ModelTokenCounter: TokenCounter {
  /// The model whose vocabulary counts.
  public let model: LlamaModel

  /// Creates a counter for `model`.
  public init(model: LlamaModel) {
    self.model = model
  }

  /// The number of tokens in `text`, without special tokens. Returns 0 for empty text; text
  /// too large for the tokenizer (over a gigabyte) counts as 0.
  public func countTokens(in text: String) -> Int {
    guard !text.isEmpty else { return 0 }
    return (try? model.tokenize(text, addSpecial: false, parseSpecial: false).count) ?? 0
  }
}
