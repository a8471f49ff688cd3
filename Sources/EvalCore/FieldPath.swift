import Foundation

/// A dotted path into a JSON object, such as `choices.0.message.content`.
///
/// Each component is an object key, or an array index when it is a non-negative integer and
/// the value at that point is an array.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
  /// The path's components.
  public let components: [String]

  /// Parses a dotted path.
  /// - Throws: ``EvalCoreError/invalidFieldPath(_:)`` for an empty path or an empty component.
  public init(parsing text: String) throws {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard !text.isEmpty, !parts.contains(where: \.isEmpty) else {
      throw EvalCoreError.invalidFieldPath(text)
    }
    components = parts
  }

  /// Creates a path from a literal; an invalid literal traps, so use ``init(parsing:)`` for user input.
  public init(stringLiteral value: String) {
    do { try self.init(parsing: value) } catch { preconditionFailure("\(error)") }
  }

  public var description: String { components.joined(separator: ".") }

  /// The value at this path in a decoded JSON object, or `nil`.
  public func value(in object: Any) -> Any? {
    var current: Any = object
    for component in components {
      if let dict = current as? [String: Any] {
        guard let next = dict[component] else { return nil }
        current = next
      } else if let array = current as? [Any], let index = Int(component), index >= 0, index < array.count {
        current = array[index]
      } else {
        return nil
      }
    }
    return current is NSNull ? nil : current
  }
}

/// A JSON number as written in the line (`12`, `1.0`, `12345678901234567890`), for
/// ``JSONLine/int(_:)`` and ``JSONLine/string(_:)`` to read exactly.
package struct JSONNumberText: Sendable, Hashable {
  package var text: String
}

/// Decoding helpers shared by the products.
package enum JSONLine {
  /// Validates UTF-8 and parses one JSONL line into a JSON object.
  package static func object(from line: JSONLLine) -> Result<[String: Any], LineIssue> {
    objectAndDuplicates(from: line).map(\.object)
  }

  /// ``object(from:)`` with the paths of the keys given twice (the last value is kept): a
  /// reader decides which of them matter.
  package static func objectAndDuplicates(from line: JSONLLine) -> Result<
    (object: [String: Any], duplicates: [[String]]), LineIssue
  > {
    let bytes = line.content
    let issue = { (kind: LineIssueKind) in
      LineIssue(line: line.number, offset: line.offset, length: line.bytes.count, kind: kind)
    }
    guard line.isValidUTF8 else { return .failure(issue(.invalidUTF8(at: line.firstInvalidUTF8Offset))) }
    if let mark = line.misplacedByteOrderMark { return .failure(issue(.invalidJSON(mark))) }
    // The package's strict parser, which tells the keys given twice.
    let parsed = bytes.withUnsafeBufferPointer { JSONBytes.objectRecordingDuplicates($0) }
    switch parsed {
    case .failure(let failure): return .failure(issue(.invalidJSON(failure.reason)))
    case .success(let (members, duplicates)): return .success((foundationObject(members), duplicates))
    }
  }

  /// A parsed object as Foundation values: strings, numbers as ``JSONNumberText`` (their text
  /// as written, so a 20-digit id stays exact and `1` is no boolean), `Bool`s, `NSNull`,
  /// arrays and dictionaries.
  static func foundationObject(_ members: [(key: String, value: JSONValue)]) -> [String: Any] {
    var object: [String: Any] = [:]
    for member in members { object[member.key] = foundationValue(member.value) }
    return object
  }

  static func foundationValue(_ value: JSONValue) -> Any {
    switch value {
    case .string(let s): return s
    case .number(let text): return JSONNumberText(text: text)
    case .bool(let b): return b
    case .null: return NSNull()
    case .array(let items): return items.map(foundationValue)
    case .object(let members): return foundationObject(members)
    }
  }

  /// A whole number from a JSON value (a number with no fraction, within ±2⁵³, or a string
  /// holding an integer); `nil` for anything else, a boolean included (`true` is no count).
  package static func int(_ value: Any?) -> Int? {
    switch value {
    case let n as JSONNumberText: return Int(n.text) ?? Double(n.text).flatMap(wholeNumber)
    case let n as NSNumber:
      // Before `Bool`, which an NSNumber of 0 or 1 also passes for on Linux; a boolean's
      // NSNumber is of type `c`.
      return String(cString: n.objCType) == "c" ? nil : wholeNumber(n.doubleValue)
    case is Bool: return nil  // a JSON boolean is no count
    case let s as String: return Int(s)
    default: return nil
    }
  }

  /// `d` as an `Int` when it is a whole number within ±2⁵³ (where doubles are exact).
  static func wholeNumber(_ d: Double) -> Int? {
    d.isFinite && d == d.rounded() && abs(d) <= 9_007_199_254_740_992 ? Int(d) : nil
  }

  /// A string from a JSON value (strings, or numbers rendered as text).
  package static func string(_ value: Any?) -> String? {
    switch value {
    case let s as String: return s
    case let n as JSONNumberText: return n.text
    case let n as NSNumber: return n.stringValue
    default: return nil
    }
  }
}
