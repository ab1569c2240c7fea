"""Labelled sentences from presidio-research's own generator (presidio-evaluator's PresidioSentenceFaker:
its templates, its Faker providers), as an independent check of bench/pii/labelled.ts.
Usage: presidio_research_set.py count seed out.jsonl
"""
import contextlib
import io
import json
import sys

from presidio_evaluator.data_generator import PresidioSentenceFaker

# presidio-research's type names -> ours; its other types (ORGANIZATION, DATE_TIME, TITLE, ...) are not PII we scrub.
TYPES = {"PERSON": "PERSON", "GPE": "LOCATION", "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE",
         "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS",
         "US_DRIVER_LICENSE": "US_DRIVER_LICENSE"}


def main() -> None:
    count, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05, random_seed=seed)
        samples = faker.generate_new_fake_sentences(count)
    with open(out, "w", encoding="utf-8") as f:
        for s in samples:
            # The templates hold escaped newlines and commas (`\\n`, `\\,`); make them the characters they
            # stand for without moving any offset, for both sides alike.
            text = s.full_text.replace("\\n", " \n").replace("\\", " ")
            gold = [[TYPES[sp.entity_type], sp.start_position, sp.end_position] for sp in s.spans if sp.entity_type in TYPES]
            f.write(json.dumps({"text": text, "gold": gold}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
