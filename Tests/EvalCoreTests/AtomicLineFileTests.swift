import Foundation
import TestSupport
import Testing

@testable import EvalCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
