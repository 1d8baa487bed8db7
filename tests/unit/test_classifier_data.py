"""data/classifier: the templated training rows are exactly what generate.py makes from its templates and
words.json (edit those, then rerun it and retrain: docs/classifier.md)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "classifier"


def test_templated_rows_are_what_generate_py_makes() -> None:
    spec = importlib.util.spec_from_file_location("classifier_generate", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    made = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in generate.generate())
    assert made == (DATA / "templated.jsonl").read_text(encoding="utf-8"), \
        "templated.jsonl is stale: run `python data/classifier/generate.py`, then retrain (docs/classifier.md)"


def test_word_lists_are_lists_of_strings() -> None:
    """Repeats are weights (SMALL_PRE lists "" three times), so they are allowed."""
    words = json.loads((DATA / "words.json").read_text(encoding="utf-8"))
    for key, values in words.items():
        assert isinstance(values, list) and all(isinstance(v, str) for v in values), key
