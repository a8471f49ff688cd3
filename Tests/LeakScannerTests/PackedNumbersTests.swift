import Foundation
import Testing

@testable import LeakScanner

@Suite struct PackedNumbersTests {
  func state(signatures: [[UInt16]]?) -> ScanReport.MergeState {
    ScanReport.MergeState(
      flaggedLines: [1, 5, 1 << 40],
      rowHashes: [.init(line: 1, hash: .max), .init(line: 2, hash: 0), .init(line: 7, hash: 1 << 63)],
      rowOffsets: [.init(line: 1, offset: 0), .init(line: 2, offset: 1 << 33), .init(line: 7, offset: 99)],
      signatures: signatures,
      signatureLines: signatures.map { Array(1...$0.count) }, discovery: DiscoveryStats(),
      nearDuplicateThreshold: 0.8, minHasher: MinHasher(permutations: 4, bands: 2), exactDuplicates: true,
      nearDuplicates: signatures != nil, discoveryMinShare: 0.01, discoveryHighConfidenceShare: 0.05,
      configuration: "c", fileSize: 10, fileFingerprint: "f")
  }

  @Test(arguments: [nil, [[1, 2, 3, UInt16.max], [0, 0, 0, 9]]] as [[[UInt16]]?])
  func mergeStateColumnsRoundTripPacked(signatures: [[UInt16]]?) throws {
    let original = state(signatures: signatures)
    let data = try JSONEncoder().encode(original)
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    // Each column is one string, not an array of arrays.
    #expect((json["rowHashes"] as? String)?.hasPrefix("fieldeval-packed-v1:u64:2:") == true)
    #expect((json["flaggedLines"] as? String)?.hasPrefix("fieldeval-packed-v1:i64:1:") == true)
    #expect(
      ((json["signatures"] as? String)?.hasPrefix("fieldeval-packed-v1:u16:4:") ?? false)
        == (signatures != nil))
    let back = try JSONDecoder().decode(ScanReport.MergeState.self, from: data)
    #expect(back.flaggedLines == original.flaggedLines)
    #expect(back.rowHashes == original.rowHashes)
    #expect(back.rowOffsets == original.rowOffsets)
    #expect(back.signatures == original.signatures)
    #expect(back.signatureLines == original.signatureLines)
    #expect(back.fileFingerprint == "f" && back.configuration == "c" && back.minHasher.permutations == 4)
  }

  /// Shard reports of earlier versions hold the columns as arrays; they are still read.
  @Test func arraysOfEarlierVersionsAreRead() throws {
    let original = state(signatures: [[1, 2, 3, 4]])
    let data = try JSONEncoder().encode(original)
    var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    json["flaggedLines"] = original.flaggedLines
    json["rowHashes"] = original.rowHashes.map { [NSNumber(value: $0.line), NSNumber(value: $0.hash)] }
    json["rowOffsets"] = original.rowOffsets?.map { [$0.line, $0.offset] }
    json["signatures"] = original.signatures?.map { $0.map(Int.init) }
    json["signatureLines"] = original.signatureLines
    let legacy = try JSONSerialization.data(withJSONObject: json)
    let back = try JSONDecoder().decode(ScanReport.MergeState.self, from: legacy)
    #expect(back.flaggedLines == original.flaggedLines)
    #expect(back.rowHashes == original.rowHashes)
    #expect(back.rowOffsets == original.rowOffsets)
    #expect(back.signatures == original.signatures)
  }

  @Test(arguments: [
    "fieldeval-packed-v1:u64:2:!!!", "fieldeval-packed-v1:u64:2:AAAA",
    "fieldeval-packed-v1:u16:2:AAAAAAAAAAA=",
    "fieldeval-packed-v1:u64:0:", "something else",
    "fieldeval-packed-v1:u64:9223372036854775807:AAAAAAAAAAA=",
  ])
  func damagedColumnsAreReportedByKey(column: String) throws {
    let data = try JSONEncoder().encode(state(signatures: nil))
    var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    json["rowHashes"] = column
    let damaged = try JSONSerialization.data(withJSONObject: json)
    #expect {
      _ = try JSONDecoder().decode(ScanReport.MergeState.self, from: damaged)
    } throws: { error in
      guard case DecodingError.dataCorrupted(let context) = error else { return false }
      return context.codingPath.last?.stringValue == "rowHashes" && !context.debugDescription.isEmpty
    }
  }

  @Test func pairsOfAnotherWidthOrLineOutOfRangeAreRefused() throws {
    let data = try JSONEncoder().encode(state(signatures: nil))
    var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    for column in [
      PackedNumbers.pack([1, 2, 3] as [UInt64], width: 3),  // rows of three
      PackedNumbers.pack([UInt64.max, 7] as [UInt64], width: 2),  // a line beyond Int
    ] {
      json["rowHashes"] = column
      let damaged = try JSONSerialization.data(withJSONObject: json)
      #expect(throws: DecodingError.self) {
        _ = try JSONDecoder().decode(ScanReport.MergeState.self, from: damaged)
      }
    }
    json["rowHashes"] = [[1, 2, 3]]  // an array row of three (earlier versions' form)
    let damaged = try JSONSerialization.data(withJSONObject: json)
    #expect(throws: DecodingError.self) {
      _ = try JSONDecoder().decode(ScanReport.MergeState.self, from: damaged)
    }
  }

  /// Signatures of another length than the hasher's, or without a line each, would trap in
  /// the LSH banding or lose rows: refused when read.
  @Test func signaturesMustFitTheHasher() throws {
    let data = try JSONEncoder().encode(state(signatures: [[1, 2, 3, 4], [5, 6, 7, 8]]))
    var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    json["signatures"] = PackedNumbers.pack([1, 2, 3, 4] as [UInt16], width: 2)
    var damaged = try JSONSerialization.data(withJSONObject: json)
    #expect {
      _ = try JSONDecoder().decode(ScanReport.MergeState.self, from: damaged)
    } throws: { error in
      guard case DecodingError.dataCorrupted(let context) = error else { return false }
      return context.codingPath.last?.stringValue == "signatures"
    }
    json["signatures"] = PackedNumbers.pack([1, 2, 3, 4, 5, 6, 7, 8] as [UInt16], width: 4)
    json["signatureLines"] = PackedNumbers.pack([1] as [Int], width: 1)
    damaged = try JSONSerialization.data(withJSONObject: json)
    #expect {
      _ = try JSONDecoder().decode(ScanReport.MergeState.self, from: damaged)
    } throws: { error in
      guard case DecodingError.dataCorrupted(let context) = error else { return false }
      return context.codingPath.last?.stringValue == "signatureLines"
    }
  }

  @Test func rowsOfAnotherWidthAreRefusedWhenWriting() {
    var bad = state(signatures: [[1, 2, 3]])  // three numbers where the hasher makes four
    bad.nearDuplicates = true
    #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode(bad) }
  }
}
