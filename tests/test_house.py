"""The shape of the package: no import cycles, no import up the layers, short single-purpose
modules, and claim tests that hold no rules.

Imports inside functions count too: a lazy import that closes a loop is still a back-and-forth
path between two modules.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rlsparse_check"
MAX_LINES = 300
CLAIM_TEST_LINES = 80
#: The package's layers, lowest first: a module imports from its own layer or those below.
LAYERS = (
    (
        "errors",
        "atomic",
        "cache_root",
        "hashes",
        "phase",
        "numbers",
        "safetensors_format",
        "results",
        "thresholds",
    ),
    ("shards", "checkpoints", "native", "masks", "diff", "stats", "overlap", "delta"),
    ("measures", "criteria", "claims", "figures", "cases"),
    ("gguf_file", "gguf_model", "models", "tasks"),
    ("recipes", "design"),
    ("report",),
    ("plugin", "cli", "__main__"),
)
CATCH_ALL = {"common", "utils", "util", "helpers", "misc"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Package modules ``path`` imports (a ``from pkg import name`` counts pkg.name when that
    is a module, else pkg)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def test_the_package_has_no_import_cycle():
    mods = modules()
    graph = {name: imports_of(path, set(mods)) - {name} for name, path in mods.items()}
    # a package's __init__ importing its own submodules is its public surface, not a cycle
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt] if nxt in stack else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return next(i for i, names in enumerate(LAYERS) if parts[1] in names)


def test_every_top_level_module_has_a_layer():
    tops = {name.split(".")[1] for name in modules() if "." in name}
    placed = {name for names in LAYERS for name in names}
    assert tops - placed == set(), "place the new module in LAYERS"


def test_no_import_runs_up_the_layers():
    mods = modules()
    upward = [
        f"{name} (layer {layer_of(name)}) imports {dep} (layer {layer_of(dep)})"
        for name, path in mods.items()
        if layer_of(name) is not None
        for dep in sorted(imports_of(path, set(mods)))
        if layer_of(dep) is not None and layer_of(dep) > layer_of(name)
    ]
    assert upward == []


def test_claim_tests_are_short():
    for path in sorted((ROOT / "claims").glob("test_*.py")):
        lines = len(path.read_text().splitlines())
        assert lines <= CLAIM_TEST_LINES, f"{path.name}: {lines} lines (rules go to criteria)"


def test_modules_are_short_and_named_for_what_they_hold():
    for name, path in modules().items():
        lines = len(path.read_text().splitlines())
        assert lines <= MAX_LINES, f"{name}: {lines} lines (split it along a real seam)"
        assert path.stem not in CATCH_ALL, f"{name}: name the module for what it holds"


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff not installed",
)
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_the_code_passes_ruff(command):
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    targets = ["rlsparse_check", "tests", "claims", "fixtures", "benchmarks", "conftest.py"]
    done = subprocess.run(
        [ruff, *command, *targets], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_ci_runs_the_readme_test_command_verbatim_and_then_the_slow_tier():
    readme = (ROOT / "README.md").read_text()
    command = readme.split("Run the tests:", 1)[1].split("```bash\n", 1)[1].split("\n", 1)[0]
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command.endswith("pytest -n 2") and command in lines
    assert lines.index(command) < lines.index("pytest -m slow -n 2")
