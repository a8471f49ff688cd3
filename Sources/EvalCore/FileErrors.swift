import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why reading or writing a file failed, in words a user can act on: the system's reason
/// (`No space left on device`) and what to do, not a Foundation error's dump.
package enum FileErrors {
  /// The reason under `error`: the POSIX error a Foundation error wraps, or its description.
  package static func reason(_ error: any Error) -> String {
    let ns = error as NSError
    if ns.domain == NSPOSIXErrorDomain { return reason(errno: Int32(ns.code)) }
    if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain {
      return reason(errno: Int32(under.code))
    }
    return ns.localizedDescription
  }

  /// `strerror(code)` and, for the failures a user can mend, what to do.
  package static func reason(errno code: Int32) -> String {
    let text = String(cString: strerror(code))
    switch code {
    case ENOSPC: return text + " (the disk is full: free space or write the output to another disk)"
    case EDQUOT: return text + " (the disk quota is used up: free space or write elsewhere)"
    case EROFS: return text + " (the file system is read-only: write the output elsewhere)"
    case EACCES, EPERM: return text + " (check the permissions of the file and of its folder)"
    case ENOENT: return "no such file"
    case EISDIR: return "it is a directory, not a file"
    default: return text
    }
  }

  /// Why the file at `path` cannot be read (opened for reading), from the system's answer:
  /// no such file, permission denied, a directory; `nil` when it can be opened.
  package static func unreadableReason(_ path: String) -> String? {
    // Not blocking on a named pipe that has no writer.
    let fd = open(path, O_RDONLY | O_NONBLOCK)
    guard fd < 0 else {
      var info = stat()
      let isDirectory = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
      close(fd)
      return isDirectory ? reason(errno: EISDIR) : nil
    }
    return reason(errno: errno)
  }
}
