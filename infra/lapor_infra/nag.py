"""cdk-nag acknowledgments: each one names the rule (with the finding's exact suffix) and says why."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

# How cdk-nag prints the pseudo parameters inside a finding's resource ARN.
_PSEUDO = {"AWS::AccountId", "AWS::Partition", "AWS::Region", "AWS::URLSuffix"}

XRAY_REASON = (
    "X-Ray tracing is active: xray:PutTraceSegments and xray:PutTelemetryRecords support no "
    "resource-level permissions, so CDK grants them on '*'."
)


# Every acknowledgment made so far, by construct: the latest Validations.acknowledge call on a construct
# replaces its earlier ones, so each call repeats the construct's whole list.
# (The construct is kept with its list so its id() is never reused by a later construct.)
_MADE: dict[int, tuple[IConstruct, dict[str, str]]] = {}


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge ``rule`` on ``scope`` and everything under it, with a written reason."""
    if len(reason) < 20:
        raise ValueError(f"acknowledging {rule} needs a real reason")
    _, made = _MADE.setdefault(id(scope), (scope, {}))
    made[rule] = reason
    Validations.of(scope).acknowledge(*(Acknowledgment(id=r, reason=why) for r, why in made.items()))


def resource_finding(scope: IConstruct, arn: str) -> str:
    """The IAM5 finding id for a wildcard resource ``arn`` as cdk-nag prints it (pseudo parameters as
    ``<AWS::AccountId>``, literals as synthesized), so an acknowledgment names exactly that resource."""
    resolved: Any = Stack.of(scope).resolve(arn)
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        resolved = separator.join(
            f"<{part['Ref']}>" if isinstance(part, dict) and part.get("Ref") in _PSEUDO else str(part)
            for part in parts
        )
    return f"AwsSolutions-IAM5[Resource::{resolved}]"
