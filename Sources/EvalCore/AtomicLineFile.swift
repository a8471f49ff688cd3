import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A line-oriented output written to a hidden temporary file beside its target and renamed
/// into place by ``commit()``: a crash leaves the old file or none, never half of a new one.
///
/// A target that exists and is no regular file (`/dev/null`, `/dev/stdout`, a named pipe) is
/// written directly: renaming a file onto it would replace the device or the pipe with a
/// regular file, and it holds no old content to keep.
package final class AtomicLineFile: @unchecked Sendable {
  /// The target path.
  package let path: String
  let temp: String
  let handle: FileHandle
  var buffer: [UInt8] = []
  /// Whether the target is written directly (it is a device, a pipe or a socket).
  let direct: Bool

  /// Creates the temporary file next to `path`.
  /// - Throws: ``EvalCoreError/unwritableFile(path:reason:)`` when its folder is not writable.
  package init(path: String) throws {
    self.path = path
    let url = URL(fileURLWithPath: path)
    temp =
      url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
      .path
    // Created with `open` itself: `FileManager.createFile` writes a file of its own first and
    // renames it, which an interruption at that moment would leave behind. A leftover of an
    // earlier run is removed first; `O_EXCL | O_NOFOLLOW` then refuse to write through a link
    // someone placed at the temporary name. Mode 0666 lets the umask decide, as for any file.
    var status = stat()
    if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG, status.st_mode & S_IFMT != S_IFDIR {
      direct = true
      let fd = open(path, O_WRONLY | O_CLOEXEC)
      guard fd >= 0 else {
        throw EvalCoreError.unwritableFile(path: path, reason: String(cString: strerror(errno)))
      }
      handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
      return
    }
    direct = false
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
        throw EvalCoreError.unwritableFile(path: path, reason: "\(error)")
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
    do {
      while let chunk = try source.read(upToCount: 4 << 20), !chunk.isEmpty {
        try handle.write(contentsOf: chunk)
      }
    } catch {
      throw EvalCoreError.unwritableFile(path: self.path, reason: "\(error)")
    }
  }

  func flush() throws {
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw EvalCoreError.unwritableFile(path: path, reason: "\(error)")
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
      // A device or a pipe has nothing to sync (`fsync` fails on them).
      if !direct { try handle.synchronize() }
      try handle.close()
    } catch {
      throw EvalCoreError.unwritableFile(path: path, reason: "\(error)")
    }
  }

  private func moveIntoPlace() throws {
    if direct { return }
    let failure = TemporaryFiles.unregister(temp) { rename(temp, path) == 0 ? nil : errno }
    if let failure {
      TemporaryFiles.register(temp)  // still there: removed on interruption or by `abandon`
      throw EvalCoreError.unwritableFile(path: path, reason: String(cString: strerror(failure)))
    }
  }

  /// Why `path` cannot be the target of a new file, or `nil`: its folder must be writable and
  /// the path must not be a directory (checked before a long job, so it fails before any work).
  package static func problem(writing path: String) -> String? {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
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
    if direct { return }
    unlink(temp)
    TemporaryFiles.unregister(temp)
  }
}
