"""The code's shape, checked: tests mirror the package, stages say what they own, functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "ferkit"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))
STAGES = ("data", "transforms", "models", "training", "evaluation", "export", "faces", "inference", "serving", "cli")


def test_every_module_has_its_own_test_file():
    """Tests mirror the package: one list of every module whose test file is missing."""
    missing = [
        str(m.relative_to(PACKAGE))
        for m in MODULES
        if not (ROOT / "tests" / m.relative_to(PACKAGE).parent / f"test_{m.stem}.py").is_file()
    ]
    assert not missing, f"modules without tests/<stage>/test_<module>.py: {missing}"


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
