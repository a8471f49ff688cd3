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

  /// Adds `path` to the files removed on interruption and runs `create` (which makes the file)
  /// while no interruption can remove the files: an interruption that comes while a thread
  /// creates one removes it too, instead of unlinking the name first and leaving the file the
  /// thread then creates.
  package static func register<R>(_ path: String, creating create: () -> R) -> R {
    paths.withLock {
      $0.insert(path)
      return create()
    }
  }

  /// Runs `body` (which renames `path` into place) and takes `path` off the list, with no
  /// interruption between: a temporary file renamed to another registered one (`clean`'s part
  /// files) is then removed under one name or the other.
  package static func unregister<R>(_ path: String, after body: () -> R) -> R {
    paths.withLock {
      let result = body()
      $0.remove(path)
      return result
    }
  }

  /// Takes `path` off the list (it was renamed into place or deleted).
  package static func unregister(_ path: String) {
    _ = paths.withLock { $0.remove(path) }
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
        // The lock is held to the end: a thread about to create a temporary file waits for
        // it and never gets it, so nothing is made after the files are removed.
        paths.withLock { p in
          for path in p { unlink(path) }
          exit(128 + signalNumber)
        }
      }
      source.resume()
      sources.append(source)
    }
  }
}
