"""Which AWS the operator commands talk to: a deployed stack (found by its outputs) or the local stack."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ops.command import OpsError

DEFAULT_REGION = "ap-southeast-3"  # Jakarta: personal data stays in Indonesia
LOCAL_PREFIX = "lapor-local"  # resource names of `make local` (local.resources.ResourceNames)

# Stack outputs the commands read (infra/lapor_infra/constants.py names them).
OUTPUT_DIRECTORY_TABLE = "DirectoryTableName"
OUTPUT_NOTIFY_QUEUE = "NotifyQueueUrl"
OUTPUT_NOTIFY_DLQ = "NotifyDlqUrl"


def local_endpoint() -> str:
    """The local stack's moto endpoint (LAPOR_AWS_PORT, default 5000)."""
    return f"http://127.0.0.1:{os.environ.get('LAPOR_AWS_PORT') or '5000'}"


def add_connection_arguments(parser: argparse.ArgumentParser, *, local_help: str) -> None:
    """``--region``, ``--endpoint-url`` and ``--local``, shared by the commands that call AWS."""
    group = parser.add_argument_group("where")
    group.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help=f"AWS region of the stack (default {DEFAULT_REGION}, Jakarta)",
    )
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send every AWS call to this endpoint instead of AWS (e.g. the local stack's moto)",
    )
    group.add_argument("--local", action="store_true", help=local_help)


@dataclass(frozen=True)
class AwsTarget:
    """A region and, optionally, an endpoint; builds the boto3 clients the commands use.

    Deployed stacks are reached with the operator's own credentials (profile, SSO or environment);
    the local stack's moto accepts any, so ``local`` supplies dummy ones.
    """

    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    local: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AwsTarget:
        """The target named by ``--region``, ``--endpoint-url`` and ``--local``."""
        local = bool(getattr(args, "local", False))
        endpoint = args.endpoint_url or (local_endpoint() if local else None)
        return cls(region=args.region, endpoint_url=endpoint, local=local)

    @cached_property
    def _session(self) -> Any:
        import boto3  # deferred: `--help` and validate-directory need no AWS at all

        if self.local:
            return boto3.session.Session(  # the local stack's moto accepts any credentials
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - a placeholder, not a secret
                region_name=self.region,
            )
        return boto3.session.Session(region_name=self.region)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` in this target."""
        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        return self._session.client(service, **kwargs)

    def describe(self) -> str:
        """Where, for messages: the region and any endpoint."""
        return f"{self.region} via {self.endpoint_url}" if self.endpoint_url else self.region


def stack_outputs(target: AwsTarget, stack: str) -> dict[str, str]:
    """A CloudFormation stack's outputs, keyed by output name."""
    from botocore.exceptions import ClientError

    cloudformation = target.client("cloudformation")
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            raise OpsError(
                f"stack {stack!r} not found in {target.describe()}; check --stack and --region"
            ) from None
        raise
    if not stacks:
        raise OpsError(f"stack {stack!r} not found in {target.describe()}")
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def require_output(outputs: dict[str, str], name: str, stack: str) -> str:
    """One output's value, or an error that says which output the stack lacks."""
    value = outputs.get(name)
    if not value:
        raise OpsError(
            f"stack {stack!r} has no output {name!r}: is it a Lapor stack, deployed from this version?"
        )
    return value


def describe_aws_error(error: BaseException, target: AwsTarget | None = None) -> str | None:
    """A one-line explanation of a botocore error, or None when ``error`` is not one."""
    if not type(error).__module__.startswith("botocore"):
        return None
    from botocore import exceptions

    where = target.describe() if target else "AWS"
    if isinstance(error, exceptions.NoCredentialsError):
        return (
            "no AWS credentials found: sign in (e.g. `aws sso login`, AWS_PROFILE=...) "
            "or use --local for the local stack"
        )
    if isinstance(error, exceptions.EndpointConnectionError):
        return (
            f"cannot reach {error.kwargs.get('endpoint_url', where)}: is the endpoint (or `make local`) up?"
        )
    if isinstance(error, exceptions.ClientError):
        info = error.response.get("Error", {})
        code = info.get("Code", "Error")
        message = info.get("Message", "")
        operation = getattr(error, "operation_name", "the call")
        if code in {
            "ResourceNotFoundException",
            "AWS.SimpleQueueService.NonExistentQueue",
            "QueueDoesNotExist",
        }:
            return f"{operation} in {where}: the table or queue does not exist ({message})"
        if code in {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "ExpiredToken"}:
            return f"{operation} in {where} was refused ({code}): check your credentials and permissions"
        return f"{operation} in {where} failed: {code}: {message}"
    return f"AWS call failed: {error}"
