import Foundation
import Testing

@_spi(FieldEvalInternal) @testable import EvalCore

@Suite struct JSONBytesTests {
  func parse(_ text: String, keep: @escaping (String) -> Bool = { _ in true }) -> Result<
    JSONValue, JSONBytes.Failure
  > {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBufferPointer { buffer in
      JSONBytes.object(UnsafeBufferPointer(buffer), keep: keep).map(JSONValue.object)
    }
  }

  /// Converts JSONSerialization's output to a JSONValue so the two parsers can be compared.
  func reference(_ any: Any) -> JSONValue {
    switch any {
    case let s as String: return .string(s)
    case let a as [Any]: return .array(a.map(reference))
    case let d as [String: Any]: return .object(d.keys.sorted().map { ($0, reference(d[$0]!)) })
    case is NSNull: return .null
    case let n as NSNumber: return .number(n.stringValue)
    default: return .null
    }
  }

  func sortedKeys(_ v: JSONValue) -> JSONValue {
    switch v {
    case .object(let m): return .object(m.sorted { $0.key < $1.key }.map { ($0.key, sortedKeys($0.value)) })
    case .array(let a): return .array(a.map(sortedKeys))
    default: return v
    }
  }

  @Test func agreesWithJSONSerializationOnValidRows() throws {
    let rows = [
      #"{"id": "r1", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<think>\nA4 x:\ty</think>ok"}]}"#,
      #"{"text": "caf\u00e9 \ud83d\ude00 \"quoted\" back\\slash \/ \b\f\r", "n": [null, {}, []]}"#,
      #"{"prompt":"","response":"日本語のテキスト","score":12,"nested":{"a":{"b":[1,2,[3]]}}}"#,
      "{ \"a\" : \"x\" , \"b\" : [ ] }",
    ]
    for row in rows {
      let mine = try parse(row).get()
      let theirs = reference(try JSONSerialization.jsonObject(with: Data(row.utf8)))
      #expect(sortedKeys(mine) == sortedKeys(theirs), "\(row)")
    }
  }

  @Test func numbersKeepTheirSourceText() throws {
    let v = try parse(#"{"id": 3886, "x": -0.5e+3, "t": true, "f": false}"#).get()
    #expect(v["t"] == .bool(true) && v["f"] == .bool(false))
    #expect(v["id"] == .number("3886"))
    #expect(v["x"]?.text == "-0.5e+3")
  }

  @Test func skippedMembersAreStillValidated() {
    let keepIDOnly: (String) -> Bool = { $0 == "id" }
    #expect((try? parse(#"{"id": "a", "other": [1, {"b": "c"}]}"#, keep: keepIDOnly).get())?["other"] == nil)
    if case .failure(let why) = parse(#"{"id": "a", "other": [1, {"b": tru}]}"#, keep: keepIDOnly) {
      #expect(why.reason.contains("invalid literal"))
    } else {
      Issue.record("an invalid skipped value must fail")
    }
  }

  @Test(arguments: [
    (#"{"a": 1,}"#, "expected a quoted key"),
    (#"{"a" 1}"#, "expected ':'"),
    (#"{"a": 01}"#, "leading zero"),
    (#"{"a": "x"} trailing"#, "unexpected text after the object"),
    (#"{"a": "unterminated}"#, "unterminated string"),
    ("{\"a\": \"tab\there\"}", "control character"),
    (#"{"a": "\q"}"#, "invalid escape"),
    (#"{"a": "\ud800"}"#, "unpaired surrogate"),
    (#"{"a": "\u12"}"#, #"invalid \u escape"#),
    (#"[1, 2]"#, "expected a JSON object, found an array"),
    (#""just a string""#, "expected a JSON object, found a string"),
    ("", "empty line"),
    (#"{"a": [1, 2}"#, "expected ',' or ']'"),
  ])
  func rejectsMalformedJSONWithAReason(input: String, reason: String) {
    guard case .failure(let why) = parse(input) else {
      Issue.record("accepted \(input)")
      return
    }
    #expect(why.reason.contains(reason), "\(input): \(why.reason)")
  }

  @Test func errorsNameTheColumn() {
    guard case .failure(let why) = parse(#"{"a": 1, "b": ?}"#) else {
      Issue.record("accepted")
      return
    }
    #expect(why.reason.contains("column 15"), "\(why.reason)")
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep =
      "{\"a\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
    guard case .failure(let why) = parse(deep) else {
      Issue.record("accepted")
      return
    }
    #expect(why.reason.contains("nesting deeper"))
  }
}

@Suite struct LiteralSetTests {
  func naive(_ needles: [String], _ text: String, ignoringCase: Bool) -> [(Int, Int)] {
    let t = Array(text.utf8).map { ignoringCase ? LiteralSet.fold($0) : $0 }
    var out: [(Int, Int)] = []
    for offset in t.indices {
      for (k, n) in needles.enumerated() {
        let nb = Array(n.utf8).map { ignoringCase ? LiteralSet.fold($0) : $0 }
        if offset + nb.count <= t.count && Array(t[offset..<offset + nb.count]) == nb {
          out.append((offset, k))
        }
      }
    }
    return out
  }

  @Test func findsEveryOccurrenceLikeANaiveSearch() {
    let needles = ["duplicate of", "Diversify", "<|im_end|>", "ab", "x", "vary "]
    let text = "We VARY the opening; DUPLICATE OF 3886 and diversify by… <|im_end|> abx ab xx duplicate o"
    for ignoringCase in [true, false] {
      let set = LiteralSet(needles, ignoringASCIICase: ignoringCase)
      var found: [(Int, Int)] = []
      var t = text
      t.withUTF8 { buffer in
        set.forEachMatch(in: buffer) { needle, offset in
          found.append((offset, needle))
          return true
        }
      }
      let expected = naive(needles, text, ignoringCase: ignoringCase)
      #expect(
        found.sorted { $0 < $1 }.map { "\($0.0):\($0.1)" }
          == expected.sorted { $0 < $1 }.map { "\($0.0):\($0.1)" })
    }
  }

  @Test func wordStartModeFindsEveryMatchAtAWordStart() {
    var rng = SystemRandomNumberGenerator()
    let needles = ["duplicate of", "diversify ", "vary ", "note to self", "same as "]
    let pieces = [
      "duplicate of", "Diversify ", "VARY ", "note to self", "same as ", "x", "_", "9", " ", "é", "—", "\n",
    ]
    for ignoringCase in [true, false] {
      let set = LiteralSet(needles, ignoringASCIICase: ignoringCase)
      for _ in 0..<2000 {
        let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
          .joined()
        let bytes = Array(text.utf8)
        let expected = naive(needles, text, ignoringCase: ignoringCase).filter { offset, _ in
          offset == 0 || !LiteralSet.isWordByte(bytes[offset - 1])
        }
        var found: [(Int, Int)] = []
        bytes.withUnsafeBufferPointer { buffer in
          set.forEachMatch(in: buffer, wordStartsOnly: true) { needle, offset in
            if offset == 0 || !LiteralSet.isWordByte(buffer[offset - 1]) { found.append((offset, needle)) }
            return true
          }
        }
        #expect(found.map { "\($0.0):\($0.1)" } == expected.map { "\($0.0):\($0.1)" }, "\(text)")
      }
    }
  }

  /// Hundreds of needles, many sharing their first four bytes (`keep the …`, `per the …`) and
  /// some only under the case mask (`@abc`, `` `abc ``): every match is found, and the matches
  /// at one offset come in needle order.
  @Test func manyNeedlesSharingHeadsComeInNeedleOrder() {
    var needles: [String] = []
    for lead in ["keep the ", "keep ", "per the ", "perhaps ", "todo: "] {
      for word in ["persona", "person", "pers", "tone", "names", "name", "n", "style", "city", "cit"] {
        needles.append(lead + word)
      }
    }
    needles += (0..<150).map { "w\($0)x" } + ["@abc", "`abc", "@ABC", "dup:", "dup "]
    var rng = SystemRandomNumberGenerator()
    let pieces = [
      "keep the ", "KEEP ", "per the ", "Perhaps ", "todo: ", "persona", "person", "names", "tone", "style",
      "city", " ", "w12x", "w149x", "w7", "@abc", "`ABC", "@ABC", "dup: ", "x", "\n",
    ]
    for ignoringCase in [true, false] {
      let set = LiteralSet(needles, ignoringASCIICase: ignoringCase)
      for _ in 0..<200 {
        let text = (0..<Int.random(in: 0...16, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
          .joined()
        var found: [String] = []
        var t = text
        t.withUTF8 { buffer in
          set.forEachMatch(in: buffer) { needle, offset in
            found.append("\(offset):\(needle)")
            return true
          }
        }
        // The naive search lists each offset's needles in needle order.
        #expect(
          found == naive(needles, text, ignoringCase: ignoringCase).map { "\($0.0):\($0.1)" }, "\(text)")
      }
    }
  }

  @Test func caseSensitiveSetsDoNotFold() {
    let set = LiteralSet(["<bos>"], ignoringASCIICase: false)
    #expect(!set.containsAny("<BOS> text"))
    #expect(set.containsAny("x<bos>"))
    #expect(LiteralSet(["<bos>"], ignoringASCIICase: true).containsAny("<BOS> text"))
  }

  @Test func asciiCheckSeesAHighByteAnywhere() {
    for position in 0..<40 {
      var bytes = [UInt8](repeating: 0x61, count: 40)
      bytes[position] = 0xC3
      #expect(!bytes.withUnsafeBufferPointer(ByteSearch.isASCII), "\(position)")
    }
    #expect(ByteSearch.isASCII(String(repeating: "plain text ", count: 10)))
  }
}

@Suite struct SWARTests {
  @Test func masksAgreeWithByteByByteTestsOnRandomWords() {
    var rng = SystemRandomNumberGenerator()
    let interesting: [UInt8] = [
      0x00, 0x01, 0x09, 0x0A, 0x0D, 0x0E, 0x1F, 0x20, 0x21, 0x22, 0x41, 0x5A, 0x5B, 0x5C, 0x61, 0x7F, 0x80,
      0xC3, 0xFF,
    ]
    for _ in 0..<20_000 {
      let bytes = (0..<8).map { _ in
        Bool.random(using: &rng)
          ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
      }
      let v = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
      for target: UInt8 in [0x20, 0x22, 0x5C, 0x0A] {
        let expected = bytes.enumerated().reduce(UInt64(0)) {
          $0 | ($1.element == target ? 0x80 << (8 * UInt64($1.offset)) : 0)
        }
        #expect(SWAR.equalMask(v, target) == expected)
      }
      #expect(SWAR.hasByteBelow(v, 0x20) == bytes.contains { $0 < 0x20 })
      for (lo, hi): (UInt8, UInt8) in [(0x61, 0x7A), (0x30, 0x39), (0x09, 0x0D), (0x00, 0x7F)] {
        let expected = bytes.enumerated().reduce(UInt64(0)) {
          $0 | ($1.element >= lo && $1.element <= hi ? 0x80 << (8 * UInt64($1.offset)) : 0)
        }
        #expect(SWAR.rangeMask(v, lo, hi) == expected, "\(bytes) in \(lo)...\(hi)")
        #expect(SWAR.count(expected) == expected.nonzeroBitCount)
      }
      #expect(SWAR.hasByteBelow(v, 0x0E) == bytes.contains { $0 < 0x0E })
      let folded = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
      #expect(
        SWAR.foldASCIICase(v)
          == folded.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }
  }
}
