"""The layer really bundles without Docker, for Lambda's Python on arm64 (pip needs PyPI or its cache)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import aws_cdk as cdk
import pytest

from tests.infra.conftest import load_app_module

# Bundled layers are kept between runs, keyed by the layer's content hash (sources, dependencies,
# constraints, platform and the bundling code): pip runs again only when one of those changes.
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lapor" / "infra-layer-test"


@pytest.fixture(scope="module")
def layer_asset() -> Path:
    """Synthesize a stack holding only the layer, with bundling on; the bundled asset directory."""
    load_app_module()  # puts infra/ on sys.path
    from lapor_infra.layer import CommonLayer

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # One synthesis at a time in the shared folder (pytest-xdist workers, parallel sessions).
    with (CACHE_DIR.parent / "infra-layer-test.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        app = cdk.App(outdir=str(CACHE_DIR), stack_traces=False)
        stack = cdk.Stack(app, "LayerOnly")
        CommonLayer(stack, "CommonLayer")
        app.synth()
        template = json.loads((CACHE_DIR / "LayerOnly.template.json").read_text())
        (layer,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
        asset = CACHE_DIR / f"asset.{layer['Properties']['Content']['S3Key'].removesuffix('.zip')}"
        for stale in CACHE_DIR.glob("asset.*"):
            if stale != asset:
                shutil.rmtree(stale)
    return asset


def test_layer_holds_the_shared_package_and_its_dependencies(layer_asset: Path) -> None:
    python = layer_asset / "python"
    assert (python / "lapor" / "__init__.py").is_file()
    assert (python / "lapor" / "adapters" / "schema.py").is_file()
    for package in ("aws_lambda_powertools", "pydantic", "pydantic_core", "yaml", "holidays", "jinja2"):
        assert (python / package).is_dir(), package
    # the email templates and the region list travel with the package
    assert (python / "lapor" / "app" / "templates" / "email.html.j2").is_file()
    assert (python / "lapor" / "adapters" / "data" / "regions.tsv.gz").is_file()
    # ... and Pillow does not: it is the attachments function's own layer
    assert not (python / "PIL").exists()


def test_imaging_layer_is_pillow_for_lambda_only(tmp_path: Path) -> None:
    load_app_module()
    from lapor_infra.bundling import build_layer, imaging_dependencies, python_version

    build_layer(tmp_path, requirements=imaging_dependencies())
    python = tmp_path / "python"
    assert (python / "PIL" / "Image.py").is_file() and not (python / "lapor").exists()
    abi = f"cpython-{python_version().replace('.', '')}-aarch64"
    assert any(abi in so.name for so in (python / "PIL").glob("_imaging.*.so"))


def test_binary_wheels_are_for_the_runtime_python_on_arm64(layer_asset: Path) -> None:
    from lapor_infra.interpreters import python_build

    tag = python_build().version.replace(".", "")
    (core,) = (layer_asset / "python" / "pydantic_core").glob("_pydantic_core.*.so")
    assert f"cpython-{tag}-aarch64-linux-gnu" in core.name
    for extension in (layer_asset / "python").rglob("*.so"):
        assert "x86_64" not in extension.name, extension
        assert "cpython-311" not in extension.name, extension


def test_layer_leaves_boto3_to_the_runtime(layer_asset: Path) -> None:
    python = layer_asset / "python"
    for name in ("boto3", "botocore", "s3transfer"):
        assert not (python / name).exists(), name
        assert not list(python.glob(f"{name}-*.dist-info")), name
    assert not (python / "bin").exists()


def test_every_module_has_unchecked_hash_bytecode_for_the_runtime(layer_asset: Path) -> None:
    # Given the runtime's minor version and its interpreter's bytecode magic number
    import subprocess

    from lapor_infra.interpreters import python_build

    build = python_build()
    assert build.compiles, "no interpreter of the runtime's minor version on this machine"
    magic = bytes.fromhex(
        subprocess.run(
            [build.interpreter, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    tag = f"cpython-{build.version.replace('.', '')}"
    sources = list((layer_asset / "python").rglob("*.py"))
    assert len(sources) > 500  # the whole layer, dependencies included
    missing, wrong = [], []
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not pyc.is_file():
            missing.append(str(source.relative_to(layer_asset)))
            continue
        header = pyc.read_bytes()[:8]
        # PEP 552: flags 0b01 = hash-based, source not checked (unchecked-hash); 0b11 would be checked
        if header[:4] != magic or int.from_bytes(header[4:8], "little") != 0b01:
            wrong.append(str(pyc.relative_to(layer_asset)))
    # Then every module has bytecode Lambda's read-only /opt can use as it is
    assert missing == []
    assert wrong == []
    # ... and nothing of another Python (wheels' own caches) is left
    assert not [p for p in layer_asset.rglob("*.pyc") if tag not in p.name]


def test_bytecode_records_the_path_lambda_mounts_the_layer_at(layer_asset: Path) -> None:
    pyc = layer_asset / "python" / "lapor" / "domain" / "__pycache__"
    (compiled,) = pyc.glob("workdays.*.pyc")
    data = compiled.read_bytes()  # the interpreter of another minor version cannot unmarshal it: read bytes
    assert b"/opt/python/lapor/domain/workdays.py" in data
    assert str(layer_asset).encode() not in data
