"""The import graph keeps its layers: product code never reaches into tests, test kits or benches; the settings
object does not depend on the Serve app; `ranking/` stands on its own below `vidsearch`.

Imports are read from the source with `ast` (module-level and function-local ones alike), so a lazy import inside a
function cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("vidsearch", "serve", "ray_jobs", "ranking", "es_mappings")
NOT_FOR_PRODUCT = ("tests", "testkit", "bench")


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Fully qualified names of every module a file imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                if node.module:
                    names.add(f"{prefix}.{node.module}")
                else:
                    names.update(f"{prefix}.{alias.name}" for alias in node.names)
            elif node.module:
                names.add(node.module)
    return names


def files_of(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def top(name: str) -> str:
    return name.split(".", 1)[0]


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_product_never_imports_tests_testkit_or_bench(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files_of(package)
        for name in sorted(imported_modules(path))
        if top(name) in NOT_FOR_PRODUCT
    ]
    assert offenders == []


def test_settings_do_not_import_serve() -> None:
    names = imported_modules(ROOT / "vidsearch" / "config.py")
    assert sorted(n for n in names if top(n) == "serve") == []


def test_ranking_stands_below_vidsearch() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files_of("ranking")
        for name in sorted(imported_modules(path))
        if top(name) in {"vidsearch", "serve", "ray_jobs"}
    ]
    assert offenders == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The scan itself must be able to fail: a function-local import of a test module is found."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from tests.conftest import x\n    from .. import fusion\n")
    names = imported_modules(probe, package="ranking.evaluation")
    assert "tests.conftest" in names and "ranking.fusion" in names
