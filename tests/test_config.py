"""Typed config: bad values fail at start-up with a message naming the value and the fix."""

from __future__ import annotations

import pytest

from solvstack.config import ConfigError, load_raw, parse_solv
from solvstack.levels import Level
from tests.support.proxy import REPO, deployment, free_port, write_variant


def raw(solv: dict | None = None, families: tuple[str, ...] = ("qwen3",)) -> dict:
    models = [deployment(f"m{i}", "http://127.0.0.1:9/v1", f) for i, f in enumerate(families)]
    return {"model_list": models, "solv": solv or {}}


def test_repo_config_is_valid():
    cfg = parse_solv(load_raw(REPO / "litellm_config.yaml"))
    assert cfg.enabled and cfg.classifier.kind in {"local", "cascade", "llm"}


def test_defaults():
    cfg = parse_solv(raw())
    assert cfg.default_level is Level.LOW and cfg.rag_thinking is Level.NO


@pytest.mark.parametrize(("solv", "needle"), [
    ({"default_level": "MEDIUM"}, "solv.default_level"),
    ({"rag_thinking": "RAG"}, "solv.rag_thinking"),
    ({"classifer": {}}, "solv.classifer"),  # a typo is an error, not ignored
    ({"classifier": {"kind": "bert"}}, "solv.classifier.kind"),
    ({"classifier": {"kind": "cascade"}}, "classifier.llm.model"),
    ({"classifier": {"confidence_threshold": 1.5}}, "solv.classifier.confidence_threshold"),
    ({"classifier": {"kind": "llm", "llm": {"model": "nope"}}}, "'nope'"),
    ({"escalate": {"HIGH": "cloud"}}, "solv.escalate.HIGH"),
])
def test_bad_values_are_named(solv, needle):
    with pytest.raises(ConfigError) as err:
        parse_solv(raw(solv))
    assert needle in str(err.value)


def test_unknown_family_names_model_and_valid_names():
    with pytest.raises(ConfigError) as err:
        parse_solv(raw(families=("qwen3", "qwen9")))
    msg = str(err.value)
    assert "model_list[1]" in msg and "'qwen9'" in msg and "granite" in msg and "gpt-oss" in msg


def test_custom_family_declared_in_yaml_is_accepted():
    cfg = parse_solv(raw({"families": {"glm": {"HIGH": {"chat_template_kwargs": {"enable_thinking": True}}}}},
                         families=("glm",)))
    assert Level.HIGH in cfg.families["glm"]


def test_proxy_refuses_to_start_on_unknown_family(tmp_path):
    """The real proxy does not start, and its log says which value is wrong and what is valid."""
    from solvstack.proxyproc import ProxyFailed
    from tests.support.proxy import start_proxy

    cfg = write_variant(tmp_path, [deployment("m", f"http://127.0.0.1:{free_port()}/v1", "qwen9")])
    with pytest.raises(ProxyFailed) as err:
        start_proxy(cfg)
    assert "unknown thinking family 'qwen9'" in str(err.value)
    assert "qwen3" in str(err.value)


def test_unquoted_yaml_no_is_the_no_level():
    import yaml

    solv = yaml.safe_load("rag_thinking: NO\nescalate: {NO: m0}\nfamilies: {glm: {NO: {}}}")
    cfg = parse_solv(raw(solv))
    assert cfg.rag_thinking is Level.NO and cfg.escalate == {Level.NO: "m0"} and Level.NO in cfg.families["glm"]
