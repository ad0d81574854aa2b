"""Layers point down only (DESIGN.md, Architecture; README, Project layout).

Every import of the project's own code, anywhere in a module (top level or inside a function), is read
from the source with `ast`, relative imports resolved, and held against the rules below. A rule names
the modules it covers (a dotted prefix: `incidents.selectors` covers the package and all it holds) and
the prefixes they must never import."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_TREES = ("accounts", "incidents", "safetrack", "bench", "support")
# What sits above the writes: the request/response side of the app.
ABOVE_SERVICES = ("incidents.views", "incidents.forms", "incidents.admin", "incidents.urls", "incidents.tasks")
READS = (
    "incidents.access",
    "incidents.models",
    "incidents.ladder",
    "incidents.trail",
    "incidents.formatting",
    "incidents.categories",
    "incidents.selectors",
    "incidents.reporting",
)

RULES = [
    ("accounts is the foundation: it imports nothing from incidents", ("accounts",), ("incidents",)),
    ("access, models, the ladder, selectors and reporting import no service", READS, ("incidents.services",)),
    ("access, models, the ladder, selectors and reporting import nothing above them", READS, ABOVE_SERVICES),
    ("services import nothing from views, forms, the admin, urls or tasks", ("incidents.services",), ABOVE_SERVICES),
    ("nothing outside tests imports tests", SOURCE_TREES, ("tests",)),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module this file imports, as dotted names (`from a import b` also counts as `a.b`)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def _covers(prefix: str, name: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _source_files() -> list[Path]:
    return [
        path for tree in SOURCE_TREES for path in sorted((ROOT / tree).rglob("*.py")) if "migrations" not in path.parts
    ]


@pytest.mark.parametrize("rule", RULES, ids=[rule[0] for rule in RULES])
def test_layers_point_down_only(rule):
    _, covered, forbidden = rule
    offenders = sorted(
        f"{_module_name(path)} imports {name}"
        for path in _source_files()
        if any(_covers(prefix, _module_name(path)) for prefix in covered)
        for name in _imports(path)
        if any(_covers(prefix, name) for prefix in forbidden)
    )
    assert not offenders


def test_the_layer_check_sees_a_relative_import_of_a_service(tmp_path, monkeypatch):
    """The check itself can fail: a relative import from a read module up into services is caught."""
    monkeypatch.setattr("tests.test_layers.ROOT", tmp_path)
    module = tmp_path / "incidents" / "selectors" / "leak.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..services.filing import report_file\nfrom . import dashboard\n")

    assert _imports(module) == {
        "incidents.services.filing",
        "incidents.services.filing.report_file",
        "incidents.selectors",
        "incidents.selectors.dashboard",
    }
