"""Read a WARC with warcio and print what it holds, as the interop test expects.

Usage: read_warc.py FILE
Prints one JSON object: per record its type, target URI, HTTP status and decoded payload length.
"""
import json
import sys

from warcio.archiveiterator import ArchiveIterator

records = []
with open(sys.argv[1], "rb") as f:
    for rec in ArchiveIterator(f):
        status = rec.http_headers.get_statuscode() if rec.rec_type == "response" and rec.http_headers else None
        payload = rec.content_stream().read()
        records.append({
            "type": rec.rec_type,
            "uri": rec.rec_headers.get_header("WARC-Target-URI"),
            "date": rec.rec_headers.get_header("WARC-Date"),
            "status": int(status) if status else None,
            "payload_bytes": len(payload),
            "payload_head": payload[:200].decode("utf-8", "replace"),
        })
print(json.dumps(records))
