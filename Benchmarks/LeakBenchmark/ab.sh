#!/usr/bin/env bash
# A/B of two builds of leak-scan-bench on one corpus: runs them alternately and prints the
# median of the per-round ratios of user CPU (B/A). On a shared VM the speed of a run moves
# by ±20 % from minute to minute; a ratio taken within one round cancels most of that, so
# changes of a few percent show, where separate timings do not.
#
#   git worktree add /tmp/base HEAD && (cd /tmp/base && swift build -c release --product leak-scan-bench)
#   swift build -c release --product leak-scan-bench
#   bash Benchmarks/LeakBenchmark/ab.sh /tmp/base/.build/release/leak-scan-bench \
#     .build/release/leak-scan-bench [rounds=9] [corpus=/tmp/c150.jsonl] [threads=1]
set -euo pipefail
A=$1
B=$2
ROUNDS=${3:-9}
CORPUS=${4:-/tmp/c150.jsonl}
THREADS=${5:-1}
times=()
for _ in $(seq "$ROUNDS"); do
  for bin in "$A" "$B"; do
    times+=("$({ /usr/bin/time -f "%U %e" "$bin" "$CORPUS" "$THREADS" >/dev/null; } 2>&1 | tail -1)")
  done
done
python3 - "${times[@]}" <<'PY'
import statistics, sys
pairs = [tuple(map(float, t.split())) for t in sys.argv[1:]]
a, b = pairs[0::2], pairs[1::2]
ratio = statistics.median(y[0] / x[0] for x, y in zip(a, b))
for name, runs in (("A", a), ("B", b)):
    print(f"{name}: user median {statistics.median(u for u, _ in runs):.3f} s, "
          f"wall median {statistics.median(w for _, w in runs):.3f} s")
print(f"B/A user CPU, median of per-round ratios: {ratio:.3f}")
PY
