"""datatrove side of bench/e2e.ts: the same pipeline as ours, on the same WET files, one worker.

Usage: e2e_peer.py WET_DIR WORK_DIR LID_MODEL CL100K_TIKTOKEN TASKS

  read     WarcReader (WET conversion records)
  langid   LanguageFilter(["en"], 0.65) with lid.176 loaded from LID_MODEL (the file our langid ships)
  quality  GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter, FineWebQualityFilter (defaults)
  dedup    MinHash: JsonlWriter of the filtered documents, MinhashDedupSignature, -Buckets, -Cluster, then
           JsonlReader + MinhashDedupFilter (5-word shingles, 14 bands x 8 rows, as ours)
  pii      PIIFormatter (emails and public IPs)
  tokenize cl100k_base with tiktoken (BPE file written from our tokenizer's ranks, tiktoken's hash
           checked), encode_ordinary + EOS per document, tokens appended to one uint32 file per task,
           as datatrove's DocumentTokenizer writes its .ds files (it needs a Hugging Face tokenizer.json,
           which cl100k_base is not published as)

Every step is wrapped so the CPU time spent inside it (not in the steps feeding it) and the documents
it passes on are counted. Prints one JSON object: per step CPU seconds and documents out, per
executor run CPU and wall seconds, peak RSS, and the documents the dedup removed.
"""
import json
import os
import resource
import socket
import sys
import time

import numpy as np
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter, LanguageFilter
from datatrove.pipeline.formatters import PIIFormatter
from datatrove.pipeline.readers import JsonlReader, WarcReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.hashing import HashConfig
from offline_models import cl100k_encoding


_connect = socket.socket.connect


def refuse(sock, address):
    # The executor's process manager talks over a Unix socket; anything else would be the network.
    if sock.family != socket.AF_UNIX:
        raise RuntimeError("e2e_peer.py must not use the network")
    return _connect(sock, address)


socket.socket.connect = refuse

wet_dir, work, lid_path, bpe_path, tasks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

# step name -> [inclusive CPU seconds, documents out]
inclusive: dict[str, list[float]] = {}


class Timed:
    """Calls a step and measures CPU time spent inside its generator (its own work plus the steps before it)."""

    def __init__(self, name, step):
        self.name, self.step = name, step

    def __call__(self, data, rank=0, world_size=1):
        acc = inclusive.setdefault(self.name, [0.0, 0])
        clock = time.process_time
        t0 = clock()
        gen = self.step(data, rank, world_size)
        acc[0] += clock() - t0
        if gen is None:  # a sink that consumed its input in the call
            return
        it = iter(gen)
        while True:
            t0 = clock()
            try:
                doc = next(it)
            except StopIteration:
                acc[0] += clock() - t0
                return
            acc[0] += clock() - t0
            acc[1] += 1
            yield doc


class TiktokenTokenizer(PipelineStep):
    name = "tiktoken cl100k_base"
    type = "🔢 - TOKENIZER"

    def __init__(self, output_folder):
        super().__init__()
        self.output_folder = output_folder

    def run(self, data, rank=0, world_size=1):
        enc = cl100k_encoding(bpe_path)
        eos = enc.eot_token
        os.makedirs(self.output_folder, exist_ok=True)
        with open(f"{self.output_folder}/{rank:05d}.tokens", "wb") as out:
            for doc in data:
                ids = enc.encode_ordinary(doc.text)
                ids.append(eos)
                out.write(np.asarray(ids, dtype=np.uint32).tobytes())
                doc.metadata["token_count"] = len(ids)
                yield doc


def language_filter():
    # The executor deep-copies the pipeline, so the model cannot be preloaded: point datatrove's
    # lazy loader at our lid.176 file instead of its download.
    import datatrove.utils.lid as lid

    lid.cached_asset_path_or_download = lambda *_args, **_kwargs: lid_path
    return LanguageFilter(languages=["en"], language_threshold=0.65)


def chain(*named):
    """Wrap each (name, step) in Timed; the first step's generator is the reader."""
    return [Timed(name, step) for name, step in named]


def run(name, pipeline, n_tasks):
    w0, c0 = time.perf_counter(), time.process_time()
    LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=1, logging_dir=f"{work}/logs/{name}", skip_completed=False).run()
    return {"wall_seconds": time.perf_counter() - w0, "cpu_seconds": time.process_time() - c0}


def main():
    cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1)
    filtered = f"{work}/filtered"
    w0 = time.perf_counter()
    runs = {}
    runs["filter"] = run("filter", chain(
        ("read", WarcReader(wet_dir, glob_pattern="*.warc.wet.gz")),
        ("langid", language_filter()),
        ("gopher_repetition", GopherRepetitionFilter()),
        ("gopher_quality", GopherQualityFilter()),
        ("c4", C4QualityFilter()),
        ("fineweb", FineWebQualityFilter()),
        ("write_filtered", JsonlWriter(filtered)),
    ), tasks)
    runs["signatures"] = run("signatures", chain(
        ("read_filtered", JsonlReader(filtered)),
        ("minhash_signatures", MinhashDedupSignature(output_folder=f"{work}/sigs", config=cfg)),
    ), tasks)
    runs["buckets"] = run("buckets", chain(("minhash_buckets", MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=cfg))), cfg.num_buckets)
    runs["clusters"] = run("clusters", chain(("minhash_clusters", MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=cfg))), 1)
    runs["final"] = run("final", chain(
        ("read_filtered_again", JsonlReader(filtered)),
        ("minhash_filter", MinhashDedupFilter(input_folder=f"{work}/remove")),
        ("pii", PIIFormatter()),
        ("tokenize", TiktokenTokenizer(f"{work}/tokens")),
    ), tasks)
    wall = time.perf_counter() - w0

    # Exclusive CPU of a step: its inclusive time minus that of the step feeding it.
    order = [["read", "langid", "gopher_repetition", "gopher_quality", "c4", "fineweb", "write_filtered"],
             ["read_filtered", "minhash_signatures"], ["minhash_buckets"], ["minhash_clusters"],
             ["read_filtered_again", "minhash_filter", "pii", "tokenize"]]
    steps = {}
    for chain_names in order:
        before = 0.0
        for name in chain_names:
            cpu, docs = inclusive.get(name, [0.0, 0])
            steps[name] = {"cpu_seconds": max(0.0, cpu - before), "docs_out": docs}
            before = cpu
    tokens = sum(os.path.getsize(os.path.join(f"{work}/tokens", f)) for f in os.listdir(f"{work}/tokens")) // 4
    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump({
        "steps": steps,
        "runs": runs,
        "wall_seconds": wall,
        "cpu_seconds": sum(r["cpu_seconds"] for r in runs.values()),
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "tokens": tokens,
    }, sys.stdout)


if __name__ == "__main__":
    main()
