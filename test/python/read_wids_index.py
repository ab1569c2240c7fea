"""Read every sample of a release through its index.wids.json, resolving shard URLs as wids does.

Usage: python read_wids_index.py <release_dir>
wids joins each shardlist url onto the index file's URL with urllib.parse.urljoin, so a carried
shard's `../v1/shards/x.tar` lands in the sibling version folder. Prints one JSON object: per
shard url, the file it resolved to, the samples and tokens read.
"""
import json
import os
import sys
from urllib.parse import urljoin

import webdataset as wds

index_path = os.path.join(sys.argv[1], "index.wids.json")
index = json.load(open(index_path))
report = {"shards": []}
for entry in index["shardlist"]:
    path = urljoin(index_path, entry["url"])
    samples = tokens = 0
    for sample in wds.WebDataset(path, shardshuffle=False).decode():
        samples += 1
        tokens += int(sample["tokens.npy"].size)
    report["shards"].append({"url": entry["url"], "path": os.path.realpath(path), "nsamples": entry["nsamples"], "samples": samples, "tokens": tokens})
print(json.dumps(report))
