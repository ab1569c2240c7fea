"""Read a corpusflow release with `wids.ShardListDataset` on its index.wids.json, by sample index.

Usage: python read_wids.py <release_dir> <cache_dir>
Reads every sample by its global index in a scrambled order (as a resumed or shuffled training
job does), and prints one JSON object: the dataset length, each index's shard and key, and for
each document id its token pieces as (doc_token_start, tokens), so the caller can rebuild and
detokenize each document.

Runs in the venv with torch (requirements-wids.txt): wids imports torch.distributed.
"""
import json
import random
import sys

import wids
from wids.wids_decode import decode_basic

release = sys.argv[1]
# decode_basic decodes .npy and .json; wids's default also imports Pillow, for images we do not have.
# wids copies each shard into its cache (and locks it there) before opening it: a folder of the caller's.
ds = wids.ShardListDataset(f"{release}/index.wids.json", transformations=[decode_basic], cache_dir=sys.argv[2])
order = list(range(len(ds)))
random.Random(0).shuffle(order)
samples = {}
docs = {}
for i in order:
    sample = ds[i]
    meta = sample[".json"]
    tokens = sample[".tokens.npy"].tolist()
    samples[i] = {"shard": sample["__shard__"], "key": sample["__key__"], "sample": meta["sample"], "dtype": str(sample[".tokens.npy"].dtype)}
    for d in meta["docs"]:
        start, end = d["range"]
        docs.setdefault(d["id"], []).append([i, d["doc_token_start"], tokens[start:end]])
# Pieces in sample order, whatever order they were read in.
print(json.dumps({"len": len(ds), "samples": [samples[i] for i in range(len(ds))],
                  "docs": {k: [[s, p] for _, s, p in sorted(v)] for k, v in docs.items()}}))
