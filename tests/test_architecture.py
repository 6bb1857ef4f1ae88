"""Imports flow one way: models ← valuation, pledge ← storage ← api."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["models", "valuation", "pledge", "navigation", "storage", "reports", "api"]
# What each package may import from the project (besides itself).
ALLOWED = {
    "models": set(),
    "valuation": {"models"},
    "pledge": {"models", "valuation"},
    "navigation": {"models", "valuation", "pledge"},
    "reports": {"models", "valuation", "pledge", "navigation"},
    "storage": {"models", "valuation", "pledge"},
    "api": {"models", "valuation", "pledge", "navigation", "storage", "reports"},
}
FRAMEWORKS = {"fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn"}
PURE = {"models", "valuation", "pledge", "navigation"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        roots = imported_roots(path)
        project = roots & set(PACKAGES) - {package}
        assert project <= ALLOWED[package], f"{path.relative_to(ROOT)} imports {project}"
        if package in PURE:
            assert not roots & FRAMEWORKS, f"{path.relative_to(ROOT)} imports {roots & FRAMEWORKS}"
