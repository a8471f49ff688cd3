#!/usr/bin/env bash
# LeakScanner throughput, side by side in one run, on one generated corpus:
#   1. fieldeval scan, default detectors (no near-duplicates), both cores
#   2. the hand-written Python audit (json.loads per row + three regex checks)
#   3. rg counting the same literal patterns
#   4. fieldeval scan with near-duplicates on
#   5. fieldeval clean (for information)
# Prints MB/s, peak RSS and the ratios. ROWS=1000000 (default) is about 900 MB.
#   bash Benchmarks/leak-bench.sh            # ROWS=200000 for a quicker run
#   ROUNDS=3 bash Benchmarks/leak-bench.sh   # three side-by-side rounds, median ratio
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-1}  # scan/Python/rg rounds; the median ratio is reported
CORPUS=${CORPUS:-${TMPDIR:-/tmp}/fieldeval-leak-bench-$ROWS.jsonl}
command -v rg >/dev/null || { apt-get install -y -qq ripgrep >/dev/null 2>&1 || sudo apt-get install -y -qq ripgrep >/dev/null; }
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null 2>&1 || sudo apt-get install -y -qq time >/dev/null; }
[ -f "$CORPUS" ] || python3 Benchmarks/LeakBenchmark/generate_corpus.py "$ROWS" "$CORPUS"
swift build -c release --product fieldeval >/dev/null
BIN=.build/release/fieldeval
MB=$(python3 -c "import os;print(os.path.getsize('$CORPUS')/1e6)")

measure() {  # name, command...
  local name=$1; shift
  local log; log=$(mktemp)
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  local secs rss
  secs=$(python3 -c "print($end-$start)")
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$log")
  rm -f "$log"
  printf '%-44s %8.2f s %9.1f MB/s  peak RSS %6.0f MB\n' "$name" "$secs" "$(python3 -c "print($MB/$secs)")" "$(python3 -c "print($rss/1024)")" >&2
  echo "$secs"
}

echo "corpus: $CORPUS ($ROWS rows, $(printf '%.0f' "$MB") MB), cores: $(nproc), rounds: $ROUNDS" >&2
# Into the page cache first, so the first tool measured does not pay for the disk (or for a
# cache the VM reclaimed) while the others read memory.
cat "$CORPUS" >/dev/null
# Scan, Python audit and rg side by side in each round; the ratios are taken per round (the
# same minute of a shared machine) and their median is the figure to record.
scans=(); pys=(); rgs=()
for ((r = 1; r <= ROUNDS; r++)); do
  [ "$ROUNDS" -gt 1 ] && echo "round $r" >&2
  scans+=("$(measure "fieldeval scan (default, no near-dup)" "$BIN" scan "$CORPUS" --format json)")
  pys+=("$(measure "python audit (json.loads + 3 regexes)" python3 Benchmarks/LeakBenchmark/python_audit.py "$CORPUS")")
  rgs+=("$(measure "rg -c, same literal patterns" rg -c -F -e "spice combinator:" -e "duplicate of" -e "iversify by" "$CORPUS")")
done
t_near=$(measure "fieldeval scan --near-duplicates" "$BIN" scan "$CORPUS" --near-duplicates --format json)
# For information: clean writes every line to one of two outputs (the scan, then a pass that
# writes rows and the evidence of each flagged one).
OUT=$(mktemp -d)
t_clean=$(measure "fieldeval clean (clean + quarantine outputs)" "$BIN" clean "$CORPUS" \
  --clean-out "$OUT/clean.jsonl" --quarantine-out "$OUT/quarantine.jsonl")
rm -rf "$OUT"
python3 - "${scans[*]}" "${pys[*]}" "${rgs[*]}" "$t_near" "$t_clean" <<'PY'
import statistics, sys
scans, pys, rgs = ([float(x) for x in a.split()] for a in sys.argv[1:4])
near, clean = map(float, sys.argv[4:6])
py_ratios = [p / s for s, p in zip(scans, pys)]
rg_ratios = [s / g for s, g in zip(scans, rgs)]
scan = statistics.median(scans)
if len(scans) > 1:
    print("per round vs python: " + ", ".join(f"{r:.2f}x" for r in py_ratios))
print(f"ratio vs python audit: {statistics.median(py_ratios):.2f}x (target >= 10x)")
print(f"ratio vs rg:           {statistics.median(rg_ratios):.2f}x slower (aim within 5x)")
print(f"near-duplicates on:    {near:.2f} s ({near/scan:.2f}x the median default scan)")
print(f"clean:                 {clean:.2f} s ({clean/scan:.2f}x the median default scan)")
PY
