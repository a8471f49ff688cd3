import Foundation

/// Converts the JSON Schema subset that judge verdicts use into a GBNF grammar for
/// llama.cpp's grammar sampler.
///
/// Supported: `type` `object` (`properties`, `required`), `string` (`enum`, `minLength`,
/// `maxLength`), `number`, `integer` (`minimum`/`maximum`; small non-negative ranges become an
/// exact alternation such as `"1" | "2" | ... | "5"`), `boolean`, `null`, `array` (`items`,
/// `minItems`, `maxItems`), plus `enum` and `const` of scalars at any level. Any other keyword
/// (`pattern`, `anyOf`, `$ref`, `format`, …) is an error rather than a silently looser grammar;
/// `minimum`/`maximum` are enforced only in the small integer case above, so a verdict parsed
/// from a `number` field should still be range-checked.
///
/// Property order: JSON objects are unordered, so the grammar emits required properties in the
/// order of `required`, then optional properties in alphabetical order, each optional one
/// omissible. An object with no `required` list emits every property. No other properties are
/// allowed (as if `additionalProperties` were `false`). Whitespace between tokens is limited
/// to one optional space so verdicts stay short.
public enum JSONSchemaGrammar {
  /// Converts a schema given as JSON text.
  public static func gbnf(fromSchema schemaJSON: String) throws(LlamaBackendError) -> String {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(schemaJSON.utf8), options: [.fragmentsAllowed])
    } catch {
      throw .invalidJSONSchema(path: "", reason: "not valid JSON (\(error.localizedDescription))")
    }
    var builder = Builder()
    let root = try builder.rule(for: object, path: "", name: "root")
    precondition(root == "root")
    return builder.render()
  }

  struct Builder {
    var rules: [(name: String, body: String)] = []
    var used: Set<String> = ["ws", "string", "char", "number", "integer", "boolean", "null"]
    var needs: Set<String> = ["ws"]

    mutating func freshName(_ base: String) -> String {
      var cleaned = String(base.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
      if cleaned.isEmpty { cleaned = "value" }
      var name = cleaned
      var k = 2
      while used.contains(name) {
        name = "\(cleaned)-\(k)"
        k += 1
      }
      used.insert(name)
      return name
    }

    func render() -> String {
      var lines = rules.map { "\($0.name) ::= \($0.body)" }
      lines.append(#"ws ::= " "?"#)
      if needs.contains("string") || needs.contains("char") {
        lines.append(#"string ::= "\"" char* "\"""#)
        lines.append(#"char ::= [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})"#)
      }
      if needs.contains("number") {
        lines.append(
          #"number ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?"#)
      }
      if needs.contains("integer") { lines.append(#"integer ::= "-"? ("0" | [1-9] [0-9]{0,15})"#) }
      if needs.contains("boolean") { lines.append(#"boolean ::= "true" | "false""#) }
      if needs.contains("null") { lines.append(#"null ::= "null""#) }
      return lines.joined(separator: "\n") + "\n"
    }

    /// GBNF literal for raw text.
    static func literal(_ text: String) -> String {
      var out = "\""
      for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
          if scalar.value < 0x20 {
            out += String(format: "\\x%02x", scalar.value)
          } else {
            out.unicodeScalars.append(scalar)
          }
        }
      }
      return out + "\""
    }

    /// The JSON encoding of a scalar enum/const value, as a GBNF literal.
    static func jsonLiteral(_ value: Any, path: String) throws(LlamaBackendError) -> String {
      if value is NSNull { return literal("null") }
      if let s = value as? String {
        guard let data = try? JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed]) else {
          throw .invalidJSONSchema(path: path, reason: "cannot encode enum value")
        }
        return literal(String(decoding: data, as: UTF8.self))
      }
      if let n = value as? NSNumber {
        if String(cString: n.objCType) == "c" { return literal(n.boolValue ? "true" : "false") }
        if n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e15 {
          return literal(String(Int64(n.doubleValue)))
        }
        return literal("\(n.doubleValue)")
      }
      throw .invalidJSONSchema(
        path: path, reason: "enum/const values must be strings, numbers, booleans or null")
    }

    /// Returns the rule name (or inline expression) for `schema`; `name` forces a named rule.
    mutating func rule(for schema: Any, path: String, name: String? = nil) throws(LlamaBackendError) -> String
    {
      let expression = try self.expression(for: schema, path: path)
      guard let name else { return expression }
      let ruleName = name == "root" ? "root" : freshName(name)
      rules.append((ruleName, expression))
      return ruleName
    }

    /// Keywords the converter enforces, plus annotations that do not constrain values.
    static let supportedKeywords: Set<String> = [
      "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum",
      "const",
      "minLength", "maxLength", "minimum", "maximum", "description", "title", "$schema", "$id", "default",
      "examples",
    ]

    mutating func expression(for schema: Any, path: String) throws(LlamaBackendError) -> String {
      if let flag = schema as? Bool, flag {
        throw .invalidJSONSchema(
          path: path, reason: "schema `true` (any value) is not supported; give a type")
      }
      guard let s = schema as? [String: Any] else {
        throw .invalidJSONSchema(path: path, reason: "expected a schema object")
      }
      // A keyword the grammar cannot enforce would loosen the constraint without a word: refuse it.
      if let unknown = s.keys.sorted().first(where: { !Self.supportedKeywords.contains($0) }) {
        throw .invalidJSONSchema(
          path: path + "." + unknown,
          reason:
            "unsupported keyword '\(unknown)'; supported: \(Self.supportedKeywords.sorted().joined(separator: ", "))"
        )
      }
      if let value = s["const"] { return try Self.jsonLiteral(value, path: path + ".const") }
      if let values = s["enum"] {
        guard let list = values as? [Any], !list.isEmpty else {
          throw .invalidJSONSchema(path: path + ".enum", reason: "enum must be a non-empty array")
        }
        var alternatives: [String] = []
        for (i, v) in list.enumerated() {
          alternatives.append(try Self.jsonLiteral(v, path: "\(path).enum[\(i)]"))
        }
        return "(" + alternatives.joined(separator: " | ") + ")"
      }
      guard let type = s["type"] as? String else {
        throw .invalidJSONSchema(
          path: path, reason: "missing `type` (or `enum`/`const`); type lists are not supported")
      }
      switch type {
      case "object": return try objectExpression(s, path: path)
      case "array": return try arrayExpression(s, path: path)
      case "string":
        needs.insert("string")
        let minLength = s["minLength"] as? Int ?? 0
        if let maxLength = s["maxLength"] as? Int {
          guard maxLength >= minLength, minLength >= 0 else {
            throw .invalidJSONSchema(path: path, reason: "need 0 ≤ minLength ≤ maxLength")
          }
          return #""\"" char{\#(minLength),\#(maxLength)} "\"""#
        }
        if minLength > 0 { return #""\"" char{\#(minLength),} "\"""# }
        return "string"
      case "number":
        needs.insert("number")
        return "number"
      case "integer":
        if let lo = s["minimum"] as? Int, let hi = s["maximum"] as? Int, lo >= 0, hi >= lo, hi - lo <= 100 {
          return "(" + (lo...hi).map { Self.literal(String($0)) }.joined(separator: " | ") + ")"
        }
        needs.insert("integer")
        return "integer"
      case "boolean":
        needs.insert("boolean")
        return "boolean"
      case "null":
        needs.insert("null")
        return "null"
      default:
        throw .invalidJSONSchema(path: path + ".type", reason: "unsupported type '\(type)'")
      }
    }

    mutating func objectExpression(_ s: [String: Any], path: String) throws(LlamaBackendError) -> String {
      let properties = s["properties"] as? [String: Any] ?? [:]
      let required = (s["required"] as? [String]) ?? []
      for key in required where properties[key] == nil {
        throw .invalidJSONSchema(
          path: path + ".required", reason: "'\(key)' is required but not in properties")
      }
      let requiredKeys = required.isEmpty ? properties.keys.sorted() : required
      let optionalKeys = properties.keys.filter { !requiredKeys.contains($0) }.sorted()
      if requiredKeys.isEmpty { return #""{" ws "}""# }
      var parts: [String] = []
      for (i, key) in requiredKeys.enumerated() {
        let value = try rule(for: properties[key] as Any, path: "\(path).\(key)", name: ruleBase(path, key))
        let separator = i == 0 ? "" : #""," ws "#
        parts.append(separator + Self.literal("\"\(key)\"") + #" ws ":" ws "# + value)
      }
      for key in optionalKeys {
        let value = try rule(for: properties[key] as Any, path: "\(path).\(key)", name: ruleBase(path, key))
        parts.append(#"("," ws "# + Self.literal("\"\(key)\"") + #" ws ":" ws "# + value + ")?")
      }
      return #""{" ws "# + parts.joined(separator: " ") + #" ws "}""#
    }

    func ruleBase(_ path: String, _ key: String) -> String {
      let trimmed = path.drop(while: { $0 == "." })
      return (trimmed.isEmpty ? "" : trimmed.replacingOccurrences(of: ".", with: "-") + "-") + key
    }

    mutating func arrayExpression(_ s: [String: Any], path: String) throws(LlamaBackendError) -> String {
      guard let items = s["items"] else {
        throw .invalidJSONSchema(path: path, reason: "array schemas need `items`")
      }
      let item = try rule(for: items, path: path + "[]", name: ruleBase(path, "item"))
      let minItems = s["minItems"] as? Int ?? 0
      let maxItems = s["maxItems"] as? Int
      guard minItems >= 0, maxItems.map({ $0 >= minItems }) ?? true else {
        throw .invalidJSONSchema(path: path, reason: "need 0 ≤ minItems ≤ maxItems")
      }
      if maxItems == 0 { return #""[" ws "]""# }
      let more: String
      let lower = max(0, minItems - 1)
      if let maxItems { more = "{\(lower),\(maxItems - 1)}" } else { more = lower == 0 ? "*" : "{\(lower),}" }
      let list = item + #" ("," ws "# + item + ")" + more
      return #""[" ws "# + (minItems == 0 ? "(" + list + ")?" : list) + #" ws "]""#
    }
  }
}
