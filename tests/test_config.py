"""Typed config: bad values fail at start-up with a message naming the value and the fix."""

from __future__ import annotations

import pytest

from solvstack.core.config import ConfigError, load_raw, parse_solv
from solvstack.core.levels import Level
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
    assert cfg.gc.freeze and cfg.gc.young_threshold == 5000
    assert parse_solv(raw({"gc": None})).gc == cfg.gc  # `gc:` with nothing under it: the defaults


@pytest.mark.parametrize(("solv", "needle"), [
    ({"default_level": "MEDIUM"}, "solv.default_level"),
    ({"rag_thinking": "RAG"}, "solv.rag_thinking"),
    ({"classifer": {}}, "solv.classifer"),  # a typo is an error, not ignored
    ({"classifier": {"kind": "bert"}}, "solv.classifier.kind"),
    ({"classifier": {"kind": "cascade"}}, "classifier.llm.model"),
    ({"classifier": {"confidence_threshold": 1.5}}, "solv.classifier.confidence_threshold"),
    ({"classifier": {"kind": "llm", "llm": {"model": "nope"}}}, "'nope'"),
    ({"escalate": {"HIGH": "cloud"}}, "solv.escalate.HIGH"),
    ({"drain_s": -1}, "solv.drain_s"),
    ({"drain_s": "soon"}, "solv.drain_s"),
    ({"gc": {"young_threshold": 10}}, "solv.gc.young_threshold"),
    ({"gc": {"freez": True}}, "solv.gc.freez"),
])
def test_bad_values_are_named(solv, needle):
    with pytest.raises(ConfigError) as err:
        parse_solv(raw(solv))
    assert needle in str(err.value)
    assert "Value error" not in str(err.value)  # pydantic's prefix never reaches the user


BAD = """\
model_list:
  - model_name: qwen3-8b
    model_info: {solv_thinking: qwen9}
search_tools:
  - {search_tool_name: searxng, litellm_params: {search_provider: searxng}}
solv:
  default_level: MEDIUM
  classifer: {kind: local}
  escalate: {HIGH: cloud}
  routing: {balance_rel_threshold: 0.5, model_groups: [qwne]}
  retrieval: {providers: [searxng, bing], max_result: 3}
"""


def test_every_problem_of_a_file_in_one_error_with_its_yaml_path(tmp_path):
    path = tmp_path / "litellm_config.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as err:
        parse_solv(load_raw(path), str(path))
    lines = str(err.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    by_path = {p.path: p.message for p in err.value.problems}
    assert set(by_path) == {"solv.default_level", "solv.classifer", "solv.escalate.HIGH",
                            "solv.routing.model_groups[0]", "solv.routing.balance_rel_threshold",
                            "solv.retrieval.providers[1]", "solv.retrieval.max_result",
                            "model_list[0] (qwen3-8b).model_info.solv_thinking"}
    # the bad value and the valid ones
    assert "'MEDIUM'" in by_path["solv.default_level"] and "HIGH, LOW, NO, RAG" in by_path["solv.default_level"]
    assert "did you mean 'classifier'?" in by_path["solv.classifer"] and "routing" in by_path["solv.classifer"]
    assert "'cloud'" in by_path["solv.escalate.HIGH"] and "(qwen3-8b)" in by_path["solv.escalate.HIGH"]
    assert "(got 0.5)" in by_path["solv.routing.balance_rel_threshold"]
    assert "'bing'" in by_path["solv.retrieval.providers[1]"] and "(searxng)" in by_path["solv.retrieval.providers[1]"]
    assert "'qwen9'" in by_path["model_list[0] (qwen3-8b).model_info.solv_thinking"]


def test_solv_check_prints_every_problem_and_exits_2(tmp_path, capsys):
    import argparse

    from solvstack.ops.check import run

    path = tmp_path / "litellm_config.yaml"
    path.write_text(BAD)
    assert run(argparse.Namespace(config=path)) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 8 and "8 problems" in err


def test_config_error_is_importable_from_config_and_errors():
    from solvstack.core import errors

    assert ConfigError is errors.ConfigError


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
    from solvstack.ops.proxyproc import ProxyFailed
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


# -- no import cycles ---------------------------------------------------------------------------------
SRC = REPO / "src"


def module_imports() -> dict[str, set[str]]:
    """solvstack module -> the solvstack modules it imports at import time (its top-level statements,
    not ``if TYPE_CHECKING:``), counting the packages a dotted import runs on the way."""
    import ast

    def name(path):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name(p): p for p in (SRC / "solvstack").rglob("*.py")}
    graph = {}
    for module, path in modules.items():
        out = set()
        for node in ast.parse(path.read_text()).body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for dotted in names:
                while dotted:
                    if dotted in modules and dotted not in (module, "solvstack"):
                        out.add(dotted)
                    dotted = dotted.rpartition(".")[0]
        graph[module] = out
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for node in sorted(graph):
        found = visit(node, [])
        if found:
            return found
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    graph = module_imports()
    assert "solvstack.core.config" in graph and "solvstack.core.routing.config" in graph["solvstack.core.config"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


CONFIG_TREE = ("solvstack.core.errors", "solvstack.core.schema", "solvstack.core.config",
               "solvstack.core.retrieval.config",
               "solvstack.core.routing.config", "solvstack.ops.deployments", "solvstack.ops.check")


def test_the_config_tree_has_no_function_level_imports():
    """No import inside a function dodges a cycle, and errors imports nothing of solvstack."""
    import ast

    assert module_imports()["solvstack.core.errors"] == set()
    for module in CONFIG_TREE:
        path = SRC / (module.replace(".", "/") + ".py")
        lazy = [ast.unparse(n) for f in ast.walk(ast.parse(path.read_text())) if isinstance(f, ast.FunctionDef)
                for n in ast.walk(f) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("solvstack")]
        assert lazy == [], f"{module} imports inside a function: {lazy}"


def test_the_config_tree_imports_without_dodges():
    """Each module imports first in a fresh interpreter, and without litellm (solv check stays fast)."""
    import subprocess
    import sys

    code = ("import sys, importlib; importlib.import_module(sys.argv[1]); "
            "assert 'litellm' not in sys.modules, 'imports litellm'")
    for module in CONFIG_TREE:
        r = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True, cwd=REPO)
        assert r.returncode == 0, f"{module}: {r.stderr}"
