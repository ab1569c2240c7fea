"""Extract main text from HTML pages with trafilatura, as datatrove's Trafilatura block calls it.

Usage: trafilatura_texts.py PAGES.json ROUNDS  (PAGES.json: a JSON list of HTML strings)
Prints one JSON object: the texts of the first round and the seconds all rounds took.
"""
import json
import sys
import time

import trafilatura

pages = json.load(open(sys.argv[1], encoding="utf-8"))
rounds = int(sys.argv[2])
texts = []
start = time.process_time()
for r in range(rounds):
    for html in pages:
        # datatrove's defaults (favor_precision, no comments); deduplicate off so repeated pages cost the same.
        text = trafilatura.extract(html, favor_precision=True, include_comments=False, deduplicate=False) or ""
        if r == 0:
            texts.append(text)
seconds = time.process_time() - start
print(json.dumps({"texts": texts, "seconds": seconds, "docs": rounds * len(pages)}))
