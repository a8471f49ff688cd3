"""Generates Examples/corpus/train.jsonl: a small synthetic SFT corpus with the leaks of the
motivating incident planted in it. Run from this folder: python3 make_corpus.py"""
import json, random

random.seed(3886)
BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
questions = [
    ("patent", "Is claim 1 anticipated if the reference lacks the damping spring?",
     "Anticipation needs every element in one reference. The reference lacks the spring, so there is no anticipation; obviousness may still apply.",
     "No. Without the damping spring the reference cannot anticipate claim 1."),
    ("patent", "How do we answer a duplicate claim objection?",
     "The examiner objected under 37 CFR 1.75 because claims 4 and 9 are substantially duplicates. A duplicate claim objection is cured by cancelling one claim or by amending it to differ in scope.",
     "Cancel claim 9 or amend it so its scope differs from claim 4."),
    ("patent", "When does 35 U.S.C. 112(f) apply?",
     "The word means plus a function raises a presumption. Without it, the presumption goes the other way unless the term lacks definite structure.",
     "When the claim recites a means for a function, or a nonce term without structure."),
    ("finance", "Should a retiree hold only bonds?",
     "A retiree needs income and protection from inflation. Holding only bonds leaves inflation risk, so most advisers diversify the portfolio across stocks and bonds.",
     "Usually not; a mix of bonds and stocks manages inflation risk."),
    ("math", "What is the sum of the first 50 odd numbers?",
     "The first n odd numbers sum to n squared. With n equal to 50 the sum is 2500.",
     "2500"),
    ("math", "Solve 3x + 7 = 2x - 5.",
     "Subtract 2x from both sides to get x + 7 = -5, then subtract 7 to get x = -12.",
     "x = -12"),
    ("math", "Is 221 prime?",
     "Check primes up to 14. 221 divided by 13 is 17, so it factors as 13 times 17.",
     "No, 221 = 13 × 17."),
    ("cooking", "How long should I rest a steak?",
     "Resting lets the juices redistribute. About five minutes per inch of thickness is a common rule.",
     "About five to ten minutes."),
]
fillers = [
    "I should check case N separately.", "The record shows N pages of prosecution history.",
    "A quick estimate gives roughly N.", "Consider the example with N units.", "The prior art dates from N years ago.",
    "Step N is the comparison.", "Rounding to N places is enough here.", "There are N related claims to review.",
    "The user asked about this in message N.", "Table N in the specification supports this.",
    "Try a smaller value such as N first.", "The deadline falls N days after the action.",
    "Sanity check with N as input.", "This matches the N examples given earlier.", "Claim N depends on claim 1.",
    "Use N as the base case.", "Verify the unit conversion for N grams.", "Fee code N applies to small entities.",
]
families = ["A4 spice combinator:", "A1 spice combinator:", "E1 garlic blender:", "E3 garlic blender:", "C2 umami bridge:"]
natural = ["Okay, so ", "Let me think. ", "First, ", "Alright, ", ""]

rows = []
n = 300
for i in range(n):
    cat, q, think, ans = questions[i % len(questions)]
    t = think
    # 56% of think blocks open with a family designator
    if random.random() < 0.56:
        t = random.choice(families) + " " + t
    else:
        t = random.choice(natural) + t
    if random.random() < 0.06:
        t += f" (duplicate of {random.randint(1000, 5000)})"
    if random.random() < 0.20:
        t += " " + random.choice(["Diversify by changing the persona.", "diversify by varying the numbers.", "Vary the opening next time."])
    t += " " + " ".join(random.sample(fillers, 3)).replace("N", str(random.randint(2, 99)))
    out = f"<think>\n{t}\n</think>\n\n{ans}"
    shape = i % 10
    if shape < 6:
        row = {"id": f"r{i:04d}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": out}]}
    elif shape < 8:
        row = {"id": f"r{i:04d}", "prompt": q, "response": out}
    elif shape == 8:
        text = f"{BOS}<｜User｜>{q}<｜Assistant｜>{out}{EOS}"
        row = {"id": f"r{i:04d}", "text": text}
    else:
        row = {"id": f"r{i:04d}", "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": out}]}
    rows.append(row)

def set_out(row, fn):
    if "messages" in row: row["messages"][1]["content"] = fn(row["messages"][1]["content"])
    elif "response" in row: row["response"] = fn(row["response"])
    elif "conversations" in row: row["conversations"][1]["value"] = fn(row["conversations"][1]["value"])
    else: row["text"] = fn(row["text"])

set_out(rows[0], lambda s: s.replace("Anticipation needs", "anticipationneedseveryelementinonereferencesothereisnoanticipationhere. Anticipation needs"))
set_out(rows[1], lambda s: s.replace("The examiner", "The applicantâ€™s examiner"))
set_out(rows[12], lambda s: s.replace("</think>", "그러므로 답은 다음과 같습니다\n</think>"))
set_out(rows[13], lambda s: s.replace("</think>", " ".join(["So the sum is 2500 again."] * 10) + "\n</think>"))
set_out(rows[14], lambda s: s.split("</think>")[0])                       # unclosed
set_out(rows[15], lambda s: "<think>\n\n</think>\n\n" + s.split("</think>")[1])  # empty
set_out(rows[16], lambda s: s.replace("</think>", "</think><|im_end|>"))  # stray special token
set_out(rows[20], lambda s: s.replace("<think>\n", "<think>\n[variant 7] "))
set_out(rows[21], lambda s: s.replace("<think>\n", "<think>\npersona=tax-attorney "))
rows[28]["text"] = rows[28]["text"].replace(BOS, "")                     # missing BOS
rows[38]["text"] = rows[38]["text"].replace(EOS, "")                     # missing EOS
rows.append(json.loads(json.dumps(rows[4])))                              # exact duplicate
near = json.loads(json.dumps(rows[5])); near["id"] = "r0005-near"
set_out(near, lambda s: s.replace("x = -12", "x equals -12"))
rows.append(near)                                                          # near duplicate

with open("train.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
    f.write('{"id": "r9998", "messages": [{"role": "user", "content": "cut off mid-write\n')
    f.write('{"id": "r9999", "prompt": "no response field"}\n')
with open("train.jsonl", "ab") as f:
    f.write(b'{"id": "r9997", "response": "<think>caf\xe9</think>ok"}\n')
