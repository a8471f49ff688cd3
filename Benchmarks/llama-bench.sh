#!/usr/bin/env bash
# Runs LlamaBackend's benchmarks side by side with llama.cpp's tools on the same model and
# thread count, and prints ratios (see Benchmarks/LlamaBenchmark/README.md).
#
#   Benchmarks/llama-bench.sh [single|parallel|judge|all]
#
# Environment: FIELDEVAL_MODEL (default: the bootstrap test model), FIELDEVAL_CACHE,
# BENCH_THREADS (default: nproc), BENCH_PORT (default 18080), SKIP_BUILD=1 to reuse the build.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${FIELDEVAL_CACHE:-$HOME/.cache/fieldeval}
MODEL=${FIELDEVAL_MODEL:-$CACHE/models/gemma-3-270m-q4_k_m.gguf}
THREADS=${BENCH_THREADS:-$(nproc)}
PORT=${BENCH_PORT:-18080}
BACKEND=cpu
[ -d "$CACHE/llama.cpp-11434.0.0-cuda" ] && BACKEND=cuda
BIN="$CACHE/llama.cpp-11434.0.0-$BACKEND/bin"
WHAT=${1:-all}

[ -f "$MODEL" ] || { echo "model not found: $MODEL (run make bootstrap)" >&2; exit 2; }
[ -x "$BIN/llama-bench" ] || { echo "llama.cpp tools not found in $BIN (run make bootstrap)" >&2; exit 2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product llama-backend-bench >&2
fi
BENCH="$(swift build -c release --show-bin-path)/llama-backend-bench"

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

start_server() { # $1 = slots, $2 = context per slot
  "$BIN/llama-server" -m "$MODEL" -t "$THREADS" -tb "$THREADS" -np "$1" -c $(($1 * $2)) \
    --host 127.0.0.1 --port "$PORT" >"${TMPDIR:-/tmp}/fieldeval-llama-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "${TMPDIR:-/tmp}/fieldeval-llama-server.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "llama-server did not become ready" >&2
  exit 1
}

echo "model: $MODEL, threads: $THREADS, llama.cpp: $BIN"
if [ "$WHAT" = single ] || [ "$WHAT" = all ]; then
  json=$("$BIN/llama-bench" -m "$MODEL" -t "$THREADS" -p 512 -n 128 -r 3 -o json 2>/dev/null)
  read -r PP TG < <(python3 -c '
import json, sys
rows = json.loads(sys.stdin.read())
pp = [r["avg_ts"] for r in rows if r["n_prompt"] > 0 and r["n_gen"] == 0][0]
tg = [r["avg_ts"] for r in rows if r["n_gen"] > 0 and r["n_prompt"] == 0][0]
print(pp, tg)' <<<"$json")
  "$BENCH" single --model "$MODEL" --threads "$THREADS" --ref-pp "$PP" --ref-tg "$TG"
fi
if [ "$WHAT" = parallel ] || [ "$WHAT" = all ]; then
  start_server 8 256
  "$BENCH" parallel --model "$MODEL" --threads "$THREADS" --server "http://127.0.0.1:$PORT"
  stop_server
fi
if [ "$WHAT" = judge ] || [ "$WHAT" = all ]; then
  start_server 4 2048
  "$BENCH" judge --model "$MODEL" --threads "$THREADS" --server "http://127.0.0.1:$PORT"
  stop_server
fi
