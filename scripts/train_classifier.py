"""Train the local HIGH/LOW/NO/RAG classifier and write the shipped weights.

Reads every ``data/classifier/*.jsonl`` (one JSON object a line: ``text``, ``label``, optional ``note``),
turns each text into features with :func:`solvstack.core.classify.features.extract` (the same code the proxy
runs), fits a multinomial logistic regression (scikit-learn, dev-only) and writes the weights as JSON to
``src/solvstack/core/classify/model/local.json``. The same data and options give the same file, byte for byte.

    pip install -e '.[train]'
    python data/classifier/generate.py        # only if you changed its templates or words.json
    python scripts/train_classifier.py         # retrain, print 5-fold CV accuracy, write the model
    python scripts/train_classifier.py --data my_examples.jsonl   # add your own file(s) on top
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from array import array
from collections import Counter
from pathlib import Path

from solvstack.core.classify.features import extract  # installed with the package: pip install -e '.[train]'

ROOT = Path(__file__).resolve().parents[1]

DATA_DIR = ROOT / "data" / "classifier"
MODEL_PATH = ROOT / "src" / "solvstack" / "core" / "classify" / "model" / "local.json"
CLASSES = ("HIGH", "LOW", "NO", "RAG")
HAND_WEIGHT = 3.0  # sample weight of hand-written rows relative to templated ones (see sample_weights)


def load_rows(paths: list[Path], notes: list[str] | None = None) -> list[tuple[str, str]]:
    """(text, label) pairs; ``notes`` (if given) receives each row's note, for grouped cross-validation."""
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
            if notes is not None:
                notes.append(str(obj.get("note", path.name)))
    return rows


def fit(rows: list[tuple[str, str]], c: float, weights: list[float] | None = None):  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer(sort=True)
    x = vec.fit_transform([extract(t) for t, _ in rows])
    y = [CLASSES.index(lab) for _, lab in rows]
    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-4, class_weight="balanced")  # traffic prior unknown
    clf.fit(x, y, sample_weight=weights)
    return vec, clf


def cross_validate(
    rows: list[tuple[str, str]],
    c: float,
    folds: int,
    groups: list[str] | None = None,
    weights: list[float] | None = None,
) -> float:
    """Out-of-fold accuracy. With ``groups`` (the template each row came from) no template is on both
    sides of a split, which says far more about new prompts than a random split of templated data."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    labels = [lab for _, lab in rows]
    if groups is None:
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(rows, labels)
    else:
        splits = GroupKFold(n_splits=folds).split(rows, labels, groups)
    correct = 0
    for train_idx, test_idx in splits:
        vec, clf = fit([rows[i] for i in train_idx], c, _take(weights, train_idx))
        pred = clf.predict(vec.transform([extract(rows[i][0]) for i in test_idx]))
        correct += sum(CLASSES[p] == rows[i][1] for p, i in zip(pred, test_idx, strict=False))
    return correct / len(rows)


def fit_temperature(
    rows: list[tuple[str, str]], c: float, groups: list[str], folds: int = 5, weights: list[float] | None = None
) -> float:
    """Softmax temperature that minimises the log-loss of leave-template-out predictions.

    A model scored on templates it saw is far too sure of itself; scored on templates it did not see, its
    logits divided by T give probabilities a cascade can threshold."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    logits, gold = [], []
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(rows, groups=groups):
        vec, clf = fit([rows[i] for i in train_idx], c, _take(weights, train_idx))
        logits.append(clf.decision_function(vec.transform([extract(rows[i][0]) for i in test_idx])))
        gold.extend(CLASSES.index(rows[i][1]) for i in test_idx)
    z, y = np.vstack(logits), np.array(gold)

    def nll(t: float) -> float:
        s = z / t
        s = s - s.max(axis=1, keepdims=True)
        return float(-(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(axis=1))).mean())

    return min((round(0.5 + 0.1 * i, 1) for i in range(46)), key=nll)  # T in [0.5, 5.0]


def _take(weights: list[float] | None, idx) -> list[float] | None:  # type: ignore[no-untyped-def]
    return None if weights is None else [weights[i] for i in idx]


def sample_weights(notes: list[str], hand_weight: float) -> list[float] | None:
    """Weight of each row in the fit: templated rows 1, every other (hand-written) row ``hand_weight``.

    Thousands of templated rows repeat a few dozen sentence shapes; hand-written rows are each a different
    shape, so one of them says more about an unseen prompt than one templated variant does."""
    if hand_weight == 1.0:
        return None
    return [1.0 if n.startswith("templated:") else hand_weight for n in notes]


def _groups(notes: list[str]) -> list[str]:
    """Templated rows group by template; hand-written rows are spread over ten groups by position."""
    return [n if n.startswith("templated:") else f"hand:{i % 10}" for i, n in enumerate(notes)]


def export(vec, clf, min_weight: float, temperature: float = 1.0) -> dict:  # type: ignore[no-untyped-def]
    coef = clf.coef_  # shape (4, n_features), classes in CLASSES order
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(vec.feature_names_):
        col = [round(float(coef[k, j]), 4) for k in range(len(CLASSES))]
        if max(abs(v) for v in col) >= min_weight:
            weights[name] = col
    return pack(
        {
            "format": "solv-local-logreg/1",
            "classes": list(CLASSES),
            "intercept": [round(float(v), 4) for v in clf.intercept_],
            "temperature": temperature,
            "weights": weights,
        }
    )


def pack(model: dict) -> dict:  # type: ignore[type-arg]
    """Format 2: the same weights as one base64 float32 (little-endian) array, row-major in ``features``
    order. Parsing 12k short lists of floats took ~60 ms; decoding one array takes ~5 ms."""
    names = sorted(model["weights"])
    flat = array("f", [v for name in names for v in model["weights"][name]])
    if sys.byteorder != "little":
        flat.byteswap()
    packed = {k: v for k, v in model.items() if k != "weights"}
    packed["format"] = "solv-local-logreg/2"
    packed["features"] = names
    packed["weights_f32le"] = base64.b64encode(flat.tobytes()).decode("ascii")
    return packed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help="folder whose *.jsonl files are the training data")
    p.add_argument("--data", type=Path, nargs="*", default=[], help="extra JSONL files on top of --data-dir")
    p.add_argument("--C", type=float, default=4.0, help="inverse L2 strength of the logistic regression")
    p.add_argument("--cv", type=int, default=5, help="folds for the cross-validation report (0: skip)")
    p.add_argument("--group-cv", action="store_true", help="group folds by template/note (leave-template-out)")
    p.add_argument("--no-calibrate", action="store_true", help="skip fitting the softmax temperature (T = 1)")
    p.add_argument(
        "--hand-weight", type=float, default=HAND_WEIGHT, help="sample weight of non-templated rows (templated: 1)"
    )
    p.add_argument("--min-weight", type=float, default=0.02, help="drop features whose largest |weight| is below")
    p.add_argument("--out", type=Path, default=MODEL_PATH)
    args = p.parse_args(argv)

    notes: list[str] = []
    rows = load_rows(sorted(args.data_dir.glob("*.jsonl")) + list(args.data), notes)
    print(f"{len(rows)} examples: {dict(sorted(Counter(lab for _, lab in rows).items()))}")
    weights = sample_weights(notes, args.hand_weight)
    if args.cv:
        groups = _groups(notes) if args.group_cv else None
        kind = "leave-template-out" if groups else "stratified"
        print(f"{args.cv}-fold {kind} CV accuracy: {cross_validate(rows, args.C, args.cv, groups, weights):.3f}")
    temperature = 1.0 if args.no_calibrate else fit_temperature(rows, args.C, _groups(notes), weights=weights)
    print(f"softmax temperature: {temperature}")
    vec, clf = fit(rows, args.C, weights)
    model = export(vec, clf, args.min_weight, temperature)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(model['features'])} features, {args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
