// llama-backend-bench: measures LlamaBackend against llama.cpp's own tools on the same model
// and thread count. Driven by Benchmarks/llama-bench.sh, which runs llama-bench and starts
// llama-server; see README.md next to this file.
//
//   llama-backend-bench single   --model M --threads T --ref-pp X --ref-tg Y
//   llama-backend-bench parallel --model M --threads T --server URL
//   llama-backend-bench judge    --model M --threads T --server URL
import Foundation
import LlamaBackend

#if canImport(Glibc)
  import Glibc
#endif

struct Options {
  var mode = ""
  var model = ProcessInfo.processInfo.environment["FIELDEVAL_MODEL"] ?? ""
  var threads = ProcessInfo.processInfo.activeProcessorCount
  var server: String?
  var referencePP: Double?
  var referenceTG: Double?

  init(_ arguments: [String]) {
    var it = arguments.makeIterator()
    mode = it.next() ?? ""
    while let flag = it.next() {
      let value = it.next() ?? ""
      switch flag {
      case "--model": model = value
      case "--threads": threads = Int(value) ?? threads
      case "--server": server = value
      case "--ref-pp": referencePP = Double(value)
      case "--ref-tg": referenceTG = Double(value)
      default: fail("unknown option \(flag)")
      }
    }
  }
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("llama-backend-bench: \(message)\n".utf8))
  exit(2)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

// MARK: llama-server client

struct ServerReply: Decodable {
  var content: String
  var tokensPredicted: Int
  var timings: Timings?
  struct Timings: Decodable {
    var cacheN: Int?
    enum CodingKeys: String, CodingKey { case cacheN = "cache_n" }
  }
  enum CodingKeys: String, CodingKey {
    case content, timings
    case tokensPredicted = "tokens_predicted"
  }
}

/// POSTs to llama-server's `/completion` with a blocking socket on its own thread.
/// (URLSession on Linux polls and took a core away from the server under test.)
func complete(server: String, prompt: String, maxTokens: Int, cachePrompt: Bool) async throws -> ServerReply {
  let body: [String: Any] = [
    "prompt": prompt, "n_predict": maxTokens, "temperature": 0, "top_k": 1, "cache_prompt": cachePrompt,
    "seed": 1,
  ]
  let payload = try JSONSerialization.data(withJSONObject: body)
  let data: Data = try await withCheckedThrowingContinuation { continuation in
    let thread = Thread {
      continuation.resume(with: Result { try httpPost(server: server, path: "/completion", body: payload) })
    }
    thread.start()
  }
  return try JSONDecoder().decode(ServerReply.self, from: data)
}

struct HTTPError: Error, CustomStringConvertible {
  var description: String
}

/// Minimal HTTP/1.1 POST over a blocking TCP socket (`http://127.0.0.1:PORT` only).
func httpPost(server: String, path: String, body: Data) throws -> Data {
  guard let url = URL(string: server), let host = url.host, let port = url.port else {
    throw HTTPError(description: "bad server URL \(server)")
  }
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw HTTPError(description: "socket() failed") }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = in_port_t(UInt16(port).bigEndian)
  guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
    throw HTTPError(description: "bad host \(host)")
  }
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  guard connected == 0 else { throw HTTPError(description: "cannot connect to \(server)") }
  var request = Data(
    "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
      .utf8)
  request.append(body)
  try request.withUnsafeBytes { raw in
    var sent = 0
    while sent < raw.count {
      let n = send(fd, raw.baseAddress! + sent, raw.count - sent, 0)
      guard n > 0 else { throw HTTPError(description: "send failed") }
      sent += n
    }
  }
  var response = Data()
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = recv(fd, &buffer, buffer.count, 0)
    if n <= 0 { break }
    response.append(contentsOf: buffer[0..<n])
  }
  guard let split = response.range(of: Data("\r\n\r\n".utf8)) else {
    throw HTTPError(description: "malformed HTTP response")
  }
  let head = String(decoding: response[..<split.lowerBound], as: UTF8.self)
  var payload = Data(response[split.upperBound...])
  guard head.hasPrefix("HTTP/1.1 200") else {
    throw HTTPError(
      description: "llama-server answered \(head.prefix(40)): \(String(decoding: payload, as: UTF8.self))")
  }
  if head.lowercased().contains("transfer-encoding: chunked") {
    var decoded = Data()
    while let line = payload.range(of: Data("\r\n".utf8)) {
      let size = Int(String(decoding: payload[..<line.lowerBound], as: UTF8.self), radix: 16) ?? 0
      if size == 0 { break }
      decoded.append(payload[line.upperBound..<line.upperBound + size])
      payload = Data(payload[(line.upperBound + size + 2)...])
    }
    payload = decoded
  }
  return payload
}

// MARK: Workloads

let parallelPrompts = [
  "Write a short story about a lighthouse keeper who finds a message in a bottle.",
  "Explain how a refrigerator works to a ten-year-old.",
  "List the main causes of the French Revolution and explain each briefly.",
  "Describe the water cycle, step by step.",
  "What are the benefits of learning a second language? Give several reasons.",
  "Summarize the plot of a detective novel set in Venice in the winter.",
  "Give advice to someone starting to run for the first time.",
  "Compare trains and airplanes for travel between two European capitals.",
]

func throughputEngine(_ o: Options, slots: Int, contextSize: Int, prefixCaching: Bool = true) throws
  -> LlamaEngine
{
  var configuration = LlamaEngine.Configuration.throughput(contextSize: contextSize, slots: slots)
  configuration.threads = o.threads
  configuration.prefixCaching = prefixCaching
  return try LlamaEngine(
    modelPath: o.model, loadOptions: LlamaModel.LoadOptions(weightRepacking: true),
    configuration: configuration)
}

/// Single stream: prompt processing of 512 tokens and generation of 128, like llama-bench's
/// pp512 / tg128 (3 repetitions, mean).
func single(_ o: Options) async throws {
  let fast = try throughputEngine(o, slots: 1, contextSize: 1024, prefixCaching: false)
  let (ppMean, tgMean) = try await measureSingle(fast)
  fast.shutdown()
  print("backend: \(fast.backendDescription), threads \(o.threads)")
  print(
    "single stream   LlamaBackend (throughput preset, repacking on) pp512 \(fmt(ppMean)) t/s, tg128 \(fmt(tgMean)) t/s"
  )
  var reproducible = LlamaEngine.Configuration(contextSize: 1024, slots: 1, prefixCaching: false)
  reproducible.threads = o.threads
  let defaults = try LlamaEngine(modelPath: o.model, configuration: reproducible)
  let (ppDefault, tgDefault) = try await measureSingle(defaults)
  defaults.shutdown()
  print(
    "                LlamaBackend (default, reproducible)         pp512 \(fmt(ppDefault)) t/s, tg128 \(fmt(tgDefault)) t/s"
  )
  if let refPP = o.referencePP, let refTG = o.referenceTG {
    print(
      "                llama-bench (defaults)                       pp512 \(fmt(refPP)) t/s, tg128 \(fmt(refTG)) t/s"
    )
    print(
      "RATIO single pp512 \(fmt(ppMean / refPP, 2))x  tg128 \(fmt(tgMean / refTG, 2))x  (target >= 0.95x)")
    print(
      "      default configuration: pp512 \(fmt(ppDefault / refPP, 2))x  tg128 \(fmt(tgDefault / refTG, 2))x")
  }
}

/// Mean pp512 and tg128 rates over 3 runs each, after a warm-up.
func measureSingle(_ engine: LlamaEngine) async throws -> (Double, Double) {
  let model = engine.model
  // 511 text tokens + BOS = 512 prompt tokens.
  var text = ""
  var words = [
    "river", "stone", "market", "seven", "lantern", "quiet", "engine", "harbor", "violet", "orbit",
  ]
  while try model.tokenize(text, addSpecial: false).count < 511 {
    words.append(words.removeFirst())
    text += words.prefix(3).joined(separator: " ") + ". "
  }
  let prompt = model.detokenize(Array(try model.tokenize(text, addSpecial: false).prefix(511)))
  _ = try await engine.generate(GenerationRequest(input: .prompt("warm up"), maxNewTokens: 4))
  var pp: [Double] = []
  var tg: [Double] = []
  for _ in 0..<3 {
    let r = try await engine.generate(GenerationRequest(input: .prompt(prompt), maxNewTokens: 1))
    pp.append(Double(r.promptTokens) / r.timings.promptSeconds)
  }
  for _ in 0..<3 {
    let r = try await engine.generate(
      GenerationRequest(input: .prompt("Once upon a time"), maxNewTokens: 128))
    tg.append(r.tokensPerSecond)
  }
  return (pp.reduce(0, +) / Double(pp.count), tg.reduce(0, +) / Double(tg.count))
}

/// Eight concurrent requests, 64 new tokens each: aggregate generated tokens per second of wall
/// time (prompt processing included), LlamaBackend with 8 slots vs llama-server -np 8.
func parallel(_ o: Options) async throws {
  guard let server = o.server else { fail("parallel needs --server URL") }
  let maxTokens = 64
  let engine = try throughputEngine(o, slots: 8, contextSize: 256, prefixCaching: false)
  _ = try await engine.generate(GenerationRequest(input: .prompt("warm up"), maxNewTokens: 4))
  var t0 = now()
  let ours = try await engine.generate(
    parallelPrompts.enumerated().map {
      GenerationRequest(id: "\($0.offset)", input: .prompt($0.element), maxNewTokens: maxTokens)
    })
  let oursSeconds = now() - t0
  let oursTokens = ours.reduce(0) { $0 + $1.completionTokens }
  engine.shutdown()

  _ = try await complete(server: server, prompt: "warm up", maxTokens: 4, cachePrompt: false)
  t0 = now()
  let replies = try await withThrowingTaskGroup(of: ServerReply.self) { group in
    for prompt in parallelPrompts {
      group.addTask {
        try await complete(server: server, prompt: prompt, maxTokens: maxTokens, cachePrompt: false)
      }
    }
    return try await group.reduce(into: [ServerReply]()) { $0.append($1) }
  }
  let serverSeconds = now() - t0
  let serverTokens = replies.reduce(0) { $0 + $1.tokensPredicted }
  let oursRate = Double(oursTokens) / oursSeconds
  let serverRate = Double(serverTokens) / serverSeconds
  print(
    "8 concurrent    LlamaBackend \(oursTokens) tokens in \(fmt(oursSeconds, 2)) s = \(fmt(oursRate)) t/s; llama-server -np 8 \(serverTokens) tokens in \(fmt(serverSeconds, 2)) s = \(fmt(serverRate)) t/s"
  )
  print("RATIO parallel \(fmt(oursRate / serverRate, 2))x  (target >= 1.0x)")
}

/// Judge workload: a ~1,500-token rubric shared by 8 items of ~200 tokens, 48-token verdicts,
/// 4 slots. LlamaBackend with prefix caching vs llama-server -np 4 with cache_prompt vs
/// LlamaBackend without caching.
func judge(_ o: Options) async throws {
  guard let server = o.server else { fail("judge needs --server URL") }
  let probe = try LlamaModel(path: o.model)
  let criteria = [
    "factual accuracy against the reference answer",
    "completeness with respect to every part of the question",
    "internal consistency of the reasoning", "absence of invented citations, names or numbers",
    "clarity and structure of the explanation", "appropriate hedging when evidence is uncertain",
    "correct use of units and quantities", "relevance: no padding or unrelated material",
  ]
  var rubric = "You are an impartial grader. Grade the answer that follows according to this rubric.\n"
  var k = 0
  while try probe.tokenize(rubric).count < 1500 {
    let c = criteria[k % criteria.count]
    rubric +=
      "Criterion \(k + 1): assess \(c). Award full marks only when the answer meets the criterion without exception; deduct one point for each minor lapse and two for each major lapse, and note the lapse in the verdict.\n"
    k += 1
  }
  rubric += "Reply with a score from 1 to 5 and a one-sentence justification.\n\n"
  let sharedRubric = rubric
  let topics = [
    "photosynthesis", "the causes of inflation", "how vaccines work", "plate tectonics",
    "the history of the printing press", "black holes", "the immune system", "supply chains",
  ]
  let items: [String] = topics.map { topic in
    var item = "Question: Explain \(topic) in detail.\nAnswer:"
    var s = 0
    while (try? probe.tokenize(item, addSpecial: false).count) ?? 0 < 195 {
      item +=
        " Regarding \(topic), point \(s + 1) is that the mechanism depends on several interacting factors, each of which the answer describes with an example."
      s += 1
    }
    return item + "\nVerdict:"
  }
  let rubricTokens = try probe.tokenize(rubric).count
  let itemTokens = try items.map { try probe.tokenize($0, addSpecial: false).count }
  print(
    "judge workload: rubric \(rubricTokens) tokens, 8 items of \(itemTokens.min() ?? 0)-\(itemTokens.max() ?? 0) tokens, 48-token verdicts, 4 slots"
  )
  let requests = items.enumerated().map {
    JudgeRequest(id: "\($0.offset)", sharedPrefix: rubric, item: $0.element, maxNewTokens: 48)
  }

  func runOurs(caching: Bool) async throws -> (Double, Int, Int) {
    let engine = try throughputEngine(o, slots: 4, contextSize: 2048, prefixCaching: caching)
    _ = try await engine.generate(GenerationRequest(input: .prompt("warm up"), maxNewTokens: 4))
    let t0 = now()
    let results = try await engine.judge(requests)
    let seconds = now() - t0
    engine.shutdown()
    return (
      seconds, results.reduce(0) { $0 + $1.completionTokens },
      results.reduce(0) { $0 + $1.cachedPromptTokens }
    )
  }

  let (cachedSeconds, cachedTokens, reused) = try await runOurs(caching: true)
  print(
    "  LlamaBackend, prefix cache: \(fmt(cachedSeconds, 2)) s, \(cachedTokens) verdict tokens, \(reused) prompt tokens reused"
  )

  _ = try await complete(server: server, prompt: "warm up", maxTokens: 4, cachePrompt: false)
  let t0 = now()
  let replies = try await withThrowingTaskGroup(of: ServerReply.self) { group in
    for item in items {
      group.addTask {
        try await complete(server: server, prompt: sharedRubric + item, maxTokens: 48, cachePrompt: true)
      }
    }
    return try await group.reduce(into: [ServerReply]()) { $0.append($1) }
  }
  let serverSeconds = now() - t0
  let serverReused = replies.reduce(0) { $0 + ($1.timings?.cacheN ?? 0) }
  print(
    "  llama-server -np 4, cache_prompt: \(fmt(serverSeconds, 2)) s, \(replies.reduce(0) { $0 + $1.tokensPredicted }) verdict tokens, \(serverReused) prompt tokens reused"
  )

  let (plainSeconds, plainTokens, _) = try await runOurs(caching: false)
  print("  LlamaBackend, no caching: \(fmt(plainSeconds, 2)) s, \(plainTokens) verdict tokens")
  print(
    "RATIO judge vs llama-server \(fmt(serverSeconds / cachedSeconds, 2))x (target >= 1.5x), vs no caching \(fmt(plainSeconds / cachedSeconds, 2))x"
  )
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
guard !options.model.isEmpty else { fail("pass --model PATH or set FIELDEVAL_MODEL") }
switch options.mode {
case "single": try await single(options)
case "parallel": try await parallel(options)
case "judge": try await judge(options)
default:
  fail(
    "usage: llama-backend-bench single|parallel|judge --model PATH [--threads N] [--server URL] [--ref-pp X --ref-tg Y]"
  )
}
