"""datatrove's own ingest on one file: WarcReader (+ its Trafilatura extractor for WARC), single task.

Usage: datatrove_ingest.py FILE wet|warc
Prints one JSON object: documents with text and CPU seconds, including the extractor's sandbox
process (datatrove runs trafilatura in a child process to enforce its timeout).
"""
import json
import os
import resource
import sys
import time

from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers import WarcReader

path, mode = sys.argv[1], sys.argv[2]


def cpu():
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


reader = WarcReader(data_folder=os.path.dirname(path), glob_pattern=os.path.basename(path))
start = cpu()
docs = reader.run()
if mode == "warc":
    # deduplicate off, as for the warcio peer: the bench repeats pages.
    docs = Trafilatura(favour_precision=True, timeout=30, deduplicate=False).run(docs)
n = sum(1 for d in docs if d.text)
print(json.dumps({"docs": n, "seconds": cpu() - start}))
