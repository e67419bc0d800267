"""What a cold start of the API builds: the models citizens' requests use, not the officials' ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, intake_app
from lapor.domain import models, workspace
built = lambda cls: bool(cls.__pydantic_complete__)
before = {name: built(getattr(module, name)) for module, name in (
    (models, "SubmitReportRequest"), (models, "Report"), (models, "PublicReport"), (models, "ErrorBody"),
    (workspace, "OfficialReport"), (workspace, "InboxPageView"), (models, "ActionRequest"),
    (models, "StatsView"), (models, "AgencyStats"),
)}
schema = workspace.InboxPageView.model_json_schema()
action = models.ActionRequest.model_validate({"action": "verify"})
after = built(workspace.InboxPageView) and built(models.ActionRequest) and action.action == "verify"
print(json.dumps({"before": before, "after": after, "schema": "items" in schema["properties"]}))
"""


def test_a_cold_start_builds_the_citizens_models_and_leaves_the_officials_for_their_first_use():
    # Given a fresh interpreter laid out as Lambda lays out the API function
    env = {
        "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT / 'functions/intake'}",
        "AWS_REGION": "ap-southeast-3",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # Then importing it built what every citizen's request needs
    assert all(
        result["before"][name] for name in ("SubmitReportRequest", "Report", "PublicReport", "ErrorBody")
    )
    # And left the officials' and the statistics' models unbuilt
    assert not any(
        result["before"][name]
        for name in ("OfficialReport", "InboxPageView", "ActionRequest", "StatsView", "AgencyStats")
    )
    # And such a model is built, validates and documents itself on its first use
    assert result["after"] and result["schema"]
