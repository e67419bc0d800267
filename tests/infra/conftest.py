"""One synthesis of the stack (cdk-nag on, layer bundling off) shared by every infra test.

Synthesis takes seconds, so it happens once per session; the bundling test builds the layer apart.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
# Skips the layer's pip run; assets are referenced by their (custom) hash all the same.
SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}


def load_app_module() -> ModuleType:
    """infra/app.py as a module (it puts infra/ and the layer's source on sys.path)."""
    if "lapor_cdk_app" not in sys.modules:
        spec = importlib.util.spec_from_file_location("lapor_cdk_app", INFRA_DIR / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["lapor_cdk_app"] = module
        spec.loader.exec_module(module)
    return sys.modules["lapor_cdk_app"]


@dataclass
class Synth:
    """The synthesized stack: its template as JSON and as an assertions ``Template``."""

    outdir: Path
    stack_name: str
    template: dict[str, Any]
    error: Exception | None
    assertions: Any

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["Type"] == resource_type}

    def one(self, resource_type: str, prefix: str) -> tuple[str, dict[str, Any]]:
        """The single resource of ``resource_type`` whose logical id starts with ``prefix``."""
        found = [(n, r) for n, r in self.of_type(resource_type).items() if n.startswith(prefix)]
        assert len(found) == 1, f"expected one {resource_type} named {prefix}*, found {[n for n, _ in found]}"
        return found[0]

    def function(self, prefix: str) -> tuple[str, dict[str, Any]]:
        return self.one("AWS::Lambda::Function", prefix)

    def role_statements(self, role_logical_id: str) -> list[dict[str, Any]]:
        """Every statement of every policy attached to the role (inline and AWS::IAM::Policy)."""
        statements: list[dict[str, Any]] = []
        role = self.resources[role_logical_id]["Properties"]
        for policy in role.get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return statements

    def function_statements(self, prefix: str) -> list[dict[str, Any]]:
        _, function = self.function(prefix)
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        return self.role_statements(role_id)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Synthesize once with cdk-nag's AwsSolutions plugin; a validation failure is kept, not raised.

    The templates are written before validation runs, so the template tests still see the stack when
    cdk-nag objects; the compliance test reports the failure.
    """
    from aws_cdk.assertions import Template

    app_module = load_app_module()
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = app_module.build_app(context=dict(SKIP_BUNDLING), outdir=str(outdir), nag=True)
    (stack,) = [child for child in app.node.children if child.node.id.startswith("Lapor-")]
    error: Exception | None = None
    try:
        app.synth()
    except Exception as raised:  # noqa: BLE001 - the compliance test asserts on it
        error = raised
    stack_name = stack.node.id
    template = json.loads((outdir / f"{stack_name}.template.json").read_text())
    return Synth(
        outdir=outdir,
        stack_name=stack_name,
        template=template,
        error=error,
        assertions=Template.from_json(template, skip_cyclical_dependencies_check=True),
    )
