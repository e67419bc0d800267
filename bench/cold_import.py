"""(a) Cold import of each function's entry module, in fresh processes, against ``import boto3``.

On Lambda a cold start is mostly import time. Each sample is one fresh ``python -c "import X"`` with
the function's code root and the layer on sys.path and a Lambda-like environment; the median of a
bare ``python -c "pass"`` (interpreter start-up) is subtracted. Bytecode caches go to a private
``PYTHONPYCACHEPREFIX`` warmed by one unmeasured round, so the tree stays clean and every module
is measured with compiled bytecode available.

One extra, informational figure measures the intake module with the layer's packages *not*
compiled: the layer asset is bundled with ``--no-compile`` and /opt is read-only on Lambda, so that
is what a real cold start pays.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.environment import FUNCTIONS, LAMBDA_ENVIRONMENT, LAYER_DIR, ROOT, progress
from bench.figures import Figure, median
from bench.layer_size import layer_asset
from bench.options import Options

NAME = "cold_import"
TARGET_RATIO = 2.0
# The layer's top-level packages when no built layer asset says otherwise.
LAYER_PACKAGES = (
    "aws_lambda_powertools",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "typing_extensions",
    "holidays",
    "dateutil",
    "six",
    "yaml",
    "_yaml",
    "lapor",
)


def _code(function_dir: Path | None, statement: str) -> str:
    paths = [str(LAYER_DIR)] + ([str(function_dir)] if function_dir else [])
    return f"import sys; sys.path[:0] = {paths!r}; {statement}"


def _environment(pycache: Path, *, write_bytecode: bool) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPYCACHEPREFIX": str(pycache),
        **LAMBDA_ENVIRONMENT,
    }
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _time_once(code: str, env: dict[str, str], function_name: str | None) -> float:
    if function_name:
        env = {**env, "AWS_LAMBDA_FUNCTION_NAME": function_name}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"`python -c {code!r}` failed:\n{result.stderr[-2000:]}")
    return elapsed * 1000


def _import_profile(code: str, env: dict[str, str], function_name: str | None, top: int = 5) -> str:
    """The packages that take the most import time (self time summed per top-level package)."""
    if function_name:
        env = {**env, "AWS_LAMBDA_FUNCTION_NAME": function_name}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    per_package: dict[str, int] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        package = name.split(".")[0]
        per_package[package] = per_package.get(package, 0) + int(self_us)
    ranked = sorted(per_package.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in ranked)


def _layer_package_paths() -> list[Path]:
    """Where this interpreter imports the layer's packages from (their bytecode is dropped for the variant)."""
    asset = layer_asset()
    names = LAYER_PACKAGES
    if asset is not None and (asset / "python").is_dir():
        # A module's name is its file name up to the first dot: ``six.py``, and extension modules
        # such as ``_cffi_backend.cpython-313-aarch64-linux-gnu.so`` (cryptography's, for joserfc).
        names = tuple(
            p.name if p.is_dir() else p.name.split(".", 1)[0]
            for p in (asset / "python").iterdir()
            if not p.name.endswith((".dist-info", ".pth")) and p.name != "__pycache__"
        )
    paths = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        paths.append(origin.parent if origin.name == "__init__.py" else origin)
    return paths


def _drop_bytecode(pycache: Path, sources: list[Path]) -> None:
    for source in sources:
        cached = pycache / str(source.resolve()).lstrip("/")
        if cached.is_dir():
            shutil.rmtree(cached)
        elif source.suffix == ".py":
            for pyc in cached.parent.glob(f"{source.stem}.*.pyc"):
                pyc.unlink()


def run(options: Options) -> list[Figure]:
    """Median cold-import times of the four entry modules and of boto3, in ms above a bare interpreter."""
    runs = options.import_runs
    with tempfile.TemporaryDirectory(prefix="lapor-bench-pycache-") as tmp:
        pycache = Path(tmp) / "compiled"
        env = _environment(pycache, write_bytecode=True)
        subjects: dict[str, tuple[str, str | None]] = {
            "bare": (_code(None, "pass"), None),
            "boto3": (_code(None, "import boto3"), None),
        }
        for name, (directory, module) in FUNCTIONS.items():
            subjects[module] = (_code(ROOT / directory, f"import {module}"), f"lapor-{name}")

        progress(NAME, f"warm-up round (fills a private bytecode cache in {pycache})")
        for code, function_name in subjects.values():
            _time_once(code, env, function_name)

        samples: dict[str, list[float]] = {name: [] for name in subjects}
        for round_ in range(1, runs + 1):
            # Interleaved rounds: a burst of background load hits every subject alike.
            for name, (code, function_name) in subjects.items():
                samples[name].append(_time_once(code, env, function_name))
            progress(
                NAME, f"round {round_}/{runs}: " + ", ".join(f"{n} {samples[n][-1]:.0f} ms" for n in samples)
            )

        profiles = {
            name: _import_profile(code, env, function_name)
            for name, (code, function_name) in subjects.items()
            if name != "bare"
        }

        # Variant: the layer's packages without bytecode, as a --no-compile layer on read-only /opt.
        uncompiled = Path(tmp) / "layer-uncompiled"
        shutil.copytree(pycache, uncompiled)
        _drop_bytecode(uncompiled, _layer_package_paths())
        env_uncompiled = _environment(uncompiled, write_bytecode=False)
        intake_code, intake_name = subjects["intake_app"]
        intake_runs: list[float] = []
        bare_runs: list[float] = []
        for _ in range(runs):
            intake_runs.append(_time_once(intake_code, env_uncompiled, intake_name))
            bare_runs.append(_time_once(subjects["bare"][0], env_uncompiled, None))
        progress(NAME, "layer-without-bytecode variant measured")

    bare = median(samples["bare"])
    boto3_ms = median(samples["boto3"]) - bare
    figures = [
        Figure(
            NAME,
            "python -c pass (interpreter start-up, subtracted)",
            bare,
            "ms",
            detail={"samples_ms": samples["bare"]},
        ),
        Figure(
            NAME,
            "import boto3 (baseline)",
            boto3_ms,
            "ms",
            detail={"samples_ms": samples["boto3"], "heaviest_packages": profiles["boto3"]},
        ),
    ]
    for _, module in FUNCTIONS.values():
        value = median(samples[module]) - bare
        figures.append(
            Figure(
                NAME,
                f"import {module}",
                value,
                "ms",
                target=TARGET_RATIO,
                target_applies_to="ratio",
                ratio=value / boto3_ms if boto3_ms > 0 else None,
                ratio_of="import boto3",
                note=f"heaviest (self time, -X importtime): {profiles[module]}",
                detail={"samples_ms": samples[module], "runs": runs, "heaviest_packages": profiles[module]},
            )
        )
    uncompiled_ms = median(intake_runs) - median(bare_runs)
    figures.append(
        Figure(
            NAME,
            "import intake_app, layer without bytecode (as deployed)",
            uncompiled_ms,
            "ms",
            ratio=uncompiled_ms / boto3_ms if boto3_ms > 0 else None,
            ratio_of="import boto3",
            note=(
                "the layer is bundled --no-compile and /opt is read-only, so Lambda compiles the layer "
                f"on every cold start: +{uncompiled_ms - (median(samples['intake_app']) - bare):.0f} ms here"
            ),
            detail={"samples_ms": intake_runs, "bare_ms": bare_runs},
        )
    )
    return figures
