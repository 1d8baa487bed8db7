"""Train the local HIGH/LOW/NO/RAG classifier and write the shipped weights.

Reads every ``data/classifier/*.jsonl`` (one JSON object a line: ``text``, ``label``, optional ``note``),
turns each text into features with :func:`solvstack.classify.features.extract` (the same code the proxy
runs), fits a multinomial logistic regression (scikit-learn, dev-only) and writes the weights as JSON to
``src/solvstack/classify/model/local.json``. The same data and options give the same file, byte for byte.

    pip install -e '.[train]'
    python data/classifier/generate.py        # only if you changed the templates
    python scripts/train_classifier.py         # retrain, print 5-fold CV accuracy, write the model
    python scripts/train_classifier.py --data my_examples.jsonl   # add your own file(s) on top
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from solvstack.classify.features import extract  # noqa: E402

DATA_DIR = ROOT / "data" / "classifier"
MODEL_PATH = ROOT / "src" / "solvstack" / "classify" / "model" / "local.json"
CLASSES = ("HIGH", "LOW", "NO", "RAG")


def load_rows(paths: list[Path]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for path in paths:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            label = str(obj["label"]).upper()
            if label not in CLASSES:
                raise SystemExit(f"{path}:{lineno}: label {label!r} is not one of {', '.join(CLASSES)}")
            rows.append((str(obj["text"]), label))
    return rows


def fit(rows: list[tuple[str, str]], c: float):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer(sort=True)
    x = vec.fit_transform([extract(t) for t, _ in rows])
    y = [CLASSES.index(lab) for _, lab in rows]
    clf = LogisticRegression(C=c, max_iter=5000, tol=1e-6)
    clf.fit(x, y)
    return vec, clf


def cross_validate(rows: list[tuple[str, str]], c: float, folds: int) -> float:
    from sklearn.model_selection import StratifiedKFold

    labels = [lab for _, lab in rows]
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    correct = 0
    for train_idx, test_idx in skf.split(rows, labels):
        vec, clf = fit([rows[i] for i in train_idx], c)
        pred = clf.predict(vec.transform([extract(rows[i][0]) for i in test_idx]))
        correct += sum(CLASSES[p] == rows[i][1] for p, i in zip(pred, test_idx, strict=False))
    return correct / len(rows)


def export(vec, clf, min_weight: float) -> dict:  # type: ignore[no-untyped-def]
    coef = clf.coef_  # shape (4, n_features), classes in CLASSES order
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(vec.feature_names_):
        col = [round(float(coef[k, j]), 4) for k in range(len(CLASSES))]
        if max(abs(v) for v in col) >= min_weight:
            weights[name] = col
    return {
        "format": "solv-local-logreg/1",
        "classes": list(CLASSES),
        "intercept": [round(float(v), 4) for v in clf.intercept_],
        "weights": weights,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help="folder whose *.jsonl files are the training data")
    p.add_argument("--data", type=Path, nargs="*", default=[], help="extra JSONL files on top of --data-dir")
    p.add_argument("--C", type=float, default=4.0, help="inverse L2 strength of the logistic regression")
    p.add_argument("--cv", type=int, default=5, help="folds for the cross-validation report (0: skip)")
    p.add_argument("--min-weight", type=float, default=0.02, help="drop features whose largest |weight| is below")
    p.add_argument("--out", type=Path, default=MODEL_PATH)
    args = p.parse_args(argv)

    rows = load_rows(sorted(args.data_dir.glob("*.jsonl")) + list(args.data))
    print(f"{len(rows)} examples: {dict(sorted(Counter(lab for _, lab in rows).items()))}")
    if args.cv:
        print(f"{args.cv}-fold CV accuracy on the training data: {cross_validate(rows, args.C, args.cv):.3f}")
    vec, clf = fit(rows, args.C)
    model = export(vec, clf, args.min_weight)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(model['weights'])} features, {args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
