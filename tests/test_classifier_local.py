"""Behaviour of the local classifier: clear cases per level, multi-turn rules, hostile inputs.

The prompts here were written for these tests (not taken from any evaluation set). Latency is not
asserted here; see `solv eval` and docs/classifier.md for measured numbers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from solvstack.core.classify.base import Classifier, Conversation
from solvstack.core.classify.features import clip, extract, tokenize
from solvstack.core.classify.local import MODEL_PATH, LocalClassifier
from solvstack.core.levels import Decision, Level


@pytest.fixture(scope="module")
def clf() -> LocalClassifier:
    return LocalClassifier()


CLEAR = {
    Level.HIGH: [
        "Let $a, b, c > 0$ with $abc = 1$. Prove that "
        "$\\frac{1}{a^3(b+c)} + \\frac{1}{b^3(c+a)} + \\frac{1}{c^3(a+b)} \\ge \\frac{3}{2}$.",
        "Find the number of ordered pairs $(m, n)$ of positive integers with $m^2 n^3 = 6^{12}$.",
        "Prove that there is no largest prime number, and explain every step rigorously.",
        "Design a multi-region event streaming platform with exactly-once delivery, 1M messages per second "
        "and automatic failover. Discuss partitioning, replication and consistency tradeoffs.",
        "Our Rust service deadlocks under high concurrency only in production after the tokio upgrade. "
        "Walk me through a systematic investigation of the root cause.",
    ],
    Level.LOW: [
        "Priya buys 4 notebooks at $3 each and a pen for $2. She pays with a $20 bill. How much change does she get?",
        "Solve for $x$: $5x + 4 = 29$.",
        "what's 25 percent of 360",
        "Write a Python function that returns the number of vowels in a string.",
        "A train goes 240 km in 3 hours. What is its average speed?",
    ],
    Level.NO: [
        "hey there, how's your day going?",
        "thank you so much!",
        "Write a short poem about a fox who watches the snow fall over a quiet village.",
        "how do you say good evening in italian",
        "Who painted The Girl with a Pearl Earring?",
        "Give me 10 name ideas for a plant shop.",
    ],
    Level.RAG: [
        "What's the weather going to be like in Lisbon tomorrow?",
        "how many euros is 300 us dollars right now",
        "Who is the current prime minister of Japan?",
        "What is the latest stable version of Rust?",
        "Who won the game between the Celtics and the Knicks last night?",
        "What is the price of bitcoin today?",
    ],
}


@pytest.mark.parametrize(("level", "prompt"), [(lvl, p) for lvl, ps in CLEAR.items() for p in ps])
def test_clear_examples(clf: LocalClassifier, level: Level, prompt: str) -> None:
    decision = clf.predict(Conversation(prompt))
    assert decision.level is level, f"{prompt!r} -> {decision}"


def test_decision_shape(clf: LocalClassifier) -> None:
    decision = clf.predict(Conversation("Prove that sqrt(3) is irrational."))
    assert isinstance(decision, Decision)
    assert decision.source == "local" == clf.name
    assert 0.0 <= decision.confidence <= 1.0
    assert decision.ms >= 0.0
    assert isinstance(clf, Classifier)


def test_confidence_is_softmax_of_the_top_level(clf: LocalClassifier) -> None:
    probs = clf.probabilities("What is the exchange rate from yen to euros?")
    assert set(probs) == set(Level)
    assert sum(probs.values()) == pytest.approx(1.0)
    decision = clf.predict(Conversation("What is the exchange rate from yen to euros?"))
    assert decision.confidence == pytest.approx(max(probs.values()))


def test_clear_cases_are_confident_and_ambiguous_ones_less(clf: LocalClassifier) -> None:
    sure = clf.predict(Conversation("What's the weather forecast for Chicago this weekend?")).confidence
    unsure = clf.predict(Conversation("tell me about rust")).confidence
    assert sure > 0.8
    assert unsure < sure


async def test_classify_is_predict(clf: LocalClassifier) -> None:
    conv = Conversation("Write a limerick about a sleepy owl.")
    decision = await clf.classify(conv)
    assert decision.level is clf.predict(conv).level is Level.NO


# ---------------------------------------------------------------------------------------- multi-turn
LOW_TURN = "What is 15% of 80?"
HIGH_TURN = "Prove that every bounded monotone sequence of real numbers converges."


@pytest.mark.parametrize(
    ("earlier", "prompt", "level"),
    [
        ((LOW_TURN,), "and now prove it", Level.HIGH),
        ((LOW_TURN,), "make it rigorous", Level.HIGH),
        (("is 91 a prime number",), "why?", Level.HIGH),
        ((HIGH_TURN,), "thanks!", Level.NO),
        ((HIGH_TURN,), "ok great, thank you", Level.NO),
        (("What is Kubernetes?",), "what about its latest version?", Level.RAG),
        (("Write a haiku about the sea.",), "another one please", Level.NO),
        (
            ("Find the number of ordered pairs $(a,b)$ of positive integers with $a^2 - b^2 = 2024$.",),
            "what about 2025?",
            Level.HIGH,
        ),
    ],
)
def test_follow_ups(clf: LocalClassifier, earlier: tuple[str, ...], prompt: str, level: Level) -> None:
    decision = clf.predict(Conversation(prompt, earlier=earlier, assistant="(previous answer)"))
    assert decision.level is level, f"{earlier[-1]!r} / {prompt!r} -> {decision}"


def test_long_follow_up_is_judged_on_its_own(clf: LocalClassifier) -> None:
    prompt = "Now write me a cheerful birthday poem for my sister who loves gardening and old jazz records."
    decision = clf.predict(Conversation(prompt, earlier=(HIGH_TURN,)))
    assert decision.level is Level.NO


def test_thanks_without_history_is_no(clf: LocalClassifier) -> None:
    assert clf.predict(Conversation("thanks!")).level is Level.NO


# ---------------------------------------------------------------------------------------- hostile input
@pytest.mark.parametrize(
    "prompt",
    [
        "",
        "   \n\t  ",
        "?",
        "$$$$^^^^____\\\\\\\\",
        "\x00\x01\x02\x7f\ufffd" * 1000,
        bytes(range(256)).decode("latin-1") * 50,
        "日本の首都はどこですか？",
        "Wie spät ist es in Tokio?",
        "🙂🙂🙂🚀",
        "\ud800 lone surrogate",
        "word " * 200_000,
    ],
)
def test_never_raises(clf: LocalClassifier, prompt: str) -> None:
    decision = clf.predict(Conversation(prompt, earlier=(prompt[:100],)))
    assert decision.level in Level
    assert 0.0 <= decision.confidence <= 1.0


def test_empty_prompt_is_no(clf: LocalClassifier) -> None:
    assert clf.predict(Conversation("")).level is Level.NO


def test_ten_megabytes_is_cut_to_head_and_tail(clf: LocalClassifier) -> None:
    huge = "Prove that the sum of two even numbers is even. " + "lorem ipsum " * 900_000 + " Thanks."
    assert len(huge) > 10_000_000
    assert len(clip(huge)) < 5000
    decision = clf.predict(Conversation(huge))
    assert decision.level in Level


def test_non_string_prompt_does_not_raise(clf: LocalClassifier) -> None:
    decision = clf.predict(Conversation(12345))  # type: ignore[arg-type]
    assert decision.level in Level


# ---------------------------------------------------------------------------------------- features/model
def test_features_are_deterministic_and_bounded() -> None:
    a, b = extract("Solve $x^2 = 4$."), extract("Solve $x^2 = 4$.")
    assert a == b
    assert len(tokenize("a " * 10_000)) <= 600
    assert any(k.startswith("tex:") for k in a)


def test_numbers_are_collapsed_by_digit_count() -> None:
    assert tokenize("17 and 42 and 2024") == ["<n2>", "and", "<n2>", "and", "<n4>"]


def test_shipped_model_format() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert data["classes"] == ["HIGH", "LOW", "NO", "RAG"]
    assert len(data["intercept"]) == 4
    assert 0.5 <= data["temperature"] <= 5.0
    assert data["format"] == "solv-local-logreg/2"
    assert len(base64.b64decode(data["weights_f32le"])) == 4 * 4 * len(data["features"])  # float32 x 4 levels


def test_loads_a_custom_model(tmp_path: Path) -> None:
    model = {
        "format": "solv-local-logreg/1",
        "classes": ["HIGH", "LOW", "NO", "RAG"],
        "intercept": [0.0, 0.0, 0.0, 0.0],
        "weights": {"w:weather": [0.0, 0.0, 0.0, 5.0]},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    clf = LocalClassifier(path)
    assert clf.predict(Conversation("weather")).level is Level.RAG
    assert clf.predict(Conversation("hello")).confidence == pytest.approx(0.25)


def test_training_script_builds_a_loadable_model(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("train_classifier", root / "scripts" / "train_classifier.py")
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    rows = [
        ("hello there", "NO"),
        ("thanks a lot", "NO"),
        ("weather in Oslo today", "RAG"),
        ("price of gold now", "RAG"),
        ("what is 3 plus 4", "LOW"),
        ("solve 2x + 1 = 5", "LOW"),
        ("prove the theorem rigorously", "HIGH"),
        ("design a distributed database", "HIGH"),
    ] * 3
    data = tmp_path / "tiny.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows), encoding="utf-8")
    out_a, out_b = tmp_path / "a.json", tmp_path / "b.json"
    for out in (out_a, out_b):
        assert train.main(["--data-dir", str(tmp_path), "--cv", "0", "--no-calibrate", "--out", str(out)]) == 0
    assert out_a.read_bytes() == out_b.read_bytes()  # deterministic
    assert LocalClassifier(out_a).predict(Conversation("weather in Paris today")).level is Level.RAG


def test_hand_written_rows_weigh_more_than_templated_ones() -> None:
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("train_classifier", root / "scripts" / "train_classifier.py")
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    notes = ["templated:low_code", "hand-written", "mine.jsonl"]
    assert train.sample_weights(notes, 3.0) == [1.0, 3.0, 3.0]
    assert train.sample_weights(notes, 1.0) is None  # unweighted fit, as before
