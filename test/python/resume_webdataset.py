"""Resume reading a corpusflow release at a global sample index, as docs/releases.md shows.

Usage: python resume_webdataset.py <release_dir> <start>
Prints the keys of the samples read, in order, as one JSON list.
"""
import json
import os
import sys

import webdataset as wds

release, start = sys.argv[1], int(sys.argv[2])
manifest = json.load(open(os.path.join(release, "manifest.json")))
spp = manifest["packing"]["samples_per_shard"]
# A shard `forget` carried by reference lives in the sibling version folder its "from" names.
urls = [os.path.join(os.path.dirname(os.path.normpath(release)), s["from"], "shards", s["name"]) if "from" in s
        else os.path.join(release, "shards", s["name"]) for s in manifest["shards"]]
# Every shard but the last holds spp samples: skip whole shards, then the rest within one.
ds = wds.WebDataset(urls[start // spp:], shardshuffle=False).slice(start % spp, None)
print(json.dumps([sample["__key__"] for sample in ds]))
