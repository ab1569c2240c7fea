"""Decode every sample of a corpusflow release with the reference `webdataset` reader.

Usage: python dump_webdataset_tokens.py <release_dir>
Prints one JSON object: for each document id, its token pieces as (doc_token_start, tokens) in the
order the shards hold them, so the caller can rebuild and detokenize each document.
"""
import json
import os
import sys

import webdataset as wds

release = sys.argv[1]
manifest = json.load(open(os.path.join(release, "manifest.json")))
docs = {}
counts = []
for shard in manifest["shards"]:
    # A shard `forget` carried by reference lives in the sibling version folder its "from" names.
    folder = os.path.join(os.path.dirname(os.path.normpath(release)), shard["from"]) if "from" in shard else release
    url = os.path.join(folder, "shards", shard["name"])
    n = 0
    for sample in wds.WebDataset(url, shardshuffle=False).decode():
        n += 1
        tokens = sample["tokens.npy"].tolist()
        for d in sample["json"]["docs"]:
            start, end = d["range"]
            docs.setdefault(d["id"], []).append([d["doc_token_start"], tokens[start:end]])
    counts.append(n)
print(json.dumps({"samples_per_shard": counts, "docs": docs}))
