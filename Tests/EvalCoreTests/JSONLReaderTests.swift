import Foundation
import TestSupport
import Testing

@testable import EvalCore

@Suite struct JSONLReaderTests {
  @Test func deliversLinesWithNumbersAndOffsets() throws {
    let dir = TempDir()
    let path = dir.file("a.jsonl", "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}")
    var lines: [(Int, Int, String)] = []
    try JSONLReader(path: path, chunkBytes: 1024).forEachLine { line in
      lines.append((line.number, line.offset, String(decoding: line.content, as: UTF8.self)))
    }
    #expect(lines.map(\.0) == [1, 2, 3, 4])
    #expect(lines.map(\.1) == [0, 8, 9, 18])
    #expect(lines.map(\.2) == ["{\"a\":1}", "", "{\"b\":2}", "{\"c\":3}"])
  }

  @Test func linesSpanningChunkBoundaries() throws {
    let dir = TempDir()
    let rows = (0..<500).map { "{\"id\":\"\($0)\",\"output\":\"\(String(repeating: "x", count: $0 % 97))\"}" }
    let path = dir.file("b.jsonl", rows.joined(separator: "\n") + "\n")
    var seen: [String] = []
    try JSONLReader(path: path, chunkBytes: 1024).forEachLine {
      seen.append(String(decoding: $0.bytes, as: UTF8.self))
    }
    #expect(seen == rows)
  }

  @Test func oversizedLineIsReportedWithoutBufferingAndReadingGoesOn() throws {
    let dir = TempDir()
    let long = "{\"output\":\"" + String(repeating: "y", count: 10_000) + "\"}"
    let path = dir.file("c.jsonl", "{\"a\":1}\n" + long + "\n{\"b\":2}\n")
    var numbers: [Int] = []
    var issues: [LineIssue] = []
    try JSONLReader(path: path, maxLineBytes: 2048, chunkBytes: 1024).forEachLine {
      numbers.append($0.number)
    } onOversizedLine: {
      issues.append($0)
    }
    #expect(numbers == [1, 3])
    #expect(issues.count == 1)
    #expect(issues.first?.line == 2)
    #expect(issues.first?.offset == 8)
    #expect(issues.first?.length == long.utf8.count)
    #expect(issues.first?.kind == .lineTooLong(length: long.utf8.count))
  }

  /// Lines of every length about the limit, and far over it (the last without a newline), are
  /// each delivered whole or reported with their offset and length, read whole, by byte
  /// ranges, or from a pipe (where a line's length cannot be looked up ahead).
  @Test func linesOverTheLimitAreReportedAtEveryLengthInFilesRangesAndPipes() throws {
    struct Seen: Equatable {
      var line: Int
      var offset: Int
      var length: Int
      var tooLong: Bool
    }
    let dir = TempDir()
    let limit = 3000
    let lengths = [
      10, limit, limit + 1, 5, 2 * limit, limit - 1, 0, 10 * limit, 1500, limit + 2, 4 * limit, 9 * limit + 5,
    ]
    var bytes: [UInt8] = []
    var want: [Seen] = []
    for (i, n) in lengths.enumerated() {
      want.append(Seen(line: i + 1, offset: bytes.count, length: n, tooLong: n > limit))
      bytes += (0..<n).map { UInt8(ascii: "a") + UInt8(($0 + i) % 26) }
      if i < lengths.count - 1 { bytes.append(0x0A) }
    }
    let path = dir.file("long.jsonl", bytes: bytes)
    func read(_ reader: JSONLReader) throws -> [Seen] {
      var seen: [Seen] = []
      try reader.forEachLine { line in
        #expect(line.bytes.elementsEqual(bytes[line.offset..<(line.offset + line.bytes.count)]))
        seen.append(Seen(line: line.number, offset: line.offset, length: line.bytes.count, tooLong: false))
      } onOversizedLine: { issue in
        #expect(issue.kind == .lineTooLong(length: issue.length))
        seen.append(Seen(line: issue.line, offset: issue.offset, length: issue.length, tooLong: true))
      }
      return seen
    }
    #expect(try read(JSONLReader(path: path, maxLineBytes: limit, chunkBytes: 1024)) == want)
    for shards in [2, 3, 5, 8] {
      var seen: [Seen] = []
      for k in 0..<shards {
        let range = (bytes.count * k / shards)..<(bytes.count * (k + 1) / shards)
        seen += try read(JSONLReader(path: path, maxLineBytes: limit, chunkBytes: 1024, byteRange: range))
      }
      #expect(seen == want, "\(shards) ranges")
    }
    let fifo = dir.path("pipe")
    try #require(mkfifo(fifo, 0o600) == 0)
    let writer = Thread { [bytes] in
      let fd = open(fifo, O_WRONLY)
      guard fd >= 0 else { return }
      defer { close(fd) }
      bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
          let n = write(fd, raw.baseAddress! + done, raw.count - done)
          if n <= 0 { return }
          done += n
        }
      }
    }
    writer.start()
    #expect(try read(JSONLReader(path: fifo, maxLineBytes: limit, chunkBytes: 1024)) == want)
  }

  @Test func byteRangesPartitionTheFileExactly() throws {
    let dir = TempDir()
    let rows = (0..<300).map {
      "{\"id\":\"r\($0)\",\"pad\":\"\(String(repeating: "z", count: ($0 * 7) % 50))\"}"
    }
    let path = dir.file("d.jsonl", rows.joined(separator: "\n") + "\n")
    let size = try JSONLReader(path: path).fileSize()
    for shards in [1, 2, 3, 7] {
      var all: [(Int, String)] = []
      for k in 0..<shards {
        let range = (size * k / shards)..<(size * (k + 1) / shards)
        try JSONLReader(path: path, chunkBytes: 1024, byteRange: range).forEachLine {
          all.append(($0.number, String(decoding: $0.bytes, as: UTF8.self)))
        }
      }
      #expect(all.map(\.1) == rows, "shards=\(shards)")
      #expect(all.map(\.0) == Array(1...300), "shards=\(shards)")
    }
  }

  /// Given the newlines before its range (counted by ``JSONLReader/countNewlines(in:)``), a
  /// reader numbers lines as one that counts them itself, wherever the range starts: mid-line,
  /// right after a newline, on a blank line, past the end.
  @Test func knownNewlinesBeforeARangeNumberLinesTheSame() throws {
    let dir = TempDir()
    let rows = (0..<120).map {
      $0 % 9 == 4 ? "" : "{\"id\":\"r\($0)\",\"pad\":\"\(String(repeating: "q", count: $0 % 13))\"}"
    }
    let path = dir.file("n.jsonl", rows.joined(separator: "\n") + "\n")
    let reader = JSONLReader(path: path, chunkBytes: 1024)
    let size = try reader.fileSize()
    #expect(try reader.countNewlines(in: 0..<size) == rows.count)
    for start in Array(stride(from: 0, through: size + 3, by: 7)) + [size - 1, size] {
      let counting = JSONLReader(path: path, chunkBytes: 1024, byteRange: start..<(size + 5))
      var told = counting
      told.newlinesBefore = try reader.countNewlines(in: 0..<start)
      var a: [(Int, Int)] = []
      var b: [(Int, Int)] = []
      try counting.forEachLine { a.append(($0.number, $0.offset)) }
      try told.forEachLine { b.append(($0.number, $0.offset)) }
      #expect(a.map(\.0) == b.map(\.0), "start \(start)")
      #expect(a.map(\.1) == b.map(\.1), "start \(start)")
    }
  }

  /// Counting refuses what reading refuses, with the same reason, before reading it through.
  @Test func countingNewlinesRefusesCompressedFilesAndDirectories() throws {
    let dir = TempDir()
    let gz = dir.file("c.jsonl", bytes: [0x1F, 0x8B, 0x08, 0x00, 0x0A, 0x0A])
    #expect {
      try JSONLReader(path: gz).countNewlines(in: 0..<6)
    } throws: { "\($0)".contains("gzip-compressed") }
    #expect {
      try JSONLReader(path: dir.url.path).countNewlines(in: 0..<1)
    } throws: { "\($0)".contains("is a directory") }
  }

  @Test func missingFileThrowsAnErrorNamingThePath() {
    #expect(throws: EvalCoreError.self) {
      try JSONLReader(path: "/nonexistent/outputs.jsonl").forEachLine { _ in }
    }
    do {
      try JSONLReader(path: "/nonexistent/outputs.jsonl").forEachLine { _ in }
    } catch {
      #expect("\(error)".contains("/nonexistent/outputs.jsonl"))
    }
  }
}

@Suite struct OutputRecordReaderTests {
  @Test func readsRecordsAndReportsEveryBadLine() throws {
    let dir = TempDir()
    var bytes = Array(
      """
      {"id":"a","category":"math","output":"<think>x</think>4","completion_tokens":12,"max_new_tokens":64,"finish_reason":"stop"}
      {"id":"b","output":
      [1,2,3]
      {"id":"c","prompt":"no output"}

      """.utf8)
    bytes += Array("{\"id\":\"d\",\"output\":\"caf".utf8) + [0xE9] + Array("\"}\n".utf8)
    bytes += Array("{\"id\":7,\"output\":\"fine\",\"finish_reason\":\"length\"}\n".utf8)
    let path = dir.file("o.jsonl", bytes: bytes)
    let (records, issues) = try OutputRecordReader(path: path).readAll()
    #expect(records.map(\.id) == ["a", "7"])
    #expect(records[0].category == "math")
    #expect(records[0].completionTokens == 12)
    #expect(records[0].maxNewTokens == 64)
    #expect(records[0].finishReason == .stop)
    #expect(records[1].finishReason == .length)
    #expect(issues.map(\.line) == [2, 3, 4, 5])
    #expect(issues.map(\.kind.code) == ["invalid_json", "invalid_json", "missing_field", "invalid_utf8"])
    #expect(issues[2].kind == .missingField("output"))
    #expect(issues[1].description.contains("expected a JSON object"))
  }

  /// A token count is a whole number from 0: `1e30`, `true`, `-3` and `2.5` are malformed lines
  /// naming the field, not counts read as something else; `12.0` and `"12"` are 12.
  @Test func tokenCountsThatAreNotCountsAreReported() throws {
    let dir = TempDir()
    let values = ["1e30", "true", "-3", "2.5", "\"many\"", "12.0", "\"12\"", "12", "null", "0", "1", "1.0"]
    let lines = values.map {
      #"{"output":"<think>x</think>4","completion_tokens":\#($0),"max_new_tokens":12}"#
    }
    let path = dir.file("o.jsonl", lines.joined(separator: "\n") + "\n")
    let (records, issues) = try OutputRecordReader(path: path).readAll()
    #expect(issues.map(\.line) == [1, 2, 3, 4, 5])
    #expect(
      issues.allSatisfy {
        $0.kind == .invalidField("completion_tokens", reason: "is not a token count (a whole number from 0)")
      })
    #expect(issues[0].description.contains("field 'completion_tokens' is not a token count"))
    #expect(records.map(\.completionTokens) == [12, 12, 12, nil, 0, 1, 1])
    // Numbers keep the text they were written with: 20-digit ids stay apart.
    let ids = dir.file(
      "ids.jsonl",
      #"{"id":12345678901234567890,"output":"a"}"# + "\n" + #"{"id":12345678901234567891,"output":"a"}"#
        + "\n")
    #expect(
      try OutputRecordReader(path: ids).readAll().records.map(\.id) == [
        "12345678901234567890", "12345678901234567891",
      ])
    // Written and read back in a report.
    let issue = issues[0]
    let decoded = try JSONDecoder().decode(LineIssue.self, from: JSONEncoder().encode(issue))
    #expect(decoded == issue)
  }

  /// A key given twice on the way to a field that is read makes the line malformed: which
  /// value a reader takes is up to the reader (the last one went unreported). Elsewhere it is
  /// left alone, as nothing reads it.
  @Test func aKeyGivenTwiceIsAMalformedLine() throws {
    let dir = TempDir()
    let lines = [
      #"{"id":"a","output":"<think>so</think>4","output":"no think"}"#,
      #"{"id":"b","output":"fine","usage":{"n":1,"n":2}}"#,
      #"{"id":"c","output":"fine","usage":{"n":1,"m":2},"choices":[{"n":1},{"n":2}]}"#,
      #"{"id":"d","choices":[{"message":{"content":"a","content":"b"}}],"usage":{"n":1,"n":2}}"#,
    ]
    let path = dir.file("o.jsonl", lines.joined(separator: "\n") + "\n")
    let (records, issues) = try OutputRecordReader(path: path).readAll()
    #expect(records.map(\.id) == ["b", "c"])
    #expect(issues.map(\.line) == [1, 4])  // line 4 has no `output`
    #expect(
      issues[0].description.contains("duplicate key 'output' on the path of field 'output'"), "\(issues[0])")
    let fields = RecordFields(output: "choices.0.message.content")
    let nested = try OutputRecordReader(path: path, fields: fields).readAll()
    #expect(nested.issues.map(\.line) == [1, 2, 3, 4])
    #expect(
      nested.issues[3].description.contains("'choices.0.message.content' on the path"), "\(nested.issues[3])")
  }

  @Test func dottedFieldPathsReachIntoNestedResponses() throws {
    let dir = TempDir()
    let path = dir.file(
      "oai.jsonl",
      """
      {"request_id":"q1","meta":{"cat":"patent"},"choices":[{"message":{"content":"<think>a</think>b"},"finish_reason":"length"}],"usage":{"completion_tokens":9}}

      """)
    let fields = RecordFields(
      id: "request_id", category: "meta.cat", output: "choices.0.message.content",
      completionTokens: "usage.completion_tokens", finishReason: "choices.0.finish_reason")
    let (records, issues) = try OutputRecordReader(path: path, fields: fields).readAll()
    #expect(issues.isEmpty)
    #expect(records.first?.id == "q1")
    #expect(records.first?.category == "patent")
    #expect(records.first?.output == "<think>a</think>b")
    #expect(records.first?.finishReason == .length)
    #expect(records.first?.completionTokens == 9)
  }

  @Test func invalidFieldPathsAreRejected() {
    #expect(throws: EvalCoreError.invalidFieldPath("choices..content")) {
      try FieldPath(parsing: "choices..content")
    }
    #expect(throws: EvalCoreError.invalidFieldPath("")) { try FieldPath(parsing: "") }
  }

  @Test func perRowTemplateFlagOverridesTheRun() throws {
    let dir = TempDir()
    let path = dir.file(
      "r1.jsonl", "{\"id\":\"x\",\"output\":\"reasoning</think>answer\",\"template_opens_think\":true}\n")
    let (records, _) = try OutputRecordReader(path: path).readAll()
    #expect(records.first?.thinkOpening == .prefilled)
  }
}

@Suite struct ParallelLinesTests {
  /// Whether item 0 has been consumed, set by the consumer and read by the last item's body.
  final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
  }

  @Test(arguments: [
    (0..<(905 << 20), 8), (17..<(17 + (40 << 20)), 8), (0..<(3 << 20), 8), (5..<100, 8), (0..<0, 4),
  ])
  func guidedPiecesCoverTheRangeLargestFirst(range: Range<Int>, count: Int) {
    let pieces = ParallelLines.guidedPieces(of: range, count: count)
    #expect(pieces.first?.lowerBound == range.lowerBound)
    #expect(pieces.last?.upperBound == range.upperBound)
    #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    #expect(pieces.count == max(1, min(count, range.count / (1 << 20) + 1)))
    // Shrinking (up to rounding) to about an eighth of the first.
    #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $1.count <= $0.count + 1 })
    if pieces.count > 2 {
      let ratio = Double(pieces.last!.count) / Double(pieces.first!.count)
      #expect(ratio > 0.1 && ratio < 0.15)
    }
  }

  /// Workers keep their state across the items they take, and each item's result is consumed
  /// in order.
  @Test func workersKeepTheirStateAcrossItems() async throws {
    var order: [(Int, Int)] = []
    try await ParallelLines.inParallel(
      Array(0..<40), workers: 3, state: { [Int]() }
    ) { seen, item -> (Int, Int) in
      if item % 7 == 0 { Thread.sleep(forTimeInterval: 0.01) }
      // Each worker takes items in increasing order.
      if let last = seen.last, last >= item { return (-1, 0) }
      seen.append(item)
      return (item * 10, seen.count)
    } inOrder: {
      order.append($0)
    }
    #expect(order.map(\.0) == (0..<40).map { $0 * 10 })
    // Each worker's state has seen one item more at every item it takes: a state made anew per
    // item would have seen only that one each time.
    let firsts = order.filter { $0.1 == 1 }.count
    #expect(firsts >= 1 && firsts <= 3)
    #expect(order.map(\.1).max() ?? 0 > 1)
  }

  struct Failure: Error {}

  @Test func aFailingItemEndsTheWork() async {
    await #expect(throws: Failure.self) {
      try await ParallelLines.inParallel(
        Array(0..<1000), workers: 2, state: { 0 }
      ) { count, item -> Int in
        if item == 3 { throw Failure() }
        count += 1
        return item
      } inOrder: { _ in
      }
    }
  }

  /// Cancelled before every item was consumed, the call throws instead of returning as if
  /// it had finished.
  @Test func aCancelledRunThrows() async {
    let run = Task {
      try await ParallelLines.inParallel(
        Array(0..<40), workers: 2, state: { 0 }
      ) { _, item -> Int in
        Thread.sleep(forTimeInterval: 0.01)
        return item
      } inOrder: { _ in
      }
    }
    // Cancelled from a thread of its own: the workers block the cooperative pool's threads
    // (two on two cores), where a `Task.sleep` here could wake only after the run had ended.
    Thread {
      Thread.sleep(forTimeInterval: 0.06)
      run.cancel()
    }.start()
    await #expect(throws: CancellationError.self) { _ = try await run.value }
  }

  @Test func resultsAreConsumedInItemOrderWhileLaterItemsRun() async throws {
    let consumedFirst = Flag()
    var order: [Int] = []
    var lastSawFirstConsumed = false
    // Item 1 is slow, so item 2 finishes before it; item 5 waits (up to 10 s) until item 0's
    // result has been consumed: the fold runs while later items still work.
    try await ParallelLines.inParallel(Array(0..<6), parallelism: 2) { item -> (Int, Bool) in
      if item == 1 { Thread.sleep(forTimeInterval: 0.2) }
      if item == 5 {
        let deadline = Date().addingTimeInterval(10)
        while !consumedFirst.isSet && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        return (item, consumedFirst.isSet)
      }
      return (item, false)
    } inOrder: { result in
      order.append(result.0)
      if result.0 == 0 { consumedFirst.set() }
      if result.0 == 5 { lastSawFirstConsumed = result.1 }
    }
    #expect(order == [0, 1, 2, 3, 4, 5])
    #expect(lastSawFirstConsumed)
  }

  @Test func collectedResultsKeepItemOrder() async throws {
    let out = try await ParallelLines.inParallel(Array(0..<20), parallelism: 3) { item -> Int in
      if item % 3 == 0 { Thread.sleep(forTimeInterval: 0.01) }
      return item * item
    }
    #expect(out == (0..<20).map { $0 * $0 })
  }
}
