"""datatrove's PIIFormatter (emails and public IPs only) on the throughput corpus of bench/pii.ts.
Usage: datatrove_peer.py corpus.jsonl budget_cpu_seconds out.json
"""
import json
import sys
import time

from datatrove.pipeline.formatters import PIIFormatter


def main() -> None:
    corpus, budget, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    docs = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
    formatter = PIIFormatter()
    start = time.process_time()
    done = 0
    while time.process_time() - start < budget:
        for text in docs:
            formatter.format(text)
            done += 1
    seconds = time.process_time() - start
    json.dump({"docs": done, "cpu_seconds": seconds, "docs_per_s": done / seconds}, open(out, "w"))


if __name__ == "__main__":
    main()
