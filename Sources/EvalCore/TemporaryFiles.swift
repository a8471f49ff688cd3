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

  /// Removes what an earlier run that was killed before it could clean up (`SIGKILL`, a power
  /// cut) left beside `target`: the hidden files `.NAME.partial-PID`, `.NAME.partN-PID` and
  /// `..NAME.partN-PID.partial-PID` of a process `PID` that no longer runs. A file of a
  /// process that still runs (another run writing the same output) is left alone, and so is
  /// anything that is not a regular file.
  package static func removeStale(beside target: String) {
    let slash = target.lastIndex(of: "/")
    let folder = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? "."
    let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
    guard !name.isEmpty, let dir = opendir(folder) else { return }
    defer { closedir(dir) }
    let me = getpid()
    while let entry = readdir(dir) {
      let file = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard let pids = leftoverPIDs(file, of: name), !pids.contains(me),
        pids.allSatisfy({ kill($0, 0) != 0 && errno == ESRCH })
      else { continue }
      let path = folder == "/" ? "/" + file : folder + "/" + file
      var info = stat()
      if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { unlink(path) }
    }
  }

  /// The process ids in `file` when it is one of the temporary names of an output `name`
  /// (``removeStale(beside:)``), otherwise `nil`.
  static func leftoverPIDs(_ file: String, of name: String) -> [pid_t]? {
    func pid(_ text: Substring) -> pid_t? {
      guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else { return nil }
      return pid_t(text)
    }
    // `.NAME.partN-PID`, the rest after `.NAME.part`.
    func part(_ rest: Substring) -> pid_t? {
      guard let dash = rest.firstIndex(of: "-"), !rest[..<dash].isEmpty,
        rest[..<dash].allSatisfy({ $0.isASCII && $0.isNumber })
      else { return nil }
      return pid(rest[rest.index(after: dash)...])
    }
    if let rest = file.dropPrefix("." + name + ".partial-") { return pid(rest).map { [$0] } }
    if let rest = file.dropPrefix("." + name + ".part") { return part(rest).map { [$0] } }
    if let rest = file.dropPrefix(".." + name + ".part"), let mark = rest.firstRange(of: ".partial-") {
      guard let first = part(rest[..<mark.lowerBound]), let second = pid(rest[mark.upperBound...]) else {
        return nil
      }
      return [first, second]
    }
    return nil
  }

  /// From now on SIGINT, SIGTERM, SIGHUP (the terminal or the ssh session closed) and SIGQUIT
  /// delete the registered files, then end the process with status 128 + the signal's number,
  /// as the default action's shells report it. Idempotent.
  package static func removeOnInterrupt() {
    guard
      installed.withLock({ done in
        defer { done = true }
        return !done
      })
    else { return }
    for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
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

extension String {
  /// The rest of the string after `prefix`, or `nil` when it does not start with it.
  fileprivate func dropPrefix(_ prefix: String) -> Substring? {
    hasPrefix(prefix) ? self[index(startIndex, offsetBy: prefix.count)...] : nil
  }
}
