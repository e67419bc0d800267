"""One Lapor Lambda function: its own role (no managed policies), log group and tracing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from lapor.settings import ENVIRONMENT
from lapor_infra import constants as c
from lapor_infra.config import LaporConfig
from lapor_infra.interpreters import lambda_python_minors
from lapor_infra.nag import acknowledge

_CODE_EXCLUDES = ["__pycache__", "*.pyc", "*.pyo", "tests", ".pytest_cache", ".mypy_cache"]
# Variables Lambda and powertools read themselves, besides lapor.settings.ENVIRONMENT.
_RUNTIME_VARIABLES = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "MPLCONFIGDIR",  # matplotlib's cache folder (the evaluation's charts)
}


def pipeline_environment(config: LaporConfig, data: Any, notify_queue_url: str) -> dict[str, str]:
    """The settings every Lapor function needs: its tables, the notify queue, due shards, public URL."""
    return {
        "LAPOR_REPORTS_TABLE": data.reports.table_name,
        "LAPOR_DIRECTORY_TABLE": data.directory.table_name,
        "LAPOR_NOTIFY_QUEUE_URL": notify_queue_url,
        "LAPOR_DUE_SHARDS": str(config.due_shards),
        "LAPOR_PUBLIC_URL": config.public_url,
    }


def check_environment(environment: Mapping[str, str]) -> None:
    """Every variable must be one ``lapor.settings`` (or powertools) reads: a typo fails the synth."""
    unknown = sorted(set(environment) - set(ENVIRONMENT) - _RUNTIME_VARIABLES)
    if unknown:
        raise ValueError(f"environment variables no Lapor setting reads: {', '.join(unknown)}")


class LaporFunction(Construct):
    """A function of ``spec`` on the shared layer, with an empty role the caller grants to."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: c.FunctionSpec,
        layer: lambda_.ILayerVersion,
        config: LaporConfig,
        environment: Mapping[str, str],
        extra_layers: Sequence[lambda_.ILayerVersion] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        variables = {
            "POWERTOOLS_SERVICE_NAME": c.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": config.log_level,
            **environment,
        }
        check_environment(variables)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Lapor {config.stage} {spec.name} function (least privilege, no managed policies)",
        )
        self.log_group = logs.LogGroup(
            self, "Logs", retention=config.log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=c.RUNTIME,
            architecture=c.ARCHITECTURE,
            code=lambda_.Code.from_asset(str(spec.code_dir), exclude=_CODE_EXCLUDES),
            handler=spec.handler,
            layers=[layer, *extra_layers],
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            environment=variables,
        )
        self.log_group.grant_write(self.role)
        newest = f"python3.{lambda_python_minors()[0]}"
        if c.RUNTIME.name != newest:
            acknowledge(
                self.function,
                "AwsSolutions-L1",
                f"{c.RUNTIME.name}, not {newest}: the layer ships bytecode compiled by an interpreter of the "
                "runtime's own minor version (halves the cold start), and this build machine has none for "
                f"{newest}; the build picks {newest} by itself once one is installed (lapor_infra.interpreters).",
            )
