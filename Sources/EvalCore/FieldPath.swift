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

/// Decoding helpers shared by the products.
package enum JSONLine {
  /// Validates UTF-8 and parses one JSONL line into a JSON object.
  package static func object(from line: JSONLLine) -> Result<[String: Any], LineIssue> {
    let bytes = line.content
    let issue = { (kind: LineIssueKind) in
      LineIssue(line: line.number, offset: line.offset, length: line.bytes.count, kind: kind)
    }
    guard line.isValidUTF8 else { return .failure(issue(.invalidUTF8(at: line.firstInvalidUTF8Offset))) }
    // The package's strict parser, which refuses a key given twice.
    let parsed = bytes.withUnsafeBufferPointer { buffer in
      JSONBytes.object(buffer, keep: { _ in true }, rejectingDuplicateKeys: true)
    }
    switch parsed {
    case .failure(let failure): return .failure(issue(.invalidJSON(failure.reason)))
    case .success(let members): return .success(foundationObject(members))
    }
  }

  /// A parsed object as `JSONSerialization` would give it: strings, `NSNumber`s (integers as
  /// `Int`, others as `Double`), `Bool`s, `NSNull`, arrays and dictionaries.
  static func foundationObject(_ members: [(key: String, value: JSONValue)]) -> [String: Any] {
    var object: [String: Any] = [:]
    for member in members { object[member.key] = foundationValue(member.value) }
    return object
  }

  static func foundationValue(_ value: JSONValue) -> Any {
    switch value {
    case .string(let s): return s
    case .number(let text):
      if let n = Int(text) { return NSNumber(value: n) }
      return NSNumber(value: Double(text) ?? .nan)
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
    case is Bool: return nil
    case let n as NSNumber:
      // JSONSerialization writes booleans as NSNumbers of type `c`.
      if String(cString: n.objCType) == "c" { return nil }
      let d = n.doubleValue
      guard d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 else { return nil }
      return Int(d)
    case let s as String: return Int(s)
    default: return nil
    }
  }

  /// A string from a JSON value (strings, or numbers rendered as text).
  package static func string(_ value: Any?) -> String? {
    switch value {
    case let s as String: return s
    case let n as NSNumber: return n.stringValue
    default: return nil
    }
  }
}
