import Foundation
import Testing

@testable import EvalCore

/// An invalid UTF-8 line says where in the line its first bad byte is.
@Suite struct InvalidUTF8OffsetTests {
  func line(_ bytes: [UInt8], offset: Int = 100) -> JSONLLine {
    // A slice that does not start at 0, as the reader hands out.
    let padded = [0x41, 0x41] + bytes
    return JSONLLine(number: 3, offset: offset, bytes: padded[2...])
  }

  @Test func findsTheFirstIllFormedSequence() {
    let cases: [([UInt8], Int?)] = [
      (Array("{\"a\":\"ok é 中 😀\"}".utf8), nil),
      ([0x7B, 0xFF, 0x7D], 1),  // a byte that never starts a sequence
      ([0x61, 0xC3], 1),  // cut short at the end
      ([0x61, 0xC3, 0x61], 1),  // a lead byte without its continuation
      ([0xC3, 0xA9, 0x80], 2),  // a stray continuation byte
      ([0x61, 0xC0, 0xAF], 1),  // overlong two-byte form
      ([0x61, 0x62, 0xE0, 0x80, 0x80], 2),  // overlong three-byte form
      ([0xED, 0xA0, 0x80], 0),  // a surrogate
      ([0xF4, 0x90, 0x80, 0x80], 0),  // past U+10FFFF
      ([0xF0, 0x9F, 0x98], 0),  // a four-byte sequence cut short
      ([0xEF, 0xBB, 0xBF, 0x7B, 0xFE], 4),  // after a byte-order mark: counted in the line
      ([0x7B, 0x7D, 0x80, 0x0D], 2),  // a trailing \r is not the culprit
    ]
    for (bytes, want) in cases {
      let l = line(bytes)
      #expect(l.firstInvalidUTF8Offset == want, "\(bytes)")
      #expect(l.isValidUTF8 == (want == nil), "\(bytes)")
    }
  }

  @Test func issuesNameTheByte() {
    let l = line(Array("{\"id\":\"b\",\"t\":\"".utf8) + [0xFF, 0x22, 0x7D])
    guard case .failure(let issue) = JSONLine.object(from: l) else {
      Issue.record("an invalid line parsed")
      return
    }
    #expect(issue.kind == .invalidUTF8(at: 15))
    #expect(issue.kind.code == "invalid_utf8")
    #expect(issue.description == "line 3 (byte 100): invalid UTF-8 at byte 15 of the line (file byte 115)")
  }

  /// Issues written before the offset existed (shard reports of earlier versions) still load.
  @Test func issuesWithoutAnOffsetStillDecode() throws {
    let old = Data(#"{"line":3,"offset":100,"length":4,"kind":{"invalidUTF8":{}}}"#.utf8)
    let issue = try JSONDecoder().decode(LineIssue.self, from: old)
    #expect(issue.kind == .invalidUTF8(at: nil))
    #expect(issue.description == "line 3 (byte 100): invalid UTF-8")
    let again = try JSONDecoder().decode(LineIssue.self, from: try JSONEncoder().encode(issue))
    #expect(again == issue)
    let legacyJSON = Data(
      #"{"line":3,"offset":100,"length":4,"kind":{"invalidJSON":{"_0":"not an object"}}}"#.utf8)
    #expect(try JSONDecoder().decode(LineIssue.self, from: legacyJSON).kind == .invalidJSON("not an object"))
  }

  /// A report names an issue by its stable code with the case's detail, not by Swift's
  /// encoding of the enum, and reads it back.
  @Test func issuesEncodeByTheirCode() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let kinds: [(LineIssueKind, String)] = [
      (.invalidJSON("expected ':'"), #"{"code":"invalid_json","reason":"expected ':'"}"#),
      (.invalidUTF8(at: 12), #"{"at":12,"code":"invalid_utf8"}"#),
      (.invalidUTF8(at: nil), #"{"code":"invalid_utf8"}"#),
      (.missingField("messages.0.role"), #"{"code":"missing_field","field":"messages.0.role"}"#),
      (.lineTooLong(length: 70_000_000), #"{"code":"line_too_long","length":70000000}"#),
    ]
    for (kind, json) in kinds {
      #expect(String(decoding: try encoder.encode(kind), as: UTF8.self) == json)
      #expect(try JSONDecoder().decode(LineIssueKind.self, from: Data(json.utf8)) == kind)
    }
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(LineIssueKind.self, from: Data(#"{"code":"gremlins"}"#.utf8))
    }
  }
}
