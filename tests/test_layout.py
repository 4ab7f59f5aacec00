"""The code's shape, checked: tests mirror the package, stages say what they own, functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ferkit"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))
STAGES = ("data", "transforms", "models", "training", "evaluation", "export", "faces", "inference", "serving", "cli")


@pytest.mark.parametrize("module", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_every_module_has_its_own_test_file(module):
    rel = module.relative_to(PACKAGE)
    expected = ROOT / "tests" / rel.parent / f"test_{rel.stem}.py"
    assert expected.is_file(), f"{rel} has no test file {expected.relative_to(ROOT)}"


def test_stages_are_subpackages_that_say_what_they_own():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file(), stage
        assert (ast.get_docstring(ast.parse(init.read_text())) or "").strip(), f"{stage}/__init__.py has no docstring"


def test_no_function_over_60_lines():
    long = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "bench").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})")
    assert not long, long


def test_architecture_doc_maps_every_module():
    """docs/architecture.md's module map is how a newcomer finds their way; a module missing there is lost."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(m.relative_to(PACKAGE)) for m in MODULES if f"`{m.relative_to(PACKAGE).as_posix()}`" not in doc]
    assert not missing, f"docs/architecture.md's module map lacks {missing}"
