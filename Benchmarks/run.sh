#!/usr/bin/env bash
# Runs FieldEval's benchmarks (release builds). Each prints its comparison side by side.
#   bash Benchmarks/run.sh [emission|leak|llama ...]   (default: all that exist)
set -euo pipefail
cd "$(dirname "$0")/.."
which=("$@")
[ ${#which[@]} -gt 0 ] || which=(emission leak llama)
for b in "${which[@]}"; do
  case "$b" in
    emission)
      swift build -c release --product emission-bench
      .build/release/emission-bench "${ROWS:-1000000}"
      ;;
    leak) [ -f Benchmarks/leak-bench.sh ] && bash Benchmarks/leak-bench.sh ;;
    llama) [ -f Benchmarks/llama-bench.sh ] && bash Benchmarks/llama-bench.sh ;;
    *) echo "unknown benchmark $b (emission, leak, llama)" >&2; exit 2 ;;
  esac
done
