import Foundation
internal import Yams

/// A YAML configuration node that knows its file and position, so every error says
/// `file:line:column: what is wrong`.
package struct YAMLNode: @unchecked Sendable {
  let node: Node
  /// The file the node came from (for error messages).
  package let file: String

  /// Parses YAML text. An empty document is an empty mapping.
  package static func parse(_ text: String, file: String) throws -> YAMLNode {
    do {
      let node = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
      return YAMLNode(node: node, file: file)
    } catch let error as YamlError {
      switch error {
      case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
        .composer(_, let problem, let mark, _):
        throw EvalCoreError.invalidConfiguration(
          file: file, line: mark.line, column: mark.column, reason: problem)
      case .reader(let problem, let offset, _, _):
        // The reader (control characters, bad encoding) gives an offset in characters.
        let (line, column) = offset.map { Self.lineAndColumn(ofCharacter: $0, in: text) } ?? (nil, nil)
        throw EvalCoreError.invalidConfiguration(file: file, line: line, column: column, reason: problem)
      case .duplicatedKeysInMapping(let duplicates, let context):
        // Yams marks the first key; the mistake is where it is given again.
        let (line, column) =
          duplicates.first.flatMap {
            repeatedKey($0, in: text, after: (context.mark.line, context.mark.column))
          }
          ?? (context.mark.line, context.mark.column)
        throw EvalCoreError.invalidConfiguration(
          file: file, line: line, column: column,
          reason: "key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) given twice in one mapping")
      default:
        throw EvalCoreError.invalidConfiguration(file: file, line: nil, column: nil, reason: "\(error)")
      }
    }
  }

  /// Where `key`, first given at the 1-based `first` line and column, is given again in `text`:
  /// on a later line at the same column (a block mapping), or later on the same line (a flow
  /// mapping, `{a: 1, a: 2}`). `nil` when neither is found.
  static func repeatedKey(_ key: String, in text: String, after first: (line: Int, column: Int)) -> (
    Int, Int
  )? {
    // Lines as YAML ends them (`\r\n` is one Character, which a split at "\n" would not see).
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    func keyStarts(_ rest: Substring) -> Bool {
      for quote in ["", "\"", "'"] where rest.hasPrefix(quote + key + quote) {
        let after = rest.dropFirst(quote.count * 2 + key.count).drop { $0 == " " || $0 == "\t" }
        if after.first == ":" { return true }
      }
      return false
    }
    guard first.line >= 1, first.line <= lines.count else { return nil }
    // Columns count characters, as Yams's marks do.
    let own = Array(lines[first.line - 1])
    var c = first.column
    // Quoted text is a value's, not a key: skipped.
    var quote: Character? = nil
    while c < own.count {
      let previous = own[c - 1]
      if let q = quote {
        if previous == q { quote = nil }
      } else if previous == "\"" || previous == "'" {
        quote = previous
      } else if previous == "," || previous == "{" || previous == " ",
        keyStarts(Substring(String(own[c...]).drop { $0 == " " }))
      {
        let skipped = String(own[c...]).prefix { $0 == " " }.count
        return (first.line, c + skipped + 1)
      }
      c += 1
    }
    for k in first.line..<lines.count {
      let line = Array(lines[k])
      guard line.count >= first.column, line[..<(first.column - 1)].allSatisfy({ $0 == " " || $0 == "-" })
      else { continue }
      if keyStarts(Substring(String(line[(first.column - 1)...]))) { return (k + 1, first.column) }
    }
    return nil
  }

  /// The 1-based line and column of the Unicode scalar at `offset` of `text` (as libyaml's
  /// reader counts).
  static func lineAndColumn(ofCharacter offset: Int, in text: String) -> (Int?, Int?) {
    let scalars = Array(text.unicodeScalars)
    guard offset >= 0, offset <= scalars.count else { return (nil, nil) }
    let before = scalars[..<offset]
    let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    let lineStart = before.lastIndex(of: "\n").map { $0 + 1 } ?? 0
    return (line, offset - lineStart + 1)
  }

  /// Reads and parses a YAML file.
  package static func load(path: String) throws -> YAMLNode {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw EvalCoreError.unreadableFile(path: path, reason: "is a directory, not a YAML file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw EvalCoreError.unreadableFile(path: path, reason: "no such file or not readable")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw EvalCoreError.invalidConfiguration(
        file: path, line: nil, column: nil, reason: "file is not valid UTF-8")
    }
    return try parse(text, file: path)
  }

  /// 1-based line of the node.
  package var line: Int? { node.mark?.line }
  /// 1-based column of the node.
  package var column: Int? { node.mark?.column }

  /// An error located at this node.
  package func error(_ reason: String) -> EvalCoreError {
    .invalidConfiguration(file: file, line: line, column: column, reason: reason)
  }

  /// The mapping's entries in order, failing when the node is not a mapping.
  package func mapping(_ what: String = "a mapping") throws -> [(key: String, value: YAMLNode)] {
    guard case .mapping(let m) = node else { throw error("expected \(what)") }
    return try m.map { pair in
      guard case .scalar(let s) = pair.key else {
        throw YAMLNode(node: pair.key, file: file).error("keys must be strings")
      }
      return (s.string, YAMLNode(node: pair.value, file: file))
    }
  }

  /// The sequence's items, failing when the node is not a sequence.
  package func sequence(_ what: String = "a list") throws -> [YAMLNode] {
    guard case .sequence(let s) = node else { throw error("expected \(what)") }
    return s.map { YAMLNode(node: $0, file: file) }
  }

  /// Whether the node is a null scalar: nothing after its key, `~` or `null`.
  package var isNull: Bool {
    guard case .scalar(let s) = node, s.style == .plain else { return false }
    return ["", "~", "null", "Null", "NULL"].contains(s.string)
  }

  /// Whether the node is a sequence.
  package var isSequence: Bool { if case .sequence = node { return true } else { return false } }

  /// Whether the node is a mapping.
  package var isMapping: Bool { if case .mapping = node { return true } else { return false } }

  /// The scalar text, failing when the node is not a scalar.
  package func string(_ what: String = "a string") throws -> String {
    guard case .scalar(let s) = node else { throw error("expected \(what)") }
    return s.string
  }

  /// A number.
  package func double(_ what: String = "a number") throws -> Double {
    guard let v = Double(try string(what)) else { throw error("expected \(what), found '\(try string())'") }
    return v
  }

  /// An integer.
  package func int(_ what: String = "an integer") throws -> Int {
    guard let v = Int(try string(what)) else { throw error("expected \(what), found '\(try string())'") }
    return v
  }

  /// A boolean (`true`/`false`/`yes`/`no`).
  package func bool(_ what: String = "true or false") throws -> Bool {
    switch try string(what).lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default: throw error("expected \(what), found '\(try string())'")
    }
  }

  /// Checks that a mapping uses only `allowed` keys, so typos are reported instead of ignored.
  package func requireKeys(in allowed: Set<String>, context: String) throws -> [(
    key: String, value: YAMLNode
  )] {
    let entries = try mapping("a mapping for \(context)")
    guard case .mapping(let m) = node else { return entries }
    for pair in m {
      if case .scalar(let s) = pair.key, !allowed.contains(s.string) {
        throw YAMLNode(node: pair.key, file: file).error(
          "unknown key '\(s.string)' in \(context); expected one of: \(allowed.sorted().joined(separator: ", "))"
        )
      }
    }
    return entries
  }
}
