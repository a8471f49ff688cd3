// ProbeSuite: runs a model under test over probe sets, keeps every raw output on disk,
// applies EmissionGate and ContentGate, compares with a baseline and reproduces a single row.
// Its API lands with the ProbeSuite issue; this module is intentionally empty until then.
@_exported public import EvalCore
