import CLlama

/// One request's sampler chain (and optional grammar), owned by the engine thread once the
/// request is queued.
///
/// Grammar-constrained sampling follows llama.cpp's `common_sampler_sample`: the unconstrained
/// chain picks a token first; only if the grammar rejects it is the full vocabulary masked by
/// the grammar and the chain run again. Masking all of Gemma's 262k tokens costs more than the
/// forward pass of a small model, and most tokens are accepted on the first try.
final class SlotSampler {
  let chain: UnsafeMutablePointer<llama_sampler>
  let grammar: UnsafeMutablePointer<llama_sampler>?
  /// Greedy without penalties: take the arg-max of the logits directly.
  let plainGreedy: Bool
  let vocabSize: Int32
  /// Set when the grammar allowed no token at some step.
  private(set) var grammarDeadEnd = false

  init(model: LlamaModel, parameters p: SamplingParameters, grammar gbnf: String?) throws(LlamaBackendError) {
    guard p.topK >= 0, p.topP > 0, p.topP <= 1, p.minP >= 0, p.minP <= 1, p.repetitionPenalty > 0,
      p.repetitionWindow >= 0, p.temperature.isFinite
    else {
      throw .invalidConfiguration(
        field: "SamplingParameters",
        reason: "need topK ≥ 0, 0 < topP ≤ 1, 0 ≤ minP ≤ 1, repetitionPenalty > 0, a finite temperature")
    }
    // llama.cpp reads LLAMA_DEFAULT_SEED as "pick one at random": a seed must reproduce.
    guard p.seed != LLAMA_DEFAULT_SEED else {
      throw .invalidConfiguration(
        field: "seed",
        reason: "\(LLAMA_DEFAULT_SEED) is llama.cpp's 'random seed'; pick another, or nil for random")
    }
    var grammarSampler: UnsafeMutablePointer<llama_sampler>?
    if let gbnf {
      let mark = LlamaRuntime.logMark()
      guard let g = llama_sampler_init_grammar(model.vocab, gbnf, "root") else {
        let lines = LlamaRuntime.recentLogLines(since: mark)
        throw .invalidGrammar(reason: lines.isEmpty ? "parse error" : lines.suffix(2).joined(separator: "; "))
      }
      grammarSampler = g
    }
    var params = llama_sampler_chain_default_params()
    params.no_perf = true
    guard let chain = llama_sampler_chain_init(params) else {
      if let grammarSampler { llama_sampler_free(grammarSampler) }
      throw .invalidConfiguration(field: "SamplingParameters", reason: "llama_sampler_chain_init failed")
    }
    let usePenalty = p.repetitionPenalty != 1 && p.repetitionWindow > 0
    if usePenalty {
      llama_sampler_chain_add(
        chain,
        llama_sampler_init_penalties(
          model.vocabSize, Int32(clamping: p.repetitionWindow), Float(p.repetitionPenalty), 0, 0))
    }
    if p.isGreedy {
      llama_sampler_chain_add(chain, llama_sampler_init_greedy())
    } else {
      if p.topK > 0 { llama_sampler_chain_add(chain, llama_sampler_init_top_k(Int32(clamping: p.topK))) }
      if p.topP < 1 { llama_sampler_chain_add(chain, llama_sampler_init_top_p(Float(p.topP), 1)) }
      if p.minP > 0 { llama_sampler_chain_add(chain, llama_sampler_init_min_p(Float(p.minP), 1)) }
      llama_sampler_chain_add(chain, llama_sampler_init_temp(Float(p.temperature)))
      llama_sampler_chain_add(chain, llama_sampler_init_dist(p.seed ?? LLAMA_DEFAULT_SEED))
    }
    self.chain = chain
    self.grammar = grammarSampler
    self.plainGreedy = p.isGreedy && !usePenalty
    self.vocabSize = model.vocabSize
  }

  deinit {
    llama_sampler_free(chain)
    if let grammar { llama_sampler_free(grammar) }
  }

  /// Picks the next token from output row `index` of the last decode.
  /// `candidates` must hold `vocabSize` entries.
  func sample(
    context: OpaquePointer, index: Int32, candidates: UnsafeMutableBufferPointer<llama_token_data>
  ) -> TokenID? {
    guard let logits = llama_get_logits_ith(context, index) else { return nil }
    let n = Int(vocabSize)
    var token: TokenID
    if plainGreedy {
      token = Self.argmax(logits, n)
    } else {
      token = runChain(logits: logits, candidates: candidates, grammarFirst: false) ?? Self.argmax(logits, n)
    }
    guard let grammar else { return token }
    var single = llama_token_data(id: token, logit: 1, p: 0)
    let accepted = withUnsafeMutablePointer(to: &single) { pointer in
      var array = llama_token_data_array(data: pointer, size: 1, selected: -1, sorted: false)
      llama_sampler_apply(grammar, &array)
      return pointer.pointee.logit.isFinite
    }
    if !accepted {
      guard let allowed = runChain(logits: logits, candidates: candidates, grammarFirst: true) else {
        grammarDeadEnd = true
        return nil
      }
      token = allowed
    }
    return token
  }

  /// Records the chosen token in the chain (penalty history, RNG) and the grammar.
  /// End-of-generation tokens are never fed to the grammar (llama.cpp aborts on an EOG the
  /// grammar has not completed).
  func accept(_ token: TokenID, isEndOfGeneration: Bool) {
    if let grammar, !isEndOfGeneration { llama_sampler_accept(grammar, token) }
    llama_sampler_accept(chain, token)
  }

  /// Runs the chain (after the grammar when `grammarFirst`) over the whole vocabulary.
  /// Returns nil when nothing is selectable (a grammar that allows no token): accepting a
  /// forbidden token would make llama.cpp terminate the process.
  private func runChain(
    logits: UnsafeMutablePointer<Float>, candidates: UnsafeMutableBufferPointer<llama_token_data>,
    grammarFirst: Bool
  ) -> TokenID? {
    let n = Int(vocabSize)
    guard let base = candidates.baseAddress, candidates.count >= n else { return nil }
    for i in 0..<n { base[i] = llama_token_data(id: TokenID(i), logit: logits[i], p: 0) }
    var array = llama_token_data_array(data: base, size: n, selected: -1, sorted: false)
    if grammarFirst, let grammar { llama_sampler_apply(grammar, &array) }
    llama_sampler_apply(chain, &array)
    guard array.selected >= 0, array.selected < array.size else { return nil }
    let chosen = array.data[Int(array.selected)]
    if grammarFirst, !chosen.logit.isFinite { return nil }
    return chosen.id
  }

  static func argmax(_ logits: UnsafeMutablePointer<Float>, _ n: Int) -> TokenID {
    var best = 0
    var bestValue = -Float.infinity
    for i in 0..<n where logits[i] > bestValue {
      bestValue = logits[i]
      best = i
    }
    return TokenID(best)
  }
}
