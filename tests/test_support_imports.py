"""bench/ and support/ run outside pytest (the benchmarks, `python -m support.smtp_sink`): they must
never import the test tree, whose modules assume pytest and its fixtures."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("folder", ["bench", "support"])
def test_benchmarks_and_support_never_import_the_test_tree(folder):
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for module in _imported_modules(path)
        if module == "tests" or module.startswith("tests.") or module == "pytest"
    }
    assert not offenders
