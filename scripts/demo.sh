#!/usr/bin/env bash
# `make demo`: runs FieldEval's jobs on the bundled example data.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.build/debug/fieldeval
section() { printf '\n==== %s ====\n\n' "$*"; }

section "EmissionGate: fine-tuned run vs. its baseline (Examples/emission)"
echo "\$ fieldeval emission Examples/emission/finetune-outputs.jsonl --baseline Examples/emission/baseline-outputs.jsonl --config Examples/emission/gate.yaml"
$BIN emission Examples/emission/finetune-outputs.jsonl --baseline Examples/emission/baseline-outputs.jsonl \
  --config Examples/emission/gate.yaml
echo "(exit status $?: 0 pass, 1 fail, 2 usage or unreadable input)"

section "LeakScanner: audit a training corpus before the fine-tune (Examples/corpus)"
echo "\$ fieldeval scan Examples/corpus/train.jsonl --rules Examples/corpus/rules.yaml"
$BIN scan Examples/corpus/train.jsonl --rules Examples/corpus/rules.yaml
echo "(exit status $?: 0 nothing flagged, 1 something flagged, 2 usage or unreadable input)"

section "LeakScanner: clean it (every line lands in exactly one output)"
out=$(mktemp -d)
echo "\$ fieldeval clean Examples/corpus/train.jsonl --rules Examples/corpus/rules.yaml --repair --clean-out \$OUT/clean.jsonl --quarantine-out \$OUT/quarantine.jsonl"
$BIN clean Examples/corpus/train.jsonl --rules Examples/corpus/rules.yaml --repair \
  --clean-out "$out/clean.jsonl" --quarantine-out "$out/quarantine.jsonl" --audit-out "$out/audit.jsonl"
echo "input: $(wc -l <Examples/corpus/train.jsonl)  clean: $(wc -l <"$out/clean.jsonl")  quarantine: $(wc -l <"$out/quarantine.jsonl")  repairs audited: $(wc -l <"$out/audit.jsonl")"
echo "first quarantine entry:"; head -c 400 "$out/quarantine.jsonl"; echo " …"
rm -rf "$out"
exit 0
