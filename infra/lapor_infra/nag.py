"""cdk-nag acknowledgments: each one names the rule (with the finding's exact suffix) and says why."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

XRAY_REASON = (
    "X-Ray tracing is active: xray:PutTraceSegments and xray:PutTelemetryRecords support no "
    "resource-level permissions, so CDK grants them on '*'."
)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` on ``scope`` and everything under it, with a written reason."""
    if len(reason) < 20:
        raise ValueError(f"acknowledging {rule} needs a real reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
