import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The temporary files this process is writing (``AtomicLineFile``'s hidden files, `clean`'s
/// part files), so that an interrupted run removes them instead of leaving hidden files beside
/// its outputs. The targets themselves are never touched: they keep their old contents.
package enum TemporaryFiles {
  private static let paths = Mutex<Set<String>>([])
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
  private static let installed = Mutex(false)

  /// Adds `path` to the files removed on interruption.
  package static func register(_ path: String) {
    _ = paths.withLock { $0.insert(path) }
  }

  /// Takes `path` off the list (it was renamed into place or deleted).
  package static func unregister(_ path: String) {
    _ = paths.withLock { $0.remove(path) }
  }

  /// Deletes every registered file.
  package static func removeAll() {
    for path in paths.withLock({ p in
      defer { p.removeAll() }
      return p
    }) { unlink(path) }
  }

  /// From now on SIGINT and SIGTERM delete the registered files, then end the process with
  /// status 128 + the signal's number, as the default action's shells report it. Idempotent.
  package static func removeOnInterrupt() {
    guard
      installed.withLock({ done in
        defer { done = true }
        return !done
      })
    else { return }
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)  // delivered to the dispatch source instead
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        removeAll()
        exit(128 + signalNumber)
      }
      source.resume()
      sources.append(source)
    }
  }
}
