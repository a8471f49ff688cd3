/// A coarse Unicode script classification used by the script-drift check.
public enum ScriptClass: String, Sendable, Codable, Hashable, CaseIterable {
  /// Latin letters (ASCII and accented).
  case latin
  /// Greek.
  case greek
  /// Cyrillic.
  case cyrillic
  /// Armenian.
  case armenian
  /// Hebrew.
  case hebrew
  /// Arabic.
  case arabic
  /// Devanagari and other Indic scripts.
  case indic
  /// Thai, Lao, Khmer, Myanmar.
  case southeastAsian
  /// Georgian.
  case georgian
  /// Hangul (Korean).
  case hangul
  /// Hiragana and Katakana.
  case kana
  /// Han ideographs (Chinese, Japanese kanji).
  case han
  /// Other letters.
  case otherLetter
  /// Digits, punctuation, symbols, whitespace, emoji: neutral for drift.
  case common

  /// Classifies one scalar.
  public static func of(_ scalar: Unicode.Scalar) -> ScriptClass {
    let v = scalar.value
    switch v {
    case 0x41...0x5A, 0x61...0x7A: return .latin
    case 0..<0x80: return .common
    case 0xC0...0x24F, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xFF21...0xFF3A, 0xFF41...0xFF5A:
      return v == 0xD7 || v == 0xF7 ? .common : .latin
    case 0x370...0x3FF, 0x1F00...0x1FFF: return .greek
    case 0x400...0x52F, 0x2DE0...0x2DFF, 0xA640...0xA69F: return .cyrillic
    case 0x530...0x58F: return .armenian
    case 0x590...0x5FF: return .hebrew
    case 0x600...0x6FF, 0x750...0x77F, 0x8A0...0x8FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF: return .arabic
    case 0x900...0xDFF: return .indic
    case 0xE00...0xEFF, 0x1000...0x109F, 0x1780...0x17FF: return .southeastAsian
    case 0x10A0...0x10FF: return .georgian
    case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: return .hangul
    case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return .kana
    case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF: return .han
    case 0x2000...0x206F, 0x2190...0x23FF, 0x2500...0x27BF, 0xFF00...0xFF20, 0xFF3B...0xFF40, 0xFF5B...0xFF65:
      // Blocks of punctuation and symbols without an alphabetic scalar (general punctuation,
      // arrows to miscellaneous technical, box drawing to dingbats, fullwidth punctuation; the
      // `｜` and `▁` of DeepSeek's special tokens among them): decided without the property
      // lookup, which costs more than the rest of this function. A test checks every scalar.
      return .common
    default:
      return scalar.properties.isAlphabetic ? .otherLetter : .common
    }
  }

  /// Whether the non-ASCII scalar `v` is white space (`Unicode.Scalar.Properties.isWhitespace`),
  /// from the property's short list instead of a lookup.
  @inline(__always) package static func isNonASCIIWhitespace(_ v: UInt32) -> Bool {
    switch v {
    case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
  }

  /// Scripts written without spaces between words.
  /// A distinct bit per class, for sets tested once per character.
  package var bit: UInt32 {
    switch self {
    case .latin: return 1 << 0
    case .greek: return 1 << 1
    case .cyrillic: return 1 << 2
    case .armenian: return 1 << 3
    case .hebrew: return 1 << 4
    case .arabic: return 1 << 5
    case .indic: return 1 << 6
    case .southeastAsian: return 1 << 7
    case .georgian: return 1 << 8
    case .hangul: return 1 << 9
    case .kana: return 1 << 10
    case .han: return 1 << 11
    case .otherLetter: return 1 << 12
    case .common: return 1 << 13
    }
  }

  public var isWrittenWithoutSpaces: Bool {
    switch self {
    case .han, .kana, .southeastAsian: return true
    default: return false
    }
  }
}
