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
exit 0
