"""Read a corpusflow release with the reference `webdataset` reader and report what it saw.

Usage: python read_webdataset.py <release_dir> <eos_id>
Prints one JSON object: per shard the samples, tokens and dtypes read, plus EOS and key checks.
"""
import json
import os
import sys

import numpy as np
import webdataset as wds

release, eos_id = sys.argv[1], int(sys.argv[2])
manifest = json.load(open(os.path.join(release, "manifest.json")))
report = {"shards": [], "eos": 0, "json_token_mismatches": 0, "docs_in_json": 0}
for shard in manifest["shards"]:
    # A shard `forget` carried by reference lives in the sibling version folder its "from" names.
    folder = os.path.join(os.path.dirname(os.path.normpath(release)), shard["from"]) if "from" in shard else release
    url = os.path.join(folder, "shards", shard["name"])
    samples = tokens = 0
    dtypes = set()
    for sample in wds.WebDataset(url, shardshuffle=False).decode():
        arr = sample["tokens.npy"]
        meta = sample["json"]
        assert isinstance(arr, np.ndarray) and arr.ndim == 1
        dtypes.add(str(arr.dtype))
        samples += 1
        tokens += int(arr.size)
        report["eos"] += int((arr == eos_id).sum())
        report["docs_in_json"] += len(meta["docs"])
        if meta["tokens"] != arr.size or sum(d["range"][1] - d["range"][0] for d in meta["docs"]) != arr.size:
            report["json_token_mismatches"] += 1
    report["shards"].append({"name": shard["name"], "samples": samples, "tokens": tokens, "dtypes": sorted(dtypes)})
print(json.dumps(report))
