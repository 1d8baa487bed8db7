"""`solv eval`: metrics, file validation, output formats, and the LiteLLM comparison wiring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solvstack.core.classify.base import Conversation
from solvstack.ops import evaluate
from solvstack.ops.cli import main


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = [
    {"prompt": "Prove that there are infinitely many primes.", "label": "HIGH"},
    {"prompt": "What is 12 times 7?", "label": "LOW"},
    {"prompt": "hello there!", "label": "NO"},
    {"prompt": "What's the weather in Paris tomorrow?", "label": "RAG"},
    {"text": "thanks!", "label": "no", "earlier": ["Prove that sqrt(2) is irrational."], "assistant": "..."},
]


def test_metrics_by_hand() -> None:
    gold = ["HIGH", "HIGH", "LOW", "NO", "RAG", "RAG"]
    pred = ["HIGH", "LOW", "LOW", "NO", "NO", "RAG"]
    m = evaluate.metrics(gold, pred)
    assert m["n"] == 6
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion"]["HIGH"] == {"HIGH": 1, "LOW": 1, "NO": 0, "RAG": 0}
    assert m["per_class"]["HIGH"]["precision"] == 1.0
    assert m["per_class"]["HIGH"]["recall"] == 0.5
    assert m["per_class"]["LOW"]["precision"] == 0.5
    assert m["per_class"]["NO"]["f1"] == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    assert m["per_class"]["RAG"]["support"] == 2


def test_metrics_for_a_level_never_seen_or_predicted() -> None:
    m = evaluate.metrics(["NO"], ["NO"])
    assert m["per_class"]["HIGH"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_latency_percentiles() -> None:
    lat = evaluate.latency([float(i) for i in range(1, 101)])
    assert lat["p50_ms"] == 50.0
    assert lat["p99_ms"] == 99.0
    assert evaluate.latency([]) == {}


def test_load_examples_reads_prompt_or_text_and_turns(tmp_path: Path) -> None:
    examples = evaluate.load_examples(write_jsonl(tmp_path / "ok.jsonl", [*GOOD, ""]))
    assert len(examples) == 5
    assert examples[4].label == "NO"
    assert examples[4].conv == Conversation("thanks!", earlier=("Prove that sqrt(2) is irrational.",), assistant="...")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ({"label": "NO"}, "missing string field 'prompt'"),
        ({"prompt": "hi", "label": "MEDIUM"}, "'label' must be one of HIGH, LOW, NO, RAG"),
        ({"prompt": "hi"}, "'label' must be one of"),
        ({"prompt": "hi", "label": "NO", "earlier": "not a list"}, "'earlier' must be a list"),
    ],
)
def test_malformed_line_is_named(tmp_path: Path, bad: object, message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD[0], GOOD[1], bad])
    with pytest.raises(evaluate.EvalFileError, match=message) as info:
        evaluate.load_examples(path)
    assert f"{path}:3:" in str(info.value)


def test_cli_exits_non_zero_on_malformed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD[0], "{oops"])
    assert main(["eval", str(path)]) == 2
    assert f"{path}:2: not valid JSON" in capsys.readouterr().err


def test_cli_missing_or_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    assert main(["eval", str(empty)]) == 2
    assert "no examples" in capsys.readouterr().err


def test_cli_prints_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(write_jsonl(tmp_path / "ok.jsonl", GOOD))]) == 0
    out = capsys.readouterr().out
    assert "== local: accuracy" in out
    assert "p50" in out and "p99" in out
    assert "confusion (rows: gold, columns: predicted)" in out
    for level in ("HIGH", "LOW", "NO", "RAG"):
        assert level in out


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(write_jsonl(tmp_path / "ok.jsonl", GOOD)), "--json", "--classifier", "local"]) == 0
    data = json.loads(capsys.readouterr().out)
    (report,) = data["reports"]
    assert report["classifier"] == "local"
    assert report["n"] == 5
    assert 0.0 <= report["accuracy"] <= 1.0
    assert set(report["confusion"]) == {"HIGH", "LOW", "NO", "RAG"}
    assert report["p50_ms"] >= 0.0


def test_compare_adds_a_second_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluate, "litellm_heuristic", lambda: lambda conv: "NO")
    assert main(["eval", str(write_jsonl(tmp_path / "ok.jsonl", GOOD)), "--compare", "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)["reports"]
    assert [r["classifier"] for r in reports] == ["local", "litellm-complexity-heuristic"]
    assert reports[1]["confusion"]["HIGH"]["NO"] == 1


def test_litellm_tier_mapping_covers_every_tier() -> None:
    assert set(evaluate.LITELLM_TIER_TO_LEVEL.values()) <= {"HIGH", "LOW", "NO"}  # it has no RAG tier
    assert evaluate.LITELLM_TIER_TO_LEVEL["SIMPLE"] == "NO"
    assert evaluate.LITELLM_TIER_TO_LEVEL["REASONING"] == "HIGH"


def test_unknown_classifier_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid: local"):
        evaluate.run_classifier([], "nope")


def test_real_litellm_heuristic_maps_to_our_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("litellm")
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    predict = evaluate.litellm_heuristic()
    assert predict(Conversation("hi")) == "NO"
    assert predict(Conversation("What is the latest news today?")) in {"HIGH", "LOW", "NO"}


def body_line(kind: str, text: str, levels: list[str], search: bool) -> dict:
    return {"kind": kind, "body": {"model": "m", "messages": [{"role": "user", "content": text}]},
            "expect": {"levels": levels, "search": search}}


BODIES = [
    body_line("chat", "What's the weather in Oslo tomorrow?", ["RAG"], True),       # right
    body_line("chat", "Who won the match yesterday?", ["NO"], False),               # a search: a leak
    body_line("title", "### Task:\nGenerate a concise title for the chat history.\n### Output:\n"
              'JSON format: { "title": "..." }\n<chat_history>\nUSER: hi\n</chat_history>', ["NO"], False),
]


def test_body_lines_report_accuracy_per_kind_and_leaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(write_jsonl(tmp_path / "b.jsonl", BODIES)), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert (report["n"], report["leaks"], report["missed_searches"]) == (3, 1, 0)
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["per_kind"] == {"chat": {"n": 2, "right": 1, "leaks": 1}, "title": {"n": 1, "right": 1, "leaks": 0}}


def test_mixed_file_gives_a_report_per_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(write_jsonl(tmp_path / "m.jsonl", [*GOOD, *BODIES]))]) == 0
    out = capsys.readouterr().out
    assert "== local: accuracy" in out and "on request bodies" in out and "leaks 1" in out


@pytest.mark.parametrize(("bad", "message"), [
    ({"body": "not an object", "expect": {"levels": ["NO"], "search": False}}, "'body' must be a chat request"),
    ({"body": {"messages": []}}, "needs 'expect'"),
    ({"body": {"messages": []}, "expect": {"levels": ["MEDIUM"], "search": False}}, "expect.levels has 'MEDIUM'"),
    ({"body": {"messages": []}, "expect": {"levels": ["NO"], "search": "no"}}, "needs 'expect'"),
])
def test_malformed_body_line_is_named(tmp_path: Path, bad: dict, message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [BODIES[0], bad])
    with pytest.raises(evaluate.EvalFileError, match=message) as info:
        evaluate.load_examples(path)
    assert f"{path}:2:" in str(info.value)
