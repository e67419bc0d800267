#!/usr/bin/env python3
"""CDK app of Lapor: ``python infra/app.py`` (or ``npx cdk synth``) writes the templates to cdk.out/.

Settings come from CDK context (cdk.json, ``-c key=value``); see ``lapor_infra/config.py``.
``CDK_OUTDIR`` (set by the CDK CLI) overrides the output directory. cdk-nag's AwsSolutions pack runs
as a validation plugin: an unacknowledged finding fails the synth.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

INFRA_DIR = Path(__file__).resolve().parent
REPO_ROOT = INFRA_DIR.parent
# lapor_infra lives beside this file; lapor.schema/settings come from the layer's source, so the
# stack and the functions read the very same table specs and variable names.
for path in (INFRA_DIR, REPO_ROOT / "layers" / "common" / "python"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402
from lapor_infra import constants as c  # noqa: E402
from lapor_infra.config import LaporConfig  # noqa: E402
from lapor_infra.stack import LaporStack  # noqa: E402


def default_context() -> dict[str, Any]:
    """cdk.json's context, so ``python infra/app.py`` builds what ``cdk synth`` builds.

    The CDK CLI passes cdk.json (and ``-c`` overrides) in ``CDK_CONTEXT_JSON``, which takes precedence
    over these defaults inside ``cdk.App``.
    """
    return dict(json.loads((REPO_ROOT / "cdk.json").read_text()).get("context", {}))


def build_app(
    *, context: dict[str, Any] | None = None, outdir: str | None = None, nag: bool = True
) -> cdk.App:
    """The app with the stack and (unless ``nag`` is false) cdk-nag's AwsSolutions checks.

    ``context`` entries override cdk.json's (tests pass ``{"aws:cdk:bundling-stacks": []}`` to skip
    bundling the layer).
    """
    app = cdk.App(
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(REPO_ROOT / "cdk.out"),
        context={**default_context(), **(context or {})},
        # Construct stack traces in metadata triple the synth time; CDK_DEBUG=1 brings them back.
        stack_traces=bool(os.environ.get("CDK_DEBUG")),
    )
    config = LaporConfig.from_node(app.node)
    LaporStack(
        app,
        f"{c.STACK_ID_PREFIX}-{config.stage}",
        config=config,
        description=f"Lapor {config.stage}: public complaints pipeline (SP4N-LAPOR! style)",
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region),
        termination_protection=config.stage == "prod",
    )
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
