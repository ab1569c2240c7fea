"""Peer side of bench/foundation.ts: fastText (lid.176) and tiktoken (cl100k_base) on one core.

Usage: python foundation_peer.py <corpus.jsonl> <lid.176.ftz> <cl100k_base.tiktoken>

Loads the corpus and both models, prints one JSON line with load times and versions, then
answers one command per stdin line with one JSON line on stdout:
  langid LO HI       fastText predict(k=3) over documents LO..HI-1, timed
  langid_labels      the top label of every document (untimed use: agreement)
  tiktoken LO HI     encode_ordinary over documents LO..HI-1, timed, also per kind of document
  tiktoken_ids PATH  write every document's ids as uint32 LE, preceded by a uint32 count per
                     document, to PATH (untimed use: agreement)
  quit
Nothing here touches the network: sockets are refused, and tiktoken's cl100k_base definition
is used with its BPE file read from the local path (checked against tiktoken's expected hash).
"""
import json
import os
import socket
import struct
import sys
import time
from importlib.metadata import version


def refuse(*_args, **_kwargs):
    raise RuntimeError("foundation_peer.py must not use the network")


socket.socket.connect = refuse
socket.create_connection = refuse

corpus_path, lid_path, bpe_path = sys.argv[1:4]
records = [json.loads(line) for line in open(corpus_path, encoding="utf-8") if line.strip()]
texts = [r["text"] for r in records]
kinds = [r["built_from"] for r in records]

t0 = time.perf_counter()
import fasttext  # noqa: E402  (imported late so its import time counts as load time)

fasttext.FastText.eprint = lambda *_a, **_k: None  # silence the load_model deprecation banner
lid = fasttext.load_model(lid_path)
lid_load = time.perf_counter() - t0

t0 = time.perf_counter()
from offline_models import cl100k_encoding  # noqa: E402

enc = cl100k_encoding(bpe_path)
enc.encode_ordinary("warm up the regex and the rank table")
tik_load = time.perf_counter() - t0


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def langid_pass(lo, hi):
    for text in texts[lo:hi]:
        # fastText reads one line; datatrove's LanguageFilter joins lines the same way.
        lid.predict(text.replace("\n", " "), k=3)
    return hi - lo


def tiktoken_pass(lo, hi):
    """Tokens in total, and [tokens, seconds] per kind of document (UDHR language, mixed, wet)."""
    n = 0
    by_kind = {}
    clock = time.perf_counter
    for text, kind in zip(texts[lo:hi], kinds[lo:hi]):
        t0 = clock()
        k = len(enc.encode_ordinary(text))
        dt = clock() - t0
        n += k
        acc = by_kind.setdefault(kind, [0, 0.0])
        acc[0] += k
        acc[1] += dt
    return n, by_kind


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


reply({
    "ready": True,
    "docs": len(texts),
    "load_seconds": {"fasttext": lid_load, "tiktoken": tik_load},
    "versions": {
        "python": sys.version.split()[0],
        "fasttext": version("fasttext-numpy2-wheel"),
        "tiktoken": version("tiktoken"),
        "numpy": version("numpy"),
    },
    "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "RAYON_NUM_THREADS", "TOKENIZERS_PARALLELISM")},
})

for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "langid":
        lo, hi = (int(x) for x in arg.split())
        docs, wall, cpu = timed(lambda: langid_pass(lo, hi))
        reply({"op": cmd, "docs": docs, "seconds": wall, "cpu_seconds": cpu})
    elif cmd == "langid_labels":
        labels = [lid.predict(t.replace("\n", " "), k=1)[0][0].replace("__label__", "") for t in texts]
        reply({"op": cmd, "labels": labels})
    elif cmd == "tiktoken":
        lo, hi = (int(x) for x in arg.split())
        (tokens, by_kind), wall, cpu = timed(lambda: tiktoken_pass(lo, hi))
        reply({"op": cmd, "docs": hi - lo, "tokens": tokens, "seconds": wall, "cpu_seconds": cpu, "by_kind": by_kind})
    elif cmd == "tiktoken_ids":
        with open(arg, "wb") as out:
            for text in texts:
                ids = enc.encode_ordinary(text)
                out.write(struct.pack(f"<I{len(ids)}I", len(ids), *ids))
        reply({"op": cmd, "path": arg})
    elif cmd == "quit":
        break
    else:
        reply({"op": cmd, "error": f"unknown command {cmd!r}"})
