"""Generates a synthetic SFT corpus for the LeakScanner benchmark.

usage: python3 generate_corpus.py ROWS OUT.jsonl
Mixed layouts ({messages} 60%, {prompt,response} 25%, {text} 10%, {conversations} 5%),
~56% family-designator think openings, ~6% "duplicate of N", ~20% "diversify by", a few
percent exact duplicates, and ~750 bytes per row.
"""
import json, random, sys

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
out = sys.argv[2] if len(sys.argv) > 2 else "corpus.jsonl"
rng = random.Random(3886)
words = ("claim reference examiner element housing latch spring anticipation obvious combine motivation "
         "sum odd integer square prime factor divide remainder modulo cycle period block arrange "
         "portfolio bond stock inflation retiree steak rest juices minutes inch thickness").split()
families = ["A4 spice combinator:", "A1 spice combinator:", "E1 garlic blender:", "C2 umami bridge:", "B7 citrus lift:"]
natural = ["Okay, so", "Let me think.", "First,", "Alright,", "Hmm,", "So"]
BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
prev = []
with open(out, "w", encoding="utf-8") as f:
    for i in range(rows):
        if prev and rng.random() < 0.02:
            f.write(rng.choice(prev) + "\n")
            continue
        body = " ".join(rng.choice(words) for _ in range(rng.randint(70, 90))) + "."
        opening = rng.choice(families) if rng.random() < 0.56 else rng.choice(natural)
        think = f"{opening} {body}"
        if rng.random() < 0.06:
            think += f" duplicate of {rng.randint(1, rows)}."
        if rng.random() < 0.20:
            think += " Diversify by changing the numbers."
        q = "Question " + " ".join(rng.choice(words) for _ in range(12)) + "?"
        out_text = f"<think>\n{think}\n</think>\n\nAnswer {i}: " + " ".join(rng.choice(words) for _ in range(8)) + "."
        r = rng.random()
        if r < 0.60:
            row = {"id": f"r{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": out_text}]}
        elif r < 0.85:
            row = {"id": f"r{i}", "prompt": q, "response": out_text}
        elif r < 0.95:
            row = {"id": f"r{i}", "text": f"{BOS}<｜User｜>{q}<｜Assistant｜>{out_text}{EOS}"}
        else:
            row = {"id": f"r{i}", "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": out_text}]}
        line = json.dumps(row, ensure_ascii=False)
        f.write(line + "\n")
        if i % 1000 == 0:
            prev = (prev + [line])[-50:]
