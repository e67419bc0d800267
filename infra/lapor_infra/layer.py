"""The shared layer: the ``lapor`` package and its third-party runtime dependencies."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from lapor_infra import constants as c
from lapor_infra.bundling import job_layer_code, layer_code


class CommonLayer(Construct):
    """``layers/common`` bundled for the functions' runtime and architecture, without Docker."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=layer_code(),
            compatible_runtimes=[c.RUNTIME],
            compatible_architectures=[c.ARCHITECTURE],
            description="Lapor shared package (lapor) with pydantic, powertools, PyYAML and holidays",
            removal_policy=RemovalPolicy.DESTROY,
        )


class JobLayer(Construct):
    """A monthly job's own dependencies (``charts`` or ``parquet``), kept out of the API's layer."""

    def __init__(self, scope: Construct, construct_id: str, *, extra: str, description: str) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=job_layer_code(extra),
            compatible_runtimes=[c.RUNTIME],
            compatible_architectures=[c.ARCHITECTURE],
            description=description,
            removal_policy=RemovalPolicy.DESTROY,
        )
