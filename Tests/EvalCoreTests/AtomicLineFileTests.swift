import Foundation
import TestSupport
import Testing

@testable import EvalCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Makes a named pipe at `fifo`, opens its reading end, runs `write`, and returns what the
/// pipe then holds (at most 64 bytes).
func throughPipe(_ fifo: String, _ write: () throws -> Void) throws -> [UInt8] {
  #expect(mkfifo(fifo, 0o600) == 0)
  let reader = open(fifo, O_RDONLY | O_NONBLOCK)
  #expect(reader >= 0)
  defer { close(reader) }
  try write()
  var bytes = [UInt8](repeating: 0, count: 64)
  let n = read(reader, &bytes, bytes.count)
  return n > 0 ? Array(bytes[..<n]) : []
}

@Suite struct AtomicLineFileTests {
  @Test func commitReplacesTheTargetAndLeavesNoTemporaryFile() throws {
    let dir = TempDir()
    let target = dir.file("out.jsonl", "old\n")
    let file = try AtomicLineFile(path: target)
    try file.write(Array("new".utf8))
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "old\n")
    try file.commit()
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["out.jsonl"])
  }

  /// The hidden files a killed run left beside an output (its own temporary file, `clean`'s
  /// part files and theirs) are removed by the next run that writes the output, when the
  /// process that made them is gone; those of a running process, of other outputs, and
  /// anything that is not a regular file stay.
  @Test func leftoversOfAKilledRunAreRemovedByTheNext() throws {
    let dir = TempDir()
    let target = dir.file("clean.jsonl", "old\n")
    // A process id that no longer runs: a child that has exited and been waited for.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/true")
    try child.run()
    child.waitUntilExit()
    let dead = child.processIdentifier
    let alive = getppid()
    let stale = [
      ".clean.jsonl.partial-\(dead)", ".clean.jsonl.part3-\(dead)",
      "..clean.jsonl.part0-\(dead).partial-\(dead)",
    ]
    let kept = [
      ".clean.jsonl.partial-\(alive)", ".clean.jsonl.part1-\(alive)", ".other.jsonl.partial-\(dead)",
      ".clean.jsonl.partial-x\(dead)", "clean.jsonl.partial-\(dead)",
    ]
    for name in stale + kept { _ = dir.file(name, "left\n") }
    try FileManager.default.createDirectory(
      atPath: dir.path(".clean.jsonl.part7-\(dead)"), withIntermediateDirectories: false)
    let file = try AtomicLineFile(path: target)
    try file.write(Array("new".utf8))
    try file.commit()
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.url.path))
    #expect(left == Set(kept + ["clean.jsonl", ".clean.jsonl.part7-\(dead)"]), "\(left.sorted())")
    #expect(TemporaryFiles.leftoverPIDs("..clean.jsonl.part0-12.partial-34", of: "clean.jsonl") == [12, 34])
    #expect(TemporaryFiles.leftoverPIDs(".clean.jsonl.part-12", of: "clean.jsonl") == nil)
  }

  /// The new file keeps the permissions of the file it replaces (a quarantine file a user
  /// tightened to 0600 is not made readable to others by the next run).
  @Test func aReplacedFileKeepsItsPermissions() throws {
    let dir = TempDir()
    let target = dir.file("q.jsonl", "old\n")
    #expect(chmod(target, 0o600) == 0)
    let file = try AtomicLineFile(path: target)
    try file.write(Array("new".utf8))
    try file.commit()
    var status = stat()
    #expect(stat(target, &status) == 0)
    #expect(status.st_mode & 0o777 == 0o600)
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "new\n")
  }

  @Test func aLinkPlacedAtTheTemporaryNameIsNotWrittenThrough() throws {
    let dir = TempDir()
    let victim = dir.file("victim.txt", "keep me\n")
    let target = dir.path("out.jsonl")
    let temp = dir.path(".out.jsonl.partial-\(getpid())")
    #expect(symlink(victim, temp) == 0)
    let file = try AtomicLineFile(path: target)
    try file.write(Array("row".utf8))
    try file.commit()
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me\n")
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "row\n")
    var info = stat()
    #expect(lstat(target, &info) == 0)
    #expect(info.st_mode & S_IFMT == S_IFREG)
  }

  /// A device or a pipe at the target is written directly: renaming a file onto `/dev/null`
  /// (`--clean-out /dev/null`, run as root) replaced the device with a regular file.
  @Test func aDeviceOrAPipeIsWrittenDirectlyNotReplaced() throws {
    let null = try AtomicLineFile(path: "/dev/null")
    try null.write(Array("dropped".utf8))
    try null.commit()
    var info = stat()
    #expect(lstat("/dev/null", &info) == 0)
    #expect(info.st_mode & S_IFMT == S_IFCHR)
    let dir = TempDir()
    let fifo = dir.path("pipe")
    let received = try throughPipe(fifo) {
      let file = try AtomicLineFile(path: fifo)
      try file.write(Array("row".utf8))
      try file.commit()
    }
    #expect(received == Array("row\n".utf8))
    #expect(lstat(fifo, &info) == 0)
    #expect(info.st_mode & S_IFMT == S_IFIFO)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["pipe"])
  }

  /// An abandoned output writes nothing to a pipe (a clean that starts over, `--repair`,
  /// sends each line once); a link to a file stays a link and the file is replaced.
  @Test func anAbandonedPipeOutputWritesNothingAndLinksStay() throws {
    let dir = TempDir()
    let fifo = dir.path("pipe")
    let received = try throughPipe(fifo) {
      let first = try AtomicLineFile(path: fifo)
      try first.write(Array("stale".utf8))
      first.abandon()
      let second = try AtomicLineFile(path: fifo)
      try second.write(Array("row".utf8))
      try second.commit()
    }
    #expect(received == Array("row\n".utf8))
    let real = dir.file("real.jsonl", "old\n")
    let link = dir.path("link.jsonl")
    #expect(symlink(real, link) == 0)
    let file = try AtomicLineFile(path: link)
    try file.write(Array("new".utf8))
    try file.commit()
    var info = stat()
    #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    #expect(try String(contentsOfFile: real, encoding: .utf8) == "new\n")
  }

  @Test func appendedFilesLandBetweenLinesInOrder() throws {
    let dir = TempDir()
    let big = (0..<40_000).map { "{\"row\":\($0)}" }.joined(separator: "\n") + "\n"
    let first = dir.file("part0", big)
    let second = dir.file("part1", "tail\n")
    let empty = dir.file("part2", "")
    let target = dir.path("out.jsonl")
    let file = try AtomicLineFile(path: target)
    try file.write(Array("head".utf8))
    try file.append(contentsOf: first)
    try file.append(contentsOf: empty)
    try file.append(contentsOf: second)
    try file.write(Array("end".utf8))
    try file.commit()
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "head\n" + big + "tail\nend\n")
  }

  @Test func aDirectoryAtTheTemporaryNameIsNamedInTheError() throws {
    let dir = TempDir()
    let temp = dir.path(".out.jsonl.partial-\(getpid())")
    try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false)
    #expect {
      _ = try AtomicLineFile(path: dir.path("out.jsonl"))
    } throws: { error in
      "\(error)".contains(temp) && "\(error)".contains("in the way")
    }
  }

  @Test func abandonLeavesTheOldTarget() throws {
    let dir = TempDir()
    let target = dir.file("out.jsonl", "old\n")
    let file = try AtomicLineFile(path: target)
    try file.write(Array("new".utf8))
    file.abandon()
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "old\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["out.jsonl"])
  }
}
