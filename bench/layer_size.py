"""(f) Size of the built layer asset in cdk.out (after `make synth`), against Lambda's limits."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from bench.environment import ROOT, progress
from bench.figures import Figure
from bench.options import Options

NAME = "layer_size"
CDK_OUT = ROOT / "cdk.out"
UNZIPPED_LIMIT_MB = 250.0  # function code and all its layers, unzipped
MB = 1024 * 1024


def layer_asset(cdk_out: Path = CDK_OUT) -> Path | None:
    """The layer's asset folder named by a stack's assets manifest, or None when there is none."""
    for manifest in sorted(cdk_out.glob("*.assets.json")):
        try:
            files = json.loads(manifest.read_text())["files"]
        except (OSError, ValueError, KeyError):
            continue
        for asset in files.values():
            if "Layer" in asset.get("displayName", "") and asset.get("source", {}).get("packaging") == "zip":
                path = cdk_out / asset["source"]["path"]
                if path.is_dir():
                    return path
    return None


def _zipped_size(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.tell()


def run(options: Options) -> list[Figure]:
    """Unzipped and zipped size of the layer, its largest packages, and whether it carries bytecode."""
    asset = layer_asset()
    if asset is None:
        return [
            Figure(
                NAME,
                "layer size",
                None,
                "MB",
                skipped=True,
                note="no built layer asset in cdk.out: run `make synth` first",
            )
        ]
    progress(NAME, f"measuring {asset.relative_to(ROOT)}")
    files = [p for p in asset.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    by_package: dict[str, int] = {}
    for path in files:
        parts = path.relative_to(asset).parts
        top = parts[1] if len(parts) > 2 and parts[0] == "python" else parts[0]
        by_package[top] = by_package.get(top, 0) + path.stat().st_size
    largest = sorted(by_package.items(), key=lambda kv: -kv[1])[:5]
    pyc = sum(1 for p in files if p.suffix == ".pyc")
    zipped = _zipped_size(asset)
    built = datetime.fromtimestamp(max(os.path.getmtime(p) for p in files), UTC).isoformat(timespec="seconds")
    return [
        Figure(
            NAME,
            "layer unzipped",
            total / MB,
            "MB",
            target=UNZIPPED_LIMIT_MB,
            note="largest: "
            + ", ".join(f"{name} {size / MB:.1f} MB" for name, size in largest)
            + f"; {len(files)} files, {pyc} .pyc; built {built}",
            detail={"asset": str(asset.relative_to(ROOT)), "files": len(files), "pyc_files": pyc},
        ),
        Figure(NAME, "layer zipped (deflate)", zipped / MB, "MB"),
    ]
