// LeakScanner: audits and cleans a training corpus before a fine-tune (scaffolding prefixes,
// producer notes, discovered scaffolding, duplicates, ...). Its API lands with the
// LeakScanner issue; this module is intentionally empty until then.
@_exported public import EvalCore
