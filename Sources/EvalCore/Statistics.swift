/// Summary statistics over a list of values.
package enum Statistics {
  /// Arithmetic mean, or NaN for no values.
  package static func mean(_ values: [Int]) -> Double {
    values.isEmpty ? .nan : Double(values.reduce(0, +)) / Double(values.count)
  }

  /// Median (mean of the two middle values for an even count), or NaN for no values.
  package static func median(_ values: [Int]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
  }
}
