"""The three layers of ``src/solvstack`` and the direction of their imports (issue 13, docs/architecture.md).

- ``solvstack.core``  imports nothing of LiteLLM, directly or through another solvstack module, and nothing
  of ``solvstack.proxy`` or ``solvstack.ops``.
- ``solvstack.proxy`` the LiteLLM layer: may import ``litellm`` and the core; a LiteLLM upgrade reviews it.
- ``solvstack.ops``   operator tools: may import the core (and run the ``litellm`` executable), never the
  request path ``solvstack.proxy``.

Every import counts: module level, inside functions, and under ``if TYPE_CHECKING:`` (a type is a dependency
too). Read from the source with ``ast``: no interpreter, no subprocess.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = next(p / "src" for p in Path(__file__).resolve().parents if (p / "src" / "solvstack").is_dir())
LAYERS = ("solvstack.core", "solvstack.proxy", "solvstack.ops")

# (importer, imported) pairs allowed against the rules, each with its reason. Keep it empty if you can.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "solvstack").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``module`` imports anywhere in its file: solvstack modules (and the packages a dotted
    import runs on the way) by full name, other packages by their top-level name."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = (module if is_pkg else module.rpartition(".")[0]).split(".")
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join([*pkg, base] if base else pkg)
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        for dotted in names:
            if dotted.split(".")[0] != "solvstack":
                out.add(dotted.split(".")[0])
                continue
            while dotted:
                if dotted in known and dotted not in (module, "solvstack"):
                    out.add(dotted)
                dotted = dotted.rpartition(".")[0]
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(m, p, set(mods)) for m, p in mods.items()}


def layer(module: str) -> str | None:
    return next((x for x in LAYERS if module == x or module.startswith(x + ".")), None)


def chain_to_litellm(g: dict[str, set[str]], start: str) -> list[str] | None:
    """The import chain from ``start`` to ``litellm`` (breadth first: the shortest), or None."""
    seen, queue = {start}, [[start]]
    while queue:
        path = queue.pop(0)
        for nxt in sorted(g.get(path[-1], ())):
            if (path[-1], nxt) in EXCEPTIONS:
                continue
            if nxt == "litellm":
                return [*path, "litellm"]
            if nxt in g and nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    return None


def test_every_module_is_in_a_layer():
    stray = [m for m in modules() if m != "solvstack" and layer(m) is None]
    assert stray == [], f"{stray}: move each into src/solvstack/core, proxy or ops (see this file's docstring)"


def test_the_package_root_imports_no_layer():
    assert {m for m in graph()["solvstack"] if m.startswith("solvstack.")} == set()


@pytest.mark.parametrize("module", sorted(m for m in modules() if layer(m) == "solvstack.core"))
def test_core_imports_nothing_of_litellm(module):
    g = graph()
    chain = chain_to_litellm(g, module)
    assert chain is None, (f"{' -> '.join(chain or [])}: the core must not import LiteLLM; move the LiteLLM "
                           "part into solvstack.proxy")
    wrong = sorted(m for m in g[module] if layer(m) in ("solvstack.proxy", "solvstack.ops")
                   and (module, m) not in EXCEPTIONS)
    assert wrong == [], f"{module} imports {wrong}: the core imports only the core"


@pytest.mark.parametrize("module", sorted(m for m in modules() if layer(m) == "solvstack.ops"))
def test_operations_do_not_import_the_request_path(module):
    g = graph()
    wrong = sorted(m for m in g[module] if layer(m) == "solvstack.proxy" and (module, m) not in EXCEPTIONS)
    assert wrong == [], (f"{module} imports {wrong}: operations must not import the LiteLLM layer; move what "
                         "they share into solvstack.core")


def test_the_walk_sees_lazy_and_type_checking_imports(tmp_path):
    """The checker itself: an import inside a function or under TYPE_CHECKING counts."""
    path = tmp_path / "m.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import litellm.types\n"
                    "def f():\n    from solvstack.proxy import hook\n")
    assert imports("solvstack.core.m", path, {"solvstack.proxy", "solvstack.proxy.hook"}) >= {
        "litellm", "solvstack.proxy", "solvstack.proxy.hook"}
    assert chain_to_litellm({"a": {"b"}, "b": {"litellm"}}, "a") == ["a", "b", "litellm"]
