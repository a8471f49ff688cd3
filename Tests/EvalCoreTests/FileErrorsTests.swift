import EvalCore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct FileErrorsTests {
  @Test func unreadableReasonsNameTheProblem() throws {
    let dir = TempDir()
    let file = dir.file("a.txt", "x")
    #expect(FileErrors.unreadableReason(file) == nil)
    #expect(FileErrors.unreadableReason(dir.path("none")) == "no such file")
    #expect(FileErrors.unreadableReason(dir.path("")) == "it is a directory, not a file")
    let full = NSError(
      domain: NSCocoaErrorDomain, code: 640,
      userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
    #expect(FileErrors.reason(full).hasPrefix("No space left on device (the disk is full"))
  }
}
