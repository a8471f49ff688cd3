/// How the scan keeps its tables of distinct keys (opening histogram, opening and line shapes)
/// bounded: when a table outgrows its capacity, the rarest keys are dropped until at most half
/// the capacity remains. A corpus whose openings are nearly all distinct (natural reasoning,
/// millions of rows) then costs a fixed amount of memory; its frequent keys (the ones a report
/// shows, and every scaffolding family) stay, and their counts are exact unless they were once
/// among the dropped ones.
enum BoundedTally {
  /// The count at or below which keys are dropped so that at most `keep` keys remain (ties at
  /// the threshold go too), or 0 when there are no more than `keep`.
  static func threshold(_ counts: some Collection<Int>, keeping keep: Int) -> Int {
    guard counts.count > keep else { return 0 }
    var sorted = Array(counts)
    sorted.sort(by: >)
    return sorted[max(0, keep)]
  }

  /// Drops the rarest keys of `table` when it holds more than `capacity`; returns the rows
  /// the dropped keys had counted.
  @discardableResult
  static func prune(_ table: inout [String: Int], capacity: Int) -> Int {
    guard table.count > capacity else { return 0 }
    let t = threshold(table.values, keeping: capacity / 2)
    var dropped = 0
    table = table.filter { entry in
      if entry.value > t { return true }
      dropped += entry.value
      return false
    }
    return dropped
  }
}

extension ByteKeyTable {
  /// Drops the keys whose value in `values` (indexed by key number) counts among the rarest,
  /// keeping at most `keep` (``BoundedTally/threshold(_:keeping:)``); the kept keys and their
  /// values are renumbered in order. Returns the rows the dropped values had counted.
  mutating func keepMostFrequent<Value>(
    _ values: inout [Value], keeping keep: Int, count: (Value) -> Int
  ) -> Int {
    let t = BoundedTally.threshold(values.lazy.map(count), keeping: keep)
    var kept = ByteKeyTable()
    var keptValues: [Value] = []
    var dropped = 0
    for (k, value) in values.enumerated() {
      if count(value) > t {
        _ = key(k).withUnsafeBufferPointer { kept.index(of: $0) }
        keptValues.append(value)
      } else {
        dropped += count(value)
      }
    }
    self = kept
    values = keptValues
    return dropped
  }
}
