import ArgumentParser
import EvalCore
import Foundation
import LeakScanner
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `fieldeval`: gates fine-tuned reasoning models.
///
/// Logging goes to standard error through swift-log; set `FIELDEVAL_LOG_LEVEL` (`trace`,
/// `debug`, `info`, `notice`, `warning`, `error`, `critical`) to change the default `warning`.
///
/// Exit codes, for every subcommand: 0 the gate passed (or nothing was flagged), 1 it failed,
/// 2 usage errors or unreadable input.
@main
struct FieldEvalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fieldeval",
    abstract: "Stop bad fine-tunes before they cost a day.",
    discussion: """
      Exit status: 0 when the gate passes or nothing is flagged, 1 when it fails, \
      2 for usage errors or unreadable input. Set FIELDEVAL_LOG_LEVEL=info or debug for \
      progress and per-line diagnostics on standard error.
      """,
    version: "0.1.0",
    subcommands: CommandRegistry.subcommands
  )

  /// Runs the command, mapping errors to the documented exit codes.
  static func main() async {
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      let level = ProcessInfo.processInfo.environment["FIELDEVAL_LOG_LEVEL"].flatMap(
        Logger.Level.init(rawValue:))
      handler.logLevel = level ?? .warning
      return handler
    }
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      exitWithDocumentedCode(error)
    }
  }

  static func exitWithDocumentedCode(_ error: any Error) -> Never {
    if let code = error as? ExitCode {
      Foundation.exit(code.rawValue)
    }
    let code = exitCode(for: error)
    if code == .success {
      // --help, --version
      FieldEvalCommand.exit(withError: error)
    }
    let message: String
    if error is EvalCoreError || error is CLIError || error is LeakScannerError {
      message = "error: \(error)"
    } else {
      message = fullMessage(for: error)
    }
    FileHandle.standardError.write(message + "\n")
    Foundation.exit(2)
  }
}

/// A failure the CLI reports with exit status 2.
struct CLIError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Subcommands; each product's command registers itself here.
enum CommandRegistry {
  static let subcommands: [any ParsableCommand.Type] = [
    EmissionCommand.self,
    ScanCommand.self,
    CleanCommand.self,
    MergeCommand.self,
    GenerateCommand.self,
  ]
}
