// LeakScanner: audits and cleans a training corpus before a fine-tune (scaffolding prefixes,
// producer notes, discovered scaffolding, duplicates, ...). EvalCore's JSONL reading and
// reasoning-trace parsing come with it.
@_exported public import EvalCore
