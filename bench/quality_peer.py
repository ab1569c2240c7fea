"""datatrove's filters on the quality bench's documents: one pass per filter, single-threaded.

Reads JSONL ({"id", "text"}) from argv[1], writes one JSON object to stdout: per filter the seconds
spent in filter() and each document's decision (kept, reason, and for C4 the cleaned text).
The language filter loads lid.176 from argv[2] (the .ftz our langid ships), and the bad-words filter
reads LDNOOBW's English list from argv[3] (the list our bad_words rule ships), so nothing is downloaded.
"""
import json
import sys
import time

from datatrove.data import Document
import datatrove.pipeline.filters.c4_filters as c4_filters
from datatrove.pipeline.filters import (
    C4BadWordsFilter,
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LanguageFilter,
)
from datatrove.pipeline.filters.base_filter import get_filter_result


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    language = LanguageFilter(language_threshold=0.65)
    from fasttext.FastText import _FastText

    language.model._model = _FastText(sys.argv[2])
    # The same English list on both sides: the comparison is of the matching, not of list versions.
    c4_filters.cached_asset_path_or_download = lambda *args, **kwargs: sys.argv[3]
    filters = {
        "language": language,
        "gopher_quality": GopherQualityFilter(),
        "gopher_repetition": GopherRepetitionFilter(),
        "c4": C4QualityFilter(),
        "fineweb": FineWebQualityFilter(),
        "bad_words": C4BadWordsFilter(seed=0),
    }
    out = {}
    for name, f in filters.items():
        # Warm up: load the tokenizer or model before timing.
        f.filter(Document(text="Warm up the tokenizer. It has to load once.", id="warmup"))
        docs = [Document(text=r["text"], id=r["id"]) for r in rows]
        decisions = []
        start = time.process_time()
        for doc in docs:
            kept, reason = get_filter_result(f.filter(doc))
            decisions.append([bool(kept), reason])
        seconds = time.process_time() - start
        if name == "c4":
            for d, doc in zip(decisions, docs):
                d.append(doc.text)
        if name == "language":
            for d, doc in zip(decisions, docs):
                d.append(doc.metadata.get("language"))
        out[name] = {"seconds": seconds, "decisions": decisions}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
