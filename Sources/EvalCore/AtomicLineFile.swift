import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A line-oriented output written to a hidden temporary file beside its target and renamed
/// into place by ``commit()``: a crash leaves the old file or none, never half of a new one.
///
/// A target that is a character device or a named pipe (`/dev/null`, a terminal, `/dev/stdout`
/// when it is one) is not renamed onto, which would replace the device or the pipe with a
/// regular file: the temporary file lies in the temporary folder instead and ``commit()``
/// copies it to the target, so an abandoned output writes nothing there. A symbolic link is
/// followed: the temporary file lies beside the file it names, which the rename replaces (the
/// link stays), keeping the old file's permissions. The process's standard output or error
/// named as a file (`/dev/stdout`, `/dev/fd/2`) is written through its open descriptor, whatever
/// it is redirected to: renaming onto the file a shell redirected it to would replace that
/// file, and what the process printed there. A block device is refused.
package final class AtomicLineFile: @unchecked Sendable {
  /// The target path.
  package let path: String
  let temp: String
  let handle: FileHandle
  var buffer: [UInt8] = []
  /// Whether the target is a character device, a pipe or a standard stream, copied to at
  /// ``commit()``.
  let direct: Bool
  /// The descriptor of the standard stream the target names (1 or 2), or `nil`.
  let stream: Int32?
  /// Where the rename puts the file: the target with its links resolved.
  let destination: String

  /// Creates the temporary file next to `path` (in the temporary folder for a device or a
  /// pipe). With `removingStale`, first removes the temporary files that runs killed before
  /// they could clean up left beside it (``TemporaryFiles/removeStale(beside:)``).
  /// - Throws: ``EvalCoreError/unwritableFile(path:reason:)`` when its folder is not writable
  ///   or `path` is a block device.
  package init(path: String, removingStale: Bool = true) throws {
    self.path = path
    let kind = Self.kind(of: path)
    if kind == S_IFBLK {
      throw EvalCoreError.unwritableFile(path: path, reason: "it is a block device; name a file")
    }
    stream = Self.standardStream(path)
    direct = stream != nil || Self.isStream(kind: kind)
    destination = direct ? path : Self.resolved(path)
    let url = URL(fileURLWithPath: destination)
    temp =
      direct
      ? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
        "fieldeval-\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      ).path
      : url.deletingLastPathComponent().appendingPathComponent(
        ".\(url.lastPathComponent).partial-\(getpid())"
      )
      .path
    // Created with `open` itself: `FileManager.createFile` writes a file of its own first and
    // renames it, which an interruption at that moment would leave behind. A leftover of an
    // earlier run is removed first; `O_EXCL | O_NOFOLLOW` then refuse to write through a link
    // someone placed at the temporary name. Mode 0666 lets the umask decide, as for any file.
    if removingStale && !direct { TemporaryFiles.removeStale(beside: destination) }
    let temp = self.temp
    let fd = TemporaryFiles.register(temp) {
      unlink(temp)
      return open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
    }
    guard fd >= 0 else {
      let code = errno
      let reason = String(cString: strerror(code))
      TemporaryFiles.unregister(temp)
      throw EvalCoreError.unwritableFile(
        path: path,
        reason: code == EEXIST || code == ELOOP
          ? "its temporary file \(temp) is in the way (\(reason)) and could not be removed; remove it"
          : "cannot create a file in its folder (\(reason)); check that the folder exists and is writable"
      )
    }
    handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    // Renamed onto an existing file, the new one keeps its permissions (a quarantine file
    // tightened to 0600 stays so).
    var old = stat()
    if !direct, stat(destination, &old) == 0, old.st_mode & S_IFMT == S_IFREG {
      fchmod(fd, old.st_mode & 0o7777)
    }
  }

  /// 1 or 2 when `path` names the process's standard output or error (`/dev/stdout`,
  /// `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`), otherwise `nil`.
  package static func standardStream(_ path: String) -> Int32? {
    switch path {
    case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1": return 1
    case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2": return 2
    default: return nil
    }
  }

  /// Appends `bytes` and a newline.
  package func write(_ bytes: some Sequence<UInt8>) throws {
    try writePartOfLine(bytes)
    buffer.append(0x0A)
    if buffer.count >= Self.flushBytes { try flush() }
  }

  /// Appends `bytes` without ending the line (a line written in pieces: ``write(_:)`` ends it).
  /// Contiguous bytes of a few MiB or more are written out directly, not copied into the
  /// buffer, so a large line costs no second copy of itself.
  package func writePartOfLine(_ bytes: some Sequence<UInt8>) throws {
    let direct = try bytes.withContiguousStorageIfAvailable { part -> Bool in
      guard part.count >= Self.flushBytes else { return false }
      try flush()
      do {
        try handle.write(contentsOf: UnsafeRawBufferPointer(part))
      } catch {
        throw EvalCoreError.unwritableFile(path: path, reason: FileErrors.reason(error))
      }
      return true
    }
    if direct == true { return }
    buffer.append(contentsOf: bytes)
    if buffer.count >= Self.flushBytes { try flush() }
  }

  /// The buffer is written out when it holds this many bytes.
  static let flushBytes = 1 << 22

  /// Appends the whole content of the file at `path`, as it is.
  package func append(contentsOf path: String) throws {
    try flush()
    guard let source = FileHandle(forReadingAtPath: path) else {
      throw EvalCoreError.unreadableFile(path: path, reason: "cannot open a part file")
    }
    defer { try? source.close() }
    try copy(source, to: handle)
  }

  /// Writes all of `source` to `target`, 4 MiB at a time.
  private func copy(_ source: FileHandle, to target: FileHandle) throws {
    do {
      while let chunk = try source.read(upToCount: 4 << 20), !chunk.isEmpty {
        try target.write(contentsOf: chunk)
      }
    } catch {
      throw EvalCoreError.unwritableFile(path: path, reason: FileErrors.reason(error))
    }
  }

  func flush() throws {
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw EvalCoreError.unwritableFile(path: path, reason: FileErrors.reason(error))
    }
    // Kept for the next lines, unless one large line grew it.
    buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * Self.flushBytes)
  }

  /// Flushes, syncs and renames the file into place.
  package func commit() throws {
    try finishWriting()
    try moveIntoPlace()
  }

  /// Commits several files together: every one is written out and synced before the first is
  /// renamed, so a failure while writing (a full disk) leaves all the old files; on any error
  /// the temporary files are removed. (Renames themselves are atomic one by one only.)
  package static func commit(_ files: [AtomicLineFile]) throws {
    do {
      for file in files { try file.finishWriting() }
      for file in files { try file.moveIntoPlace() }
    } catch {
      for file in files { file.abandon() }
      throw error
    }
  }

  private func finishWriting() throws {
    try flush()
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      throw EvalCoreError.unwritableFile(path: path, reason: FileErrors.reason(error))
    }
  }

  private func moveIntoPlace() throws {
    if direct {
      try copyToTarget()
      return
    }
    let failure = TemporaryFiles.unregister(temp) { rename(temp, destination) == 0 ? nil : errno }
    if let failure {
      TemporaryFiles.register(temp)  // still there: removed on interruption or by `abandon`
      throw EvalCoreError.unwritableFile(path: path, reason: FileErrors.reason(errno: failure))
    }
  }

  /// The file type bits (`S_IFMT`) of what `path` names, links followed; 0 when nothing is there.
  static func kind(of path: String) -> mode_t {
    var status = stat()
    return stat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
  }

  /// Whether `path` names a character device or a named pipe, which outputs are copied to
  /// rather than renamed onto.
  package static func isStream(_ path: String) -> Bool { isStream(kind: kind(of: path)) }

  /// Whether file type bits `kind` are a character device's or a named pipe's.
  static func isStream(kind: mode_t) -> Bool { kind == S_IFCHR || kind == S_IFIFO }

  /// `path` with its symbolic links resolved, when it names an existing file through one.
  static func resolved(_ path: String) -> String {
    var status = stat()
    guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK, let real = realpath(path, nil) else {
      return path
    }
    defer { free(real) }
    return String(cString: real)
  }

  /// Copies the finished temporary file to the device or pipe, then removes it.
  private func copyToTarget() throws {
    defer {
      unlink(temp)
      TemporaryFiles.unregister(temp)
    }
    let target: FileHandle
    if let stream {
      target = FileHandle(fileDescriptor: stream, closeOnDealloc: false)
    } else {
      let fd = open(path, O_WRONLY)
      guard fd >= 0 else {
        throw EvalCoreError.unwritableFile(path: path, reason: FileErrors.reason(errno: errno))
      }
      target = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
    defer { if stream == nil { try? target.close() } }
    guard let source = FileHandle(forReadingAtPath: temp) else {
      throw EvalCoreError.unwritableFile(path: path, reason: "its temporary file \(temp) is gone")
    }
    defer { try? source.close() }
    try copy(source, to: target)
  }

  /// Why `path` cannot be the target of a new file, or `nil`: its folder must be writable and
  /// the path must not be a directory (checked before a long job, so it fails before any work).
  /// A character device or a pipe needs only to be writable itself.
  package static func problem(writing path: String) -> String? {
    if let stream = standardStream(path) {
      return fcntl(stream, F_GETFD) >= 0 ? nil : "the process has no standard stream \(stream) open"
    }
    if isStream(path) {
      return access(path, W_OK) == 0 ? nil : "it cannot be written (\(String(cString: strerror(errno))))"
    }
    if kind(of: path) == S_IFBLK { return "it is a block device" }
    let folder = URL(fileURLWithPath: resolved(path)).deletingLastPathComponent().path
    guard access(folder, W_OK) == 0 else { return "its folder \(folder) does not exist or is not writable" }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      return "it is a directory"
    }
    return nil
  }

  /// Closes and deletes the temporary file; the target is left as it was.
  package func abandon() {
    try? handle.close()
    unlink(temp)
    TemporaryFiles.unregister(temp)
  }
}
