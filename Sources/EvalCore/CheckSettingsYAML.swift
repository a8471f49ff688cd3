/// YAML settings of the parts EmissionGate and LeakScanner share (reasoning tags and the text
/// checks), read by both configuration files through these functions so that the same key
/// means the same thing, with the same validation, in a gate file and in a ruleset.
extension YAMLNode {
  /// A positive integer.
  package func positiveInt() throws -> Int {
    let n = try int("a positive integer")
    guard n > 0 else { throw error("expected a positive integer, found \(n)") }
    return n
  }

  /// A non-empty string; `what` names it in the error.
  package func nonEmptyString(_ what: String) throws -> String {
    let s = try string()
    guard !s.isEmpty else { throw error("\(what) must not be empty") }
    return s
  }
}

extension ReasoningFormat {
  /// Applies `reasoning: { open_tag, close_tag, template_opens_think: true | false | auto }`.
  package mutating func apply(_ node: YAMLNode) throws {
    for (k, v) in try node.requireKeys(
      in: ["open_tag", "close_tag", "template_opens_think"], context: "reasoning")
    {
      switch k {
      case "open_tag": openTag = try v.nonEmptyString("open_tag")
      case "close_tag": closeTag = try v.nonEmptyString("close_tag")
      default:
        let s = try v.string().lowercased()
        if s == "auto" || s == "automatic" {
          opening = .automatic
        } else {
          opening = try v.bool("true, false or auto") ? .prefilled : .explicit
        }
      }
    }
    // One tag for both ends would read every block as unclosed.
    if openTag == closeTag {
      throw node.error(
        "open_tag and close_tag are both '\(openTag)'; give the closing tag its own text, e.g. '</think>'")
    }
  }
}

extension RepetitionCheck {
  /// Applies `{ min_repeats, min_span_words, max_period_words }`.
  package mutating func apply(_ node: YAMLNode) throws {
    for (k, v) in try node.requireKeys(
      in: ["min_repeats", "min_span_words", "max_period_words"], context: "repetition")
    {
      let n = try v.positiveInt()
      switch k {
      case "min_repeats":
        guard n >= 2 else { throw v.error("min_repeats must be at least 2 (one occurrence is not a loop)") }
        minRepeats = n
      case "min_span_words": minSpanWords = n
      default: maxPeriodWords = n
      }
    }
  }
}

extension ScriptDriftCheck {
  /// Applies `{ expected: [latin, …] | dominant | prompt, min_run_letters }`.
  package mutating func apply(_ node: YAMLNode) throws {
    for (k, v) in try node.requireKeys(in: ["expected", "min_run_letters"], context: "script_drift") {
      if k == "min_run_letters" {
        minRunLetters = try v.positiveInt()
      } else if v.isSequence {
        var set = Set<ScriptClass>()
        for item in try v.sequence() {
          guard let s = ScriptClass(rawValue: try item.string()) else {
            throw item.error(
              "unknown script '\(try item.string())'; expected one of: \(ScriptClass.allCases.map(\.rawValue).joined(separator: ", "))"
            )
          }
          set.insert(s)
        }
        guard !set.isEmpty else {
          throw v.error(
            "expected lists no script, so every letter would be drift; list at least one (latin, …), or write 'dominant' or 'prompt'"
          )
        }
        expected = .scripts(set)
      } else if try v.string() == "dominant" {
        expected = .dominant
      } else if try v.string() == "prompt" {
        expected = .context
      } else {
        throw v.error("expected a list of scripts, 'dominant' or 'prompt'")
      }
    }
  }
}

extension RunTogetherCheck {
  /// Applies `{ min_word_letters, min_run_together_letters, min_space_ratio, min_letters_for_ratio }`.
  package mutating func apply(_ node: YAMLNode) throws {
    for (k, v) in try node.requireKeys(
      in: ["min_word_letters", "min_run_together_letters", "min_space_ratio", "min_letters_for_ratio"],
      context: "run_together")
    {
      switch k {
      case "min_word_letters": minWordLetters = try v.positiveInt()
      case "min_run_together_letters": minRunTogetherLetters = try v.positiveInt()
      case "min_space_ratio":
        let ratio = try v.double()
        guard ratio >= 0, ratio <= 1 else {
          throw v.error("min_space_ratio must be in [0, 1], found \(ratio)")
        }
        minSpaceRatio = ratio
      default: minLettersForRatio = try v.positiveInt()
      }
    }
  }
}

extension MojibakeCheck {
  /// Applies `{ min_sequences, count_replacement_characters }`.
  package mutating func apply(_ node: YAMLNode) throws {
    for (k, v) in try node.requireKeys(
      in: ["min_sequences", "count_replacement_characters"], context: "mojibake")
    {
      if k == "min_sequences" {
        minSequences = try v.positiveInt()
      } else {
        countReplacementCharacters = try v.bool()
      }
    }
  }
}
