import Foundation

/// Reading one JSONL file on several threads: byte ranges for the readers, the line number each
/// range starts at (counted once, in parallel, instead of each reader counting from byte 0),
/// and a fan-out that keeps a fixed number of readers busy.
///
/// ```swift
/// let pieces = ParallelLines.pieces(of: 0..<size, parallelism: 8)
/// let before = try await ParallelLines.newlinesBefore(pieces, in: JSONLReader(path: path), parallelism: 2)
/// let parts = try await ParallelLines.inParallel(Array(zip(pieces, before)), parallelism: 2) { piece, newlines in
///   var reader = JSONLReader(path: path, byteRange: piece)
///   reader.newlinesBefore = newlines
///   ...
/// }
/// ```
package enum ParallelLines {
  /// `parallelism` contiguous byte ranges covering `range` in order (fewer when the ranges would
  /// be under 1 MiB, at least one).
  package static func pieces(of range: Range<Int>, parallelism: Int) -> [Range<Int>] {
    split(range, into: pieceCount(range, parallelism))
  }

  /// `range` in `n` contiguous pieces of equal size (up to a byte).
  private static func split(_ range: Range<Int>, into n: Int) -> [Range<Int>] {
    (0..<n).map { i in
      (range.lowerBound + range.count * i / n)..<(range.lowerBound + range.count * (i + 1) / n)
    }
  }

  /// `wanted` pieces of `range`, fewer when they would be under 1 MiB, at least one.
  private static func pieceCount(_ range: Range<Int>, _ wanted: Int) -> Int {
    max(1, min(wanted, range.count / (1 << 20) + 1))
  }

  /// The largest piece ``guidedPieces(of:count:maxPiece:)`` makes by default: what a reader
  /// holds per row of a piece until it is merged stays bounded however large the file.
  package static let defaultMaxPiece = 512 << 20

  /// `count` contiguous byte ranges covering `range` in order, largest first, shrinking
  /// geometrically to an eighth of the first (fewer when they would be under 1 MiB, at least
  /// one), for readers that take the next piece when they finish one: the readers then finish
  /// within a small piece of each other, where with equal pieces one reader can be left alone
  /// with a whole one. The count stays that of equal pieces, since each piece's statistics
  /// start empty and are merged.
  ///
  /// No piece is larger than `maxPiece`: when the first would be, the shrinking pieces cover
  /// only the end of `range`, and equal pieces as large as their first come before them (8
  /// pieces stay as they are up to about 3.5 × `maxPiece`).
  package static func guidedPieces(
    of range: Range<Int>, count: Int, maxPiece: Int = defaultMaxPiece
  ) -> [Range<Int>] {
    let n = pieceCount(range, count)
    guard n > 1 else { return equalPieces(of: range, maxPiece: max(1, maxPiece)) }
    let ratio = pow(1.0 / 8, 1 / Double(n - 1))
    let weights = (0..<n).map { pow(ratio, Double($0)) }
    let total = weights.reduce(0, +)
    // Over the cap, `h` equal pieces of the tail's first size come before the shrinking tail:
    // `h` is the fewest that make that size, `count / (h + total)`, fit the cap.
    let cap = Double(max(1, maxPiece))
    let size = Double(range.count)
    let h = size / total <= cap ? 0 : Int(((size - cap * total) / cap).rounded(.up))
    let tailStart = range.lowerBound + Int(size / (Double(h) + total) * Double(h))
    var out = split(range.lowerBound..<tailStart, into: h)
    let tail = range.upperBound - tailStart
    var start = tailStart
    var sum = 0.0
    for k in 0..<n {
      sum += weights[k]
      let end = k == n - 1 ? range.upperBound : tailStart + Int(Double(tail) * sum / total)
      out.append(start..<max(start, end))
      start = max(start, end)
    }
    return out
  }

  /// `range` in equal contiguous pieces of at most `maxPiece` bytes (itself when it fits one).
  private static func equalPieces(of range: Range<Int>, maxPiece: Int) -> [Range<Int>] {
    range.count > maxPiece ? split(range, into: (range.count + maxPiece - 1) / maxPiece) : [range]
  }

  /// The newlines in the file before each of `pieces` (contiguous, in order), counted on
  /// `parallelism` threads: each piece's reader then numbers its lines without reading the file
  /// from the start (which made the pieces together read it several times over).
  ///
  /// - Throws: ``EvalCoreError/unreadableFile(path:reason:)`` when the file cannot be read.
  package static func newlinesBefore(_ pieces: [Range<Int>], in reader: JSONLReader, parallelism: Int)
    async throws -> [Int]
  {
    guard let first = pieces.first else { return [] }
    // The bytes before the first piece (a shard's start) and every piece but the last.
    let spans = Self.pieces(of: 0..<first.lowerBound, parallelism: parallelism) + pieces.dropLast()
    let counts = try await Self.inParallel(spans, parallelism: parallelism) { span in
      span.isEmpty ? 0 : try reader.countNewlines(in: span)
    }
    // Before piece k: the newlines of the bytes before the first piece and of pieces 0..<k.
    let prefixSpans = spans.count - (pieces.count - 1)
    var before = counts[..<prefixSpans].reduce(0, +)
    return [before]
      + counts[prefixSpans...].map { n in
        before += n
        return before
      }
  }

  /// `body` of each of `items`, at most `parallelism` at a time (the next starts when one
  /// finishes, so items are started in order), the results in the items' order.
  package static func inParallel<Item: Sendable, Result: Sendable>(
    _ items: [Item], parallelism: Int, _ body: @escaping @Sendable (Item) throws -> Result
  ) async throws -> [Result] {
    var out: [Result] = []
    out.reserveCapacity(items.count)
    try await inParallel(items, parallelism: parallelism, body) { out.append($0) }
    return out
  }

  /// `body` of each of `items`, at most `parallelism` at a time (the next starts when one
  /// finishes), with `consume` given each result in the items' order as soon as it and those
  /// before it are done: folding the results in runs while later items are still worked on,
  /// instead of after the last.
  package static func inParallel<Item: Sendable, Result: Sendable>(
    _ items: [Item], parallelism: Int, _ body: @escaping @Sendable (Item) throws -> Result,
    inOrder consume: (Result) throws -> Void
  ) async throws {
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
      var next = 0
      func start() {
        guard next < items.count else { return }
        let (i, item) = (next, items[next])
        group.addTask { (i, try body(item)) }
        next += 1
      }
      for _ in 0..<max(1, parallelism) { start() }
      var order = InOrder<Result>()
      for try await (i, result) in group {
        start()
        try order.add(result, at: i, consume)
      }
    }
  }

  /// `body` of each of `items` on `workers` tasks that each keep a `State` of their own across
  /// the items they take (the next item in order whenever one finishes its last): buffers stay
  /// allocated instead of being made for every item. (What is left in a state depends on which
  /// items its worker took, which varies from run to run: results that must not vary belong in
  /// the items' results.) `consume` is given each item's result in the items' order as soon as
  /// it and those before it are done. Each worker takes items in increasing order. Throws the
  /// first error of `body` or `consume`, and `CancellationError` when the task is cancelled
  /// first.
  package static func inParallel<Item: Sendable, State, Result: Sendable>(
    _ items: [Item], workers: Int, state makeState: @escaping @Sendable () -> State,
    _ body: @escaping @Sendable (inout State, Item) throws -> Result,
    inOrder consume: (Result) throws -> Void
  ) async throws {
    guard !items.isEmpty else { return }
    let queue = ItemQueue(count: items.count)
    let (results, sink) = AsyncThrowingStream<(Int, Result), any Error>.makeStream()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<max(1, min(workers, items.count)) {
        group.addTask {
          var state = makeState()
          while !Task.isCancelled, let i = queue.next() {
            do {
              sink.yield((i, try body(&state, items[i])))
            } catch {
              queue.stop()
              sink.finish(throwing: error)
              throw error
            }
          }
        }
      }
      var order = InOrder<Result>()
      do {
        for try await (i, result) in results {
          try order.add(result, at: i, consume)
          if order.due == items.count { break }
        }
      } catch {
        queue.stop()
        throw error
      }
      // The results end early only when this task was cancelled (iterating a stream then just
      // stops): a partial result must not pass for a whole one.
      guard order.due == items.count else {
        queue.stop()
        throw CancellationError()
      }
      try await group.waitForAll()
    }
  }
}

/// Results that arrive in any order, handed on in the order of their items.
private struct InOrder<Result> {
  /// Results that finished before one ahead of them.
  private var early: [Int: Result] = [:]
  /// The index of the next result to hand on.
  private(set) var due = 0

  /// Takes the result of item `index` and hands on every result now due, in order.
  mutating func add(_ result: Result, at index: Int, _ consume: (Result) throws -> Void) rethrows {
    early[index] = result
    while let ready = early.removeValue(forKey: due) {
      try consume(ready)
      due += 1
    }
  }
}

/// The next item index for workers sharing a list (``ParallelLines/inParallel(_:workers:state:_:inOrder:)``).
private final class ItemQueue: @unchecked Sendable {
  private let lock = NSLock()
  private var taken = 0
  private let count: Int

  init(count: Int) { self.count = count }

  /// The next index, or `nil` when all are taken or the work stopped.
  func next() -> Int? {
    lock.withLock {
      guard taken < count else { return nil }
      taken += 1
      return taken - 1
    }
  }

  /// Hands out no more indices (after a failure).
  func stop() { lock.withLock { taken = count } }
}
