#!/usr/bin/env bash
# Where a default scan's CPU goes: user CPU of `fieldeval scan` with every detector off (the
# floor: reading, parsing the rows, the opening histogram), with each detector alone on top of
# that floor, and with everything on. Each configuration runs ROUNDS times, in turns, and the
# fastest run counts (the least disturbed by neighbours on a shared machine).
#
#   bash Benchmarks/LeakBenchmark/detector-costs.sh [CORPUS] [ROUNDS=3]
#
# Without CORPUS it takes the first 150 MB of the leak benchmark's 1M-row corpus (generated
# when missing). Fixed costs (a table per piece of the file, the report) weigh more on a
# small corpus than on the whole one; the split between detectors is what this is for.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=${1:-}
ROUNDS=${2:-3}
if [ -z "$CORPUS" ]; then
  FULL=${TMPDIR:-/tmp}/fieldeval-leak-bench-1000000.jsonl
  [ -f "$FULL" ] || python3 Benchmarks/LeakBenchmark/generate_corpus.py 1000000 "$FULL"
  CORPUS=${TMPDIR:-/tmp}/fieldeval-leak-bench-150mb.jsonl
  [ -f "$CORPUS" ] || { head -c 150000000 "$FULL" | sed '$d' >"$CORPUS"; }
fi
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null 2>&1 || sudo apt-get install -y -qq time >/dev/null; }
swift build -c release --product fieldeval >/dev/null
BIN=.build/release/fieldeval
DETECTORS=(producer-note scaffold-prefix run-together mojibake script-drift repetition think-structure special-tokens)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

# name → ruleset: "none" disables everything; "only-X" turns X back on.
all_off() { local IFS=,; echo "${DETECTORS[*]}"; }
write() { echo "$2" >"$DIR/$1.yaml"; }
write all "detectors: {}"
write none "detectors: {disable: [$(all_off)], discovery: {enabled: false}, exact_duplicates: false}"
for d in "${DETECTORS[@]}"; do
  rest=$(printf '%s\n' "${DETECTORS[@]}" | grep -vx "$d" | paste -sd, -)
  write "only-$d" "detectors: {disable: [$rest], discovery: {enabled: false}, exact_duplicates: false}"
done
write only-discovery "detectors: {disable: [$(all_off)], discovery: {enabled: true}, exact_duplicates: false}"
write only-exact-duplicates "detectors: {disable: [$(all_off)], discovery: {enabled: false}, exact_duplicates: true}"

names=(none all)
for d in "${DETECTORS[@]}" discovery exact-duplicates; do names+=("only-$d"); done
for ((r = 1; r <= ROUNDS; r++)); do
  for n in "${names[@]}"; do
    { /usr/bin/time -f "%U" "$BIN" scan "$CORPUS" --rules "$DIR/$n.yaml" --format json >/dev/null; } 2>>"$DIR/$n.times" || true
  done
done
python3 - "$DIR" "$CORPUS" "${names[@]}" <<'PY'
import os, sys
d, corpus, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def best(n):
    return min(float(l.split()[-1]) for l in open(os.path.join(d, n + ".times")) if l.strip())
none, every = best("none"), best("all")
mb = os.path.getsize(corpus) / 1e6
print(f"corpus {corpus} ({mb:.0f} MB); user CPU, fastest of the rounds")
print(f"{'configuration':<28} {'user s':>7} {'over floor':>10} {'share of all':>12}")
print(f"{'floor (all off)':<28} {none:7.2f} {'':>10} {none / every:11.0%}")
for n in names[2:]:
    t = best(n)
    print(f"{n[5:] + ' alone':<28} {t:7.2f} {t - none:+10.2f} {(t - none) / every:11.0%}")
print(f"{'everything (default scan)':<28} {every:7.2f} {every - none:+10.2f} {1:11.0%}")
print("(detectors alone overlap: repetition, run-together and exact duplicates share one read of the words)")
PY
