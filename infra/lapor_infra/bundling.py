"""Builds the shared layer without Docker: pip downloads wheels for Lambda's platform and Python.

The layer asset is a directory holding ``python/`` (Lambda mounts it at /opt/python) with the shared
package ``lapor`` and the third-party runtime dependencies from ``[project].dependencies`` in
pyproject.toml, pinned by ``constraints.txt`` when it exists. Wheels are chosen for the function's
architecture and Python version (never the build machine's), binary-only so nothing is compiled
here. boto3 and its family come with the Lambda runtime and are removed if a dependency pulls them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from lapor_infra import constants as c

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")


def runtime_dependencies(pyproject: Path = c.PYPROJECT) -> list[str]:
    """The requirement strings the layer bundles: ``[project].dependencies`` of pyproject.toml."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def extra_dependencies(extra: str, pyproject: Path = c.PYPROJECT) -> list[str]:
    """The requirement strings of one ``[project.optional-dependencies]`` group (a job's own layer)."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["optional-dependencies"][extra])


def python_version(runtime: lambda_.Runtime = c.RUNTIME) -> str:
    """``python3.14`` -> ``3.14``: the version pip must select wheels for."""
    return runtime.name.removeprefix("python")


def pip_platform(architecture: lambda_.Architecture = c.ARCHITECTURE) -> str:
    return c.PIP_PLATFORMS[architecture.name]


def pip_command(
    target: Path, requirements: list[str] | None = None, *, newer_glibc: bool = False
) -> list[str]:
    """The pip invocation that fills ``target`` with ``requirements`` (default: the runtime ones) for Lambda.

    ``newer_glibc`` also accepts manylinux_2_28 wheels (numpy, matplotlib and pyarrow publish only
    those for Python 3.14); Lambda's Python 3.14 runtime is Amazon Linux 2023, glibc 2.34.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        *(["--platform", pip_platform().replace("manylinux2014", "manylinux_2_28")] if newer_glibc else []),
        "--platform",
        pip_platform(),
        "--implementation",
        "cp",
        "--python-version",
        python_version(),
        "--only-binary=:all:",
        "--no-compile",
        "--target",
        str(target),
    ]
    if c.CONSTRAINTS.is_file():
        command += ["-c", str(c.CONSTRAINTS)]
    return command + (runtime_dependencies() if requirements is None else requirements)


def layer_hash() -> str:
    """A hash of everything that decides the layer's content, so an unchanged layer is never rebuilt.

    CDK keys bundled assets by this hash: a repeated synth reuses ``cdk.out/asset.<hash>`` instead of
    running pip again, and any change to the shared package, the dependency list, the constraints,
    the target platform or this bundling code produces a new asset.
    """
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for part in (python_version(), pip_platform(), *runtime_dependencies(), *c.RUNTIME_PROVIDED):
        digest.update(part.encode() + b"\0")
    if c.CONSTRAINTS.is_file():
        digest.update(c.CONSTRAINTS.read_bytes())
    for path in sorted(c.SHARED_PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}:
            digest.update(str(path.relative_to(c.SHARED_PACKAGE_DIR)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_layer(output_dir: Path) -> None:
    """Fill ``output_dir`` with ``python/`` = third-party wheels + the ``lapor`` package."""
    target = _install(output_dir, None)
    shutil.copytree(c.SHARED_PACKAGE_DIR, target / "lapor", ignore=_IGNORED, dirs_exist_ok=True)


# Parts of wheels a function never loads: C headers, Cython sources, bundled test suites.
_UNUSED_IN_LAMBDA = ("include", "tests", "*.pxd", "*.pyx", "*.pxi")


def build_extra_layer(output_dir: Path, extra: str) -> None:
    """Fill ``output_dir`` with ``python/`` = the wheels of one optional-dependency group, trimmed."""
    target = _install(output_dir, extra_dependencies(extra), newer_glibc=True)
    for pattern in _UNUSED_IN_LAMBDA:
        for path in list(target.rglob(pattern)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()


def _install(output_dir: Path, requirements: list[str] | None, *, newer_glibc: bool = False) -> Path:
    target = output_dir / "python"
    target.mkdir(parents=True, exist_ok=True)
    command = pip_command(target, requirements, newer_glibc=newer_glibc)
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"layer bundling: pip failed ({result.returncode}):\n{result.stderr[-4000:]}")
    for name in c.RUNTIME_PROVIDED:
        for path in [target / name, *target.glob(f"{name}-*.dist-info")]:
            if path.exists():
                print(
                    f"layer bundling: removing {path.name} (provided by the Lambda runtime)", file=sys.stderr
                )
                shutil.rmtree(path)
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts are of no use in a layer
    return target


@jsii.implements(cdk.ILocalBundling)
class LocalLayerBundling:
    """CDK's hook for bundling on the build machine; Docker is never needed (nor used)."""

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        build_layer(Path(output_dir))
        return True


def layer_code() -> lambda_.Code:
    """The layer's code asset, bundled locally and keyed by ``layer_hash``."""
    return lambda_.Code.from_asset(
        str(c.LAYER_DIR),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=layer_hash(),
        bundling=cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("unused"),  # never pulled: local bundling always succeeds
            local=LocalLayerBundling(),
            command=["false"],
        ),
    )


@jsii.implements(cdk.ILocalBundling)
class LocalExtraLayerBundling:
    """Local bundling of one optional-dependency group (no Docker)."""

    def __init__(self, extra: str) -> None:
        self.extra = extra

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        build_extra_layer(Path(output_dir), self.extra)
        return True


def extra_layer_code(extra: str) -> lambda_.Code:
    """A job layer's code asset: the ``extra`` group's wheels, keyed by what decides them."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for part in (extra, python_version(), pip_platform(), *extra_dependencies(extra)):
        digest.update(part.encode() + b"\0")
    if c.CONSTRAINTS.is_file():
        digest.update(c.CONSTRAINTS.read_bytes())
    return lambda_.Code.from_asset(
        str(c.LAYER_DIR),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=digest.hexdigest(),
        bundling=cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("unused"),
            local=LocalExtraLayerBundling(extra),
            command=["false"],
        ),
    )
