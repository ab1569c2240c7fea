"""The Python reference ingest on one file, single-threaded: warcio reads records; for WARC
responses trafilatura extracts the main text, called as datatrove's Trafilatura block calls it.

Usage: warcio_ingest.py FILE wet|warc
Prints one JSON object: documents with text, records read, CPU seconds.
"""
import json
import sys
import time

from warcio.archiveiterator import ArchiveIterator

path, mode = sys.argv[1], sys.argv[2]
if mode == "warc":
    import trafilatura

docs = records = 0
start = time.process_time()
with open(path, "rb") as f:
    for record in ArchiveIterator(f):
        records += 1
        if mode == "wet":
            if record.rec_type != "conversion":
                continue
            text = record.content_stream().read().decode("utf-8").strip()
        else:
            if record.rec_type != "response":
                continue
            ctype = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
            if "html" not in ctype.lower():
                continue
            # Bytes in: trafilatura detects the charset itself. deduplicate off: the bench repeats pages.
            text = trafilatura.extract(record.content_stream().read(), favor_precision=True, include_comments=False, deduplicate=False) or ""
        if text:
            docs += 1
seconds = time.process_time() - start
print(json.dumps({"docs": docs, "records": records, "seconds": seconds}))
