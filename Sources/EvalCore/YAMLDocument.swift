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
          file: file, line: mark.line, column: mark.column,
          reason: problem
            + (hint(problem, line: mark.line, column: mark.column, in: text).map { "; " + $0 } ?? ""))
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

  /// Where `key`, first given at the 1-based `first` line and column, is given again in `text`,
  /// as the parser places it: the first key is renamed in place (one character for one, so
  /// every later mark stays where it was) and the text composed again; the mapping that holds
  /// the renamed key then holds the repeat. This follows the mapping however it is laid out (a
  /// block mapping, a flow mapping on one line or over several, comments, nested mappings
  /// holding the same key). A second mapping with a key given twice (found before this one's
  /// repeat) is renamed the same way. `nil` when the text cannot be read so.
  static func repeatedKey(_ key: String, in text: String, after first: (line: Int, column: Int)) -> (
    Int, Int
  )? {
    var scalars = Array(text.unicodeScalars)
    // Private-use scalars, one per renamed key, so renamed keys differ from every other.
    let placeholders = (0xE000 as UInt32)..<0xE020
    guard !scalars.contains(where: { placeholders.contains($0.value) }) else { return nil }
    // The keys renamed, at their (line, column), and the names they had.
    var renamed: [(at: (line: Int, column: Int), key: String)] = []
    var next = (at: first, key: key)
    for placeholder in placeholders {
      guard var i = scalarIndex(line: next.at.line, column: next.at.column, in: scalars) else { return nil }
      // A quoted key is renamed inside its quotes (not an escape or an empty key's close).
      let quote = scalars[i] == "\"" || scalars[i] == "'" ? scalars[i] : nil
      if quote != nil { i += 1 }
      guard i < scalars.count, scalars[i] != "\n", scalars[i] != "\r", scalars[i] != quote,
        quote != "\"" || scalars[i] != "\\"
      else { return nil }
      scalars[i] = Unicode.Scalar(placeholder)!
      renamed.append(next)
      do {
        guard let root = try Yams.compose(yaml: String(String.UnicodeScalarView(scalars))),
          let keys = keys(ofMappingHolding: first, in: root)
        else { return nil }
        // The mapping's keys as written: the first after `first` with its name is the repeat.
        for node in keys {
          guard let mark = node.mark, (mark.line, mark.column) != first else { continue }
          let name = renamed.first { $0.at == (mark.line, mark.column) }?.key ?? node.string
          if name == key { return (mark.line, mark.column) }
        }
        return nil
      } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
        guard let name = duplicates.first else { return nil }
        next = ((context.mark.line, context.mark.column), name)
      } catch {
        return nil
      }
    }
    return nil
  }

  /// What to do about the YAML syntax error `problem` at the 1-based `line` and `column` of
  /// `text`, for the mistakes people make most in a ruleset or gate file; `nil` for others.
  static func hint(_ problem: String, line: Int, column: Int, in text: String) -> String? {
    let scalars = Array(text.unicodeScalars)
    let here = scalarIndex(line: line, column: column, in: scalars).map { scalars[$0] }
    // The line up to the mark, for a tab used to indent it.
    let lineStart = scalarIndex(line: line, column: 1, in: scalars)
    // A tab in the line's indentation, where the mark is (a tab later on, inside a flow
    // collection, is allowed).
    let indentedWithTab =
      lineStart.map { start in
        let indent = scalars[start...].prefix { $0 == " " || $0 == "\t" }
        return indent.contains("\t") && column <= indent.count + 1
      } ?? false
    switch problem {
    case "found character that cannot start any token" where here == "\t" || indentedWithTab,
      "found a tab character that violates indentation",
      "found a tab character where an indentation space is expected":
      return "YAML indents with spaces only: replace the tab with spaces"
    case "found unknown escape character":
      return
        "in double quotes a backslash starts an escape (\\n, \\t, \\\"): write a regex in single quotes ('Q\\d+ blend:') or double each backslash (\"Q\\\\d+ blend:\")"
    case "mapping values are not allowed in this context":
      return
        "check this line's indentation against the lines above (keys of one mapping start in one column), or quote a value that holds ': '"
    case "did not find expected ',' or '}'":
      return "a `{ … }` mapping is not closed, or two of its entries lack a comma between them"
    case "did not find expected ',' or ']'":
      return "a `[ … ]` list is not closed, or two of its items lack a comma between them"
    case "did not find expected key", "could not find expected ':'", "did not find expected '-' indicator":
      return
        "check this line's indentation against the lines above (keys of one mapping start in one column), and that nothing follows a quoted value after its closing quote (inside single quotes write a quote twice: 'it''s')"
    case "found unexpected end of stream":
      return "a quoted value or a bracket is not closed"
    default:
      return nil
    }
  }

  /// The index in `scalars` of the 1-based `line` and `column`, counted as libyaml counts them:
  /// columns in Unicode scalars, lines ended by `\n`, `\r\n`, `\r`, NEL, LS or PS; a leading
  /// byte-order mark is not counted.
  static func scalarIndex(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
    var i = scalars.first == "\u{FEFF}" ? 1 : 0
    var l = 1
    while l < line, i < scalars.count {
      switch scalars[i] {
      case "\r":
        if i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
        l += 1
      case "\n", "\u{85}", "\u{2028}", "\u{2029}": l += 1
      default: break
      }
      i += 1
    }
    let index = i + column - 1
    guard l == line, column >= 1, index < scalars.count else { return nil }
    return index
  }

  /// The keys, in order, of the first mapping under `node` holding a key at `mark`.
  private static func keys(ofMappingHolding mark: (line: Int, column: Int), in node: Node) -> [Node]? {
    switch node {
    case .mapping(let mapping):
      if mapping.contains(where: { $0.key.mark.map { ($0.line, $0.column) == mark } ?? false }) {
        return mapping.map(\.key)
      }
      for pair in mapping {
        if let found = keys(ofMappingHolding: mark, in: pair.key)
          ?? keys(ofMappingHolding: mark, in: pair.value)
        {
          return found
        }
      }
    case .sequence(let sequence):
      for item in sequence {
        if let found = keys(ofMappingHolding: mark, in: item) { return found }
      }
    default:
      break
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
      throw EvalCoreError.unreadableFile(
        path: path, reason: FileErrors.unreadableReason(path) ?? "it could not be read")
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
