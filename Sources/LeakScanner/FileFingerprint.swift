import Foundation

/// A cheap fingerprint of a file's content: its size and a hash of sampled blocks (the first
/// and last 64 KiB and sixteen 4 KiB blocks evenly spread between).
///
/// Shard reports carry it so that ``ShardMerger`` merges shards scanned from copies of one file
/// at different paths (a batch job per node), and refuses shards of different versions of it.
/// It guards against mixing versions, not against tampering: an edit that keeps the size and
/// falls between the samples goes unseen.
enum FileFingerprint {
  static let edgeBytes = 64 << 10
  static let samples = 16
  static let sampleBytes = 4 << 10

  /// The fingerprint of the file at `path`, `size-hash` in hexadecimal.
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when it cannot be read.
  static func of(path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw EvalCoreError.unreadableFile(path: path, reason: "cannot open it")
    }
    defer { try? handle.close() }
    let size: Int
    do {
      size = Int(try handle.seekToEnd())
    } catch {
      throw EvalCoreError.unreadableFile(path: path, reason: "\(error)")
    }
    var spans: [Range<Int>] = [0..<min(size, edgeBytes), max(0, size - edgeBytes)..<size]
    for k in 1...samples {
      let start = size * k / (samples + 1)
      spans.append(start..<min(size, start + sampleBytes))
    }
    var hash = Hash()
    hash.add(UInt64(size))
    for span in spans where !span.isEmpty {
      do {
        try handle.seek(toOffset: UInt64(span.lowerBound))
        let data = try handle.read(upToCount: span.count) ?? Data()
        hash.add(UInt64(span.lowerBound))
        data.withUnsafeBytes { hash.add($0) }
      } catch {
        throw EvalCoreError.unreadableFile(path: path, reason: "\(error)")
      }
    }
    return "\(size)-" + String(hash.value, radix: 16)
  }

  /// A 64-bit hash of words and bytes, in the order added.
  struct Hash {
    private(set) var value: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func add(_ word: UInt64) {
      value = (value ^ word) &* 0xFF51_AFD7_ED55_8CCD
      value ^= value >> 33
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
      var i = 0
      while i + 8 <= bytes.count {
        add(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        i += 8
      }
      var last: UInt64 = UInt64(bytes.count - i)
      while i < bytes.count {
        last = last << 8 | UInt64(bytes[i])
        i += 1
      }
      add(last)
    }
  }
}
