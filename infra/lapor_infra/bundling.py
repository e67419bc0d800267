"""Builds the shared layer without Docker: pip downloads wheels for Lambda's platform and Python.

The layer asset is a directory holding ``python/`` (Lambda mounts it at /opt/python) with the shared
package ``lapor`` and the third-party runtime dependencies from ``[project].dependencies`` in
pyproject.toml, pinned by ``constraints.txt`` when it exists. Wheels are chosen for the function's
architecture and Python version (never the build machine's), binary-only so nothing is built
here. boto3 and its family come with the Lambda runtime and are removed if a dependency pulls them.

Then every module is compiled to bytecode by an interpreter of the runtime's own minor version
(``lapor_infra.interpreters``), with ``--invalidation-mode unchecked-hash``: Lambda's /opt is
read-only, so without bytecode every cold start compiles the whole layer again (about twice the
import time), and timestamp-checked bytecode would be rejected because CDK zips every file with a
1980 modification time. Unchecked-hash bytecode is trusted as it is; the layer hash covers the
sources, so changed sources always mean a new layer with fresh bytecode.
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


def imaging_dependencies(pyproject: Path = c.PYPROJECT) -> list[str]:
    """The attachments function's own layer: ``[project.optional-dependencies].imaging`` (Pillow)."""
    return extra_dependencies("imaging", pyproject)


def extra_dependencies(extra: str, pyproject: Path = c.PYPROJECT) -> list[str]:
    """The requirement strings of one ``[project.optional-dependencies]`` group (a function's own layer)."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["optional-dependencies"][extra])


def newer_glibc_platform(architecture: lambda_.Architecture = c.ARCHITECTURE) -> str:
    """manylinux_2_28 for the functions' architecture: numpy, matplotlib and pyarrow publish only
    those wheels for Python 3.14; Lambda's Python 3.14 runtime is Amazon Linux 2023 (glibc 2.34)."""
    return pip_platform(architecture).replace("manylinux2014", "manylinux_2_28")


# Parts of wheels a function never loads: C headers, Cython sources, bundled test suites.
_UNUSED_IN_LAMBDA = ("include", "tests", "*.pxd", "*.pyx", "*.pxi")


COMPILE_MODE = "unchecked-hash"


def python_version(runtime: lambda_.Runtime = c.RUNTIME) -> str:
    """``python3.14`` -> ``3.14``: the version pip must select wheels for."""
    return runtime.name.removeprefix("python")


def pip_platform(architecture: lambda_.Architecture = c.ARCHITECTURE) -> str:
    return c.PIP_PLATFORMS[architecture.name]


def compile_command(target: Path, interpreter: str, *, mount: str = c.LAYER_MOUNT) -> list[str]:
    """Bytecode for every module under ``target``, recorded as living under ``mount`` (tracebacks)."""
    return [
        interpreter,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        COMPILE_MODE,
        "-s",
        str(target),
        "-p",
        mount,
        str(target),
    ]


def pip_command(
    target: Path,
    *,
    platform: str | None = None,
    requirements: list[str] | None = None,
    more_platforms: tuple[str, ...] = (),
) -> list[str]:
    """The pip invocation that fills ``target`` with ``requirements`` (default: the runtime
    dependencies) for Lambda; ``more_platforms`` are also accepted wheel tags."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        *(part for extra in more_platforms for part in ("--platform", extra)),
        "--platform",
        platform or pip_platform(),
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
    bytecode = f"{COMPILE_MODE}:{python_version()}" if c.PYTHON_BUILD.compiles else "no-bytecode"
    for part in (python_version(), pip_platform(), bytecode, *runtime_dependencies(), *c.RUNTIME_PROVIDED):
        digest.update(part.encode() + b"\0")
    if c.CONSTRAINTS.is_file():
        digest.update(c.CONSTRAINTS.read_bytes())
    for path in sorted(c.SHARED_PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}:
            digest.update(str(path.relative_to(c.SHARED_PACKAGE_DIR)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_layer(
    output_dir: Path,
    *,
    platform: str | None = None,
    interpreter: str | None = c.PYTHON_BUILD.interpreter,
    requirements: list[str] | None = None,
    more_platforms: tuple[str, ...] = (),
    trim: bool = False,
) -> None:
    """Fill ``output_dir`` with ``python/`` = third-party wheels + the ``lapor`` package, compiled.

    ``platform`` (pip's, default the functions' architecture) and ``interpreter`` (the compiler,
    default the runtime's; None skips bytecode) let the cold-import benchmark build the very same
    layer for this machine. With ``requirements`` (the imaging layer) only those wheels are bundled:
    the ``lapor`` package comes from the common layer. ``trim`` drops what a function never loads
    (headers, Cython sources, bundled test suites: a fifth of pyarrow).
    """
    target = output_dir / "python"
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(  # noqa: S603
        pip_command(target, platform=platform, requirements=requirements, more_platforms=more_platforms),
        capture_output=True,
        text=True,
        check=False,
    )
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
    if requirements is None:
        shutil.copytree(c.SHARED_PACKAGE_DIR, target / "lapor", ignore=_IGNORED, dirs_exist_ok=True)
    for stale in list(target.rglob("__pycache__")):  # wheels may ship bytecode of another Python
        shutil.rmtree(stale, ignore_errors=True)
    for pattern in _UNUSED_IN_LAMBDA if trim else ():
        for path in list(target.rglob(pattern)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists():
                path.unlink()
    if interpreter is None:
        return
    result = subprocess.run(compile_command(target, interpreter), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(
            f"layer bundling: compileall failed ({result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}"
        )


@jsii.implements(cdk.ILocalBundling)
class LocalLayerBundling:
    """CDK's hook for bundling on the build machine; Docker is never needed (nor used)."""

    def __init__(
        self,
        requirements: list[str] | None = None,
        *,
        more_platforms: tuple[str, ...] = (),
        trim: bool = False,
    ) -> None:
        self.requirements = requirements
        self.more_platforms = more_platforms
        self.trim = trim

    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        build_layer(
            Path(output_dir),
            requirements=self.requirements,
            more_platforms=self.more_platforms,
            trim=self.trim,
        )
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


def imaging_layer_code() -> lambda_.Code:
    """The attachments function's layer (Pillow, compiled like the common one), bundled locally."""
    requirements = imaging_dependencies()
    digest = hashlib.sha256(Path(__file__).read_bytes())
    bytecode = f"{COMPILE_MODE}:{python_version()}" if c.PYTHON_BUILD.compiles else "no-bytecode"
    for part in (python_version(), pip_platform(), bytecode, *requirements):
        digest.update(part.encode() + b"\0")
    if c.CONSTRAINTS.is_file():
        digest.update(c.CONSTRAINTS.read_bytes())
    return lambda_.Code.from_asset(
        str(c.IMAGING_LAYER_DIR),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=digest.hexdigest(),
        bundling=cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("unused"),
            local=LocalLayerBundling(requirements),
            command=["false"],
        ),
    )


def job_layer_code(extra: str) -> lambda_.Code:
    """A monthly job's layer (``charts`` or ``parquet``): the group's wheels, trimmed and compiled."""
    requirements = extra_dependencies(extra)
    more = (newer_glibc_platform(),)
    digest = hashlib.sha256(Path(__file__).read_bytes())
    bytecode = f"{COMPILE_MODE}:{python_version()}" if c.PYTHON_BUILD.compiles else "no-bytecode"
    for part in (extra, python_version(), pip_platform(), *more, bytecode, *requirements):
        digest.update(part.encode() + b"\0")
    if c.CONSTRAINTS.is_file():
        digest.update(c.CONSTRAINTS.read_bytes())
    return lambda_.Code.from_asset(
        str(c.LAYER_DIR),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=digest.hexdigest(),
        bundling=cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("unused"),
            local=LocalLayerBundling(requirements, more_platforms=more, trim=True),
            command=["false"],
        ),
    )
