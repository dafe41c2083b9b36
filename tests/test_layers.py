"""The package's layers: a module imports only from its own layer or the ones below (README, "Architecture")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "orgnb"

# bottom to top; a module's layer is the first whose prefixes match its dotted name (without `orgnb.`)
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            *("_startup", "errors", "remedies", "switches", "evidence.redact", "evidence.render", "evidence.stops"),
            *("input.awsrules", "input.yamlread", "aws.apicalls", "aws.listing", "aws.orgrefs", "aws.adminclient"),
            *("aws.pacing", "verdict"),
        ),
    ),
    ("input", ("input",)),
    ("aws", ("aws",)),
    ("engine", ("engine", "evidence")),
    ("phases", ("phases", "display")),
    ("runbook", ("runbook",)),
    ("commands", ("commands", "cli", "__init__")),
)


def layer_of(module: str) -> int:
    """The index of `module`'s layer (dotted name under orgnb)."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"orgnb.{module} has no layer: add it to LAYERS in {Path(__file__).name} (and the README's diagram)")


def modules() -> list[tuple[str, Path]]:
    """Every orgnb module but the sandbox (a separate server, reached over HTTP), by dotted name."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] != "sandbox":
            name = ".".join(parts).removesuffix(".__init__") or "__init__"
            found.append((name, path))
    return found


def imported(path: Path) -> set[str]:
    """The orgnb modules `path` imports (`from orgnb import x` counts as orgnb.x), TYPE_CHECKING imports included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "orgnb":
            inner = node.module.removeprefix("orgnb").removeprefix(".")
            names |= {a.name for a in node.names} if not inner else {inner}
        elif isinstance(node, ast.Import):
            names |= {a.name.removeprefix("orgnb.") for a in node.names if a.name.startswith("orgnb.")}
    return {n for n in names if n.split(".")[0] != "sandbox"}


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_a_module_imports_nothing_from_a_higher_layer(module: str, path: Path) -> None:
    own = layer_of(module)
    higher = sorted(
        n
        for n in imported(path)
        if (PACKAGE / n.replace(".", "/")).exists() or (PACKAGE / f"{n.replace('.', '/')}.py").exists()
        if layer_of(n) > own
    )
    assert not higher, f"orgnb.{module} ({LAYERS[own][0]}) imports {higher} from a higher layer"


def test_the_check_refuses_an_upward_import() -> None:
    assert layer_of("engine.plan") < layer_of("phases.migration.plan") < layer_of("runbook") < layer_of("cli.records")
    assert imported(PACKAGE / "runbook.py") >= {"phases.registry", "engine.plan"}


def test_every_package_but_the_phases_and_commands_is_one_layer() -> None:
    """The folder list shows the layers: a package's modules share its layer, but the foundation modules it lends."""
    lent = {p for p in LAYERS[0][1] if "." in p}
    for package in ("input", "aws", "engine", "evidence"):
        layers = {layer_of(m) for m, _ in modules() if m.startswith(package + ".") and m not in lent}
        assert len(layers) == 1, (package, layers)
