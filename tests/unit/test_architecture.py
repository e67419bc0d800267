"""The shared package's floors (domain <- adapters <- app <- http), as import-linter checks them.

The contracts live in pyproject.toml ([tool.importlinter]); `make lint` runs the same check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "common" / "python" / "lapor"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
TOP_LEVEL_MODULES = {"__init__.py", "settings.py", "services.py", "observability.py"}
WINGS = {"domain", "adapters", "app", "http"}


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the project's contracts against the ``lapor`` package under ``package_parent``."""
    env = {**os.environ, "PYTHONPATH": str(package_parent), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_is_kept():
    # Given the package as it is, when import-linter checks the contracts
    result = lint_imports(PACKAGE.parent)
    # Then every contract is kept (the output names a broken one and the import that breaks it)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_an_import_up_a_floor_fails_naming_the_rule_and_the_line(tmp_path: Path):
    # Given a copy of the package in which a domain module imports a use case
    shutil.copytree(PACKAGE, tmp_path / "lapor", ignore=shutil.ignore_patterns("__pycache__"))
    ids = tmp_path / "lapor" / "domain" / "ids.py"
    ids.write_text(ids.read_text() + "\nfrom lapor.app import render  # an import up a floor\n")
    # When import-linter checks it
    result = lint_imports(tmp_path)
    # Then it fails, naming the floors contract and the offending import
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "lapor.domain is not allowed to import lapor.app" in result.stdout
    assert "lapor.domain.ids -> lapor.app.render" in result.stdout


def test_domain_that_calls_aws_fails_the_purity_rule(tmp_path: Path):
    # Given a copy in which a rule module imports boto3
    shutil.copytree(PACKAGE, tmp_path / "lapor", ignore=shutil.ignore_patterns("__pycache__"))
    routing = tmp_path / "lapor" / "domain" / "routing.py"
    routing.write_text(routing.read_text() + "\nimport boto3  # I/O in the domain\n")
    # When import-linter checks it, then the domain purity contract names it
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "lapor.domain.routing -> boto3" in result.stdout


def test_no_module_is_left_beside_the_four_wings():
    # The package's top holds only the wings and the three cross-cutting modules
    top = {path.name for path in PACKAGE.iterdir() if path.name != "__pycache__" and path.name != "py.typed"}
    assert top == TOP_LEVEL_MODULES | WINGS
