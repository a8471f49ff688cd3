"""The hand-written audit the incident's author ran: json.loads per row plus three regex checks.

usage: python3 python_audit.py CORPUS.jsonl
"""
import json, re, sys

prefix = re.compile(r"<think>\s*[A-Z]{1,3}[0-9]{1,4}[a-z]?(?:[ \t]+[\w'-]+){0,5}[ \t]*:")
duplicate = re.compile(r"duplicate of \d+", re.I)
diversify = re.compile(r"diversify by", re.I)
counts = {"prefix": 0, "duplicate": 0, "diversify": 0, "rows": 0, "bad": 0}
with open(sys.argv[1], "rb") as f:
    for raw in f:
        try:
            row = json.loads(raw)
        except ValueError:
            counts["bad"] += 1
            continue
        counts["rows"] += 1
        if "messages" in row:
            text = "\n".join(m.get("content", "") for m in row["messages"] if m.get("role") == "assistant")
        elif "conversations" in row:
            text = "\n".join(m.get("value", "") for m in row["conversations"] if m.get("from") == "gpt")
        else:
            text = row.get("response") or row.get("text") or ""
        if prefix.search(text): counts["prefix"] += 1
        if duplicate.search(text): counts["duplicate"] += 1
        if diversify.search(text): counts["diversify"] += 1
print(json.dumps(counts))
