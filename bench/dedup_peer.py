"""datatrove's MinHash dedup and rensa's signatures on the dedup bench's documents, single-threaded.

Reads JSONL ({"id", "text"}) from argv[1], works under argv[2], writes one JSON object to stdout:
CPU seconds of rensa's signatures (with and without building the shingles), of each datatrove phase,
and how many documents datatrove removed. Same configuration as ours: 5-word shingles, 14 bands x 8 rows.
"""
import json
import os
import resource
import sys
import time


def cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def rensa_signatures(texts: list[str]) -> tuple[float, float]:
    import re
    from rensa import RMinHash

    word = re.compile(r"\w+")
    start = cpu()
    update = 0.0
    for text in texts:
        words = word.findall(text.lower())
        shingles = [" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))]
        t = cpu()
        m = RMinHash(num_perm=112, seed=1)
        m.update(shingles)
        m.digest()
        update += cpu() - t
    return cpu() - start, update


def datatrove_dedup(src: str, work: str) -> tuple[dict[str, float], int]:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1)
    folder, name = os.path.split(src)
    reader = lambda: JsonlReader(folder, glob_pattern=name, id_key="id")  # noqa: E731
    phases = {
        "signatures": ([reader(), MinhashDedupSignature(output_folder=f"{work}/sigs", config=cfg)], 1),
        "buckets": ([MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=cfg)], cfg.num_buckets),
        "clusters": ([MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=cfg)], 1),
        "filter": (
            [reader(), MinhashDedupFilter(input_folder=f"{work}/remove", exclusion_writer=JsonlWriter(f"{work}/removed")), JsonlWriter(f"{work}/out")],
            1,
        ),
    }
    seconds = {}
    for phase, (pipeline, tasks) in phases.items():
        start = cpu()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/logs/{phase}", skip_completed=False).run()
        seconds[phase] = cpu() - start
    removed = 0
    for root, _, files in os.walk(f"{work}/removed"):
        for f in files:
            import gzip

            with gzip.open(os.path.join(root, f), "rt") as fh:
                removed += sum(1 for _ in fh)
    return seconds, removed


def main() -> None:
    texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
    total, update = rensa_signatures(texts)
    phases, removed = datatrove_dedup(sys.argv[1], sys.argv[2])
    json.dump({
        "rensa_seconds": total, "rensa_update_seconds": update,
        "datatrove_seconds": sum(phases.values()), "datatrove_phases": phases, "datatrove_removed": removed,
    }, sys.stdout)


if __name__ == "__main__":
    main()
