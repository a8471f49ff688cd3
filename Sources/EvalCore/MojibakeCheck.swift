#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Detects mojibake: UTF-8 text that was decoded as Latin-1 or Windows-1252 (`cafÃ©`, `itâ€™s`).
///
/// Each candidate sequence is mapped back to the bytes Windows-1252 would have produced, and
/// counts only if those bytes form a valid multi-byte UTF-8 character, so real accented text
/// (`Ça`, `Ã` alone) does not trigger it. U+FFFD replacement characters are counted too.
public struct MojibakeCheck: Sendable, Hashable, Codable {
  /// Sequences needed to flag a text. Default 1.
  public var minSequences: Int
  /// Whether U+FFFD replacement characters count as mojibake. Default `true`.
  public var countReplacementCharacters: Bool

  /// Creates a check.
  public init(minSequences: Int = 1, countReplacementCharacters: Bool = true) {
    self.minSequences = minSequences
    self.countReplacementCharacters = countReplacementCharacters
  }

  /// What was found.
  public struct Finding: Sendable, Hashable, Codable {
    /// Number of mis-decoded sequences.
    public var sequences: Int
    /// Number of U+FFFD characters.
    public var replacementCharacters: Int
    /// The first mis-decoded sequence and what it should have been, e.g. `Ã© → é`.
    public var example: String?
  }

  /// Returns the finding when the text holds mojibake, else `nil`.
  public func detect(in text: String) -> Finding? {
    var sequences = 0
    var replacements = 0
    var example: String? = nil
    var text = text
    guard text.withUTF8({ Self.mayContain($0) }) else { return nil }
    let scalars = Array(text.unicodeScalars)
    var i = 0
    while i < scalars.count {
      let v = scalars[i].value
      if v == 0xFFFD {
        replacements += 1
        i += 1
        continue
      }
      guard v >= 0xC2 && v <= 0xF4 else {
        i += 1
        continue
      }
      let needed = v < 0xE0 ? 1 : (v < 0xF0 ? 2 : 3)
      var bytes: [UInt8] = [UInt8(v)]
      var ok = true
      for k in 1...needed {
        guard i + k < scalars.count, let b = Self.cp1252Byte(scalars[i + k]), b >= 0x80, b <= 0xBF else {
          ok = false
          break
        }
        bytes.append(b)
      }
      if ok, let decoded = String(validating: bytes, as: UTF8.self), decoded.unicodeScalars.count == 1 {
        sequences += 1
        if example == nil {
          let original = String(String.UnicodeScalarView(scalars[i...(i + needed)]))
          example = "\(original) → \(decoded)"
        }
        i += needed + 1
      } else {
        i += 1
      }
    }
    let total = sequences + (countReplacementCharacters ? replacements : 0)
    guard total >= minSequences, total > 0 else { return nil }
    return Finding(sequences: sequences, replacementCharacters: replacements, example: example)
  }

  /// The byte Windows-1252 (falling back to Latin-1) encodes `scalar` as, if any.
  /// Whether UTF-8 `bytes` can hold mojibake or a replacement character: a scalar in
  /// U+00C2…U+00F4 (bytes `C3 82`…`C3 B4`) or U+FFFD (`EF BF BD`). Most text has neither, and
  /// two byte searches settle it.
  package static func mayContain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress, !ByteSearch.isASCII(bytes) else { return false }
    var i = 0
    while i < bytes.count, let hit = memchr(base + i, 0xC3, bytes.count - i) {
      let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
      if at + 1 < bytes.count && bytes[at + 1] >= 0x82 && bytes[at + 1] <= 0xB4 { return true }
      i = at + 1
    }
    return ByteSearch.contains(bytes, [0xEF, 0xBF, 0xBD])
  }

  static func cp1252Byte(_ scalar: Unicode.Scalar) -> UInt8? {
    let v = scalar.value
    if v < 0x80 || (v >= 0xA0 && v <= 0xFF) { return UInt8(v) }
    if v >= 0x80 && v <= 0x9F { return UInt8(v) }  // Latin-1 C1 controls
    switch v {
    case 0x20AC: return 0x80
    case 0x201A: return 0x82
    case 0x0192: return 0x83
    case 0x201E: return 0x84
    case 0x2026: return 0x85
    case 0x2020: return 0x86
    case 0x2021: return 0x87
    case 0x02C6: return 0x88
    case 0x2030: return 0x89
    case 0x0160: return 0x8A
    case 0x2039: return 0x8B
    case 0x0152: return 0x8C
    case 0x017D: return 0x8E
    case 0x2018: return 0x91
    case 0x2019: return 0x92
    case 0x201C: return 0x93
    case 0x201D: return 0x94
    case 0x2022: return 0x95
    case 0x2013: return 0x96
    case 0x2014: return 0x97
    case 0x02DC: return 0x98
    case 0x2122: return 0x99
    case 0x0161: return 0x9A
    case 0x203A: return 0x9B
    case 0x0153: return 0x9C
    case 0x017E: return 0x9E
    case 0x0178: return 0x9F
    default: return nil
    }
  }
}
