"""What a cold start builds: the stored models every function uses, not the API's request and answer
models (built by the route that uses them) nor the officials' ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORED = ("Report", "TimelineEvent", "Deadlines", "ErrorBody")
ON_FIRST_USE = (
    "SubmitReportRequest",
    "SubmitReportResponse",
    "PublicReport",
    "RegionView",
    "FeedbackRequest",
    "OfficialReport",
    "InboxPageView",
    "ActionRequest",
    "StatsView",
    "AgencyStats",
)

PROBE = """
import json, importlib, sys
importlib.import_module(sys.argv[1])
from lapor.domain import models, workspace
built = lambda cls: bool(cls.__pydantic_complete__)
names = {name: getattr(models, name, None) or getattr(workspace, name) for name in json.loads(sys.argv[2])}
before = {name: built(cls) for name, cls in names.items()}
schema = workspace.InboxPageView.model_json_schema()
request = models.SubmitReportRequest.model_validate(
    {"kind": "complaint", "title": "Jalan berlubang", "description": "Jalan berlubang di depan sekolah."}
)
after = built(workspace.InboxPageView) and built(models.SubmitReportRequest) and request.kind == "complaint"
print(json.dumps({"before": before, "after": after, "schema": "items" in schema["properties"]}))
"""


def _probe(function: str, code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter laid out as Lambda lays out ``function``; its JSON answer."""
    env = {
        "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT / 'functions' / function}",
        "AWS_REGION": "ap-southeast-3",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("function", "module"), [("intake", "intake_app"), ("route", "route_app")])
def test_a_cold_start_builds_the_stored_models_and_leaves_the_others_for_their_first_use(function, module):
    # Given a fresh interpreter laid out as Lambda lays out the function
    result = _probe(function, PROBE, module, json.dumps([*STORED, *ON_FIRST_USE]))
    # Then importing it built the stored models every function works with
    assert all(result["before"][name] for name in STORED)
    # And left the API's request and answer models and the officials' ones unbuilt
    assert not any(result["before"][name] for name in ON_FIRST_USE)
    # And such a model is built, validates and documents itself on its first use
    assert result["after"] and result["schema"]


DEFINITIONS_PROBE = """
import __future__, dataclasses, importlib, json, sys
import pydantic
importlib.import_module(sys.argv[1])
ours = {name: module for name, module in sys.modules.items() if name == "lapor" or name.startswith("lapor.")}
classes = [
    value
    for module in ours.values()
    for value in vars(module).values()
    if isinstance(value, type) and value.__module__ in ours
]
postponed = sorted(
    {
        cls.__module__
        for cls in classes
        if issubclass(cls, pydantic.BaseModel) and vars(ours[cls.__module__]).get("annotations") is __future__.annotations
    }
)
print(json.dumps({
    "dataclasses": sorted(cls.__qualname__ for cls in classes if dataclasses.is_dataclass(cls)),
    "postponed": postponed,
    "modules": len(ours),
}))
"""


@pytest.mark.parametrize(
    ("function", "module"),
    [
        ("intake", "intake_app"),
        ("route", "route_app"),
        ("notify", "notify_app"),
        ("sla_check", "sla_check_app"),
    ],
)
def test_a_cold_start_defines_its_value_types_cheaply(function, module):
    # Given a fresh interpreter laid out as Lambda lays out the function
    result = _probe(function, DEFINITIONS_PROBE, module)
    assert result["modules"] > 10  # the probe saw the package
    # Then no class of the package is a dataclass: each costs about 1 ms to define, a Struct 20 us
    assert result["dataclasses"] == []
    # And no module with pydantic models postpones its annotations, which pydantic would evaluate
    # one string at a time while building the class
    assert result["postponed"] == []
