"""Cold import as deployed: the function asset on the layer, built the way the stack builds them.

``cold_import`` measures the entry modules from the source tree with a bytecode cache it may write.
A Lambda cold start has neither: /var/task and /opt are read-only, so only the bytecode shipped in
the layer is used. This benchmark builds the layer exactly as ``lapor_infra.bundling`` does (pip
wheels plus the ``lapor`` package, compiled ``unchecked-hash`` by the runtime's interpreter) but for
this machine's architecture, so it can run here; copies each function's asset as ``Code.from_asset``
does; makes both read-only; and imports each entry module with the runtime's interpreter in isolated
mode with bytecode writing off (``-I -B``), beside ``import boto3`` (boto3 as the runtime provides
it, compiled), with the layer's bytecode and without it.

Each time is the CPU time of the import statement itself, taken inside the fresh process (here it
equals the statement's wall time: an import never waits), so the interpreter's start-up is left
out. Each function is measured in pairs: ``import boto3`` in one fresh process, then the function's
import in the next, and the figure is the median of the pairs' ratios. On this shared machine the
same import took anywhere from 1x to 1.9x its least time from one process to the next; the least of
9 runs of each, taken apart, put the API function anywhere from 1.25x to 1.66x boto3 (5th to 95th
percentile of resampled runs), while the median of 20 paired ratios stayed within 1.41x to 1.49x
and agreed with the least of 30 runs (decision 32). Medians, least times and every pair are kept in
each figure's detail. The import without the layer's bytecode is shown beside it, the least of the
first rounds (it is an illustration, not a target).
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.environment import FUNCTIONS, LAMBDA_ENVIRONMENT, ROOT, progress
from bench.figures import Figure, median
from bench.options import Options

NAME = "deployed_import"
TARGET_RATIO = 1.5
UNCOMPILED_ROUNDS = 3  # rounds that also import without the layer's bytecode (an illustration)
ALL_FUNCTIONS = {**FUNCTIONS, "sms_status": ("functions/sms_status", "sms_status_app")}


def _infra() -> tuple[object, object]:
    if str(ROOT / "infra") not in sys.path:
        sys.path.insert(0, str(ROOT / "infra"))
    from lapor_infra import bundling
    from lapor_infra import constants as c

    return bundling, c


def _this_machines_platform(constants: object) -> str:
    machine = platform.machine().lower()
    architecture = "arm64" if machine in {"aarch64", "arm64"} else "x86_64"
    return constants.PIP_PLATFORMS[architecture]  # type: ignore[attr-defined]


def _read_only(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        mode = item.stat().st_mode
        item.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        item.chmod(item.stat().st_mode | stat.S_IWUSR)


def _time_once(interpreter: str, paths: list[Path], statement: str) -> tuple[float, float]:
    """CPU and wall milliseconds of ``statement`` in a fresh interpreter (start-up not included)."""
    code = (
        f"import sys, time; sys.path[:0] = {[str(p) for p in paths]!r}; "
        f"cpu, wall = time.process_time(), time.perf_counter(); {statement}; "
        "print((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000)"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **LAMBDA_ENVIRONMENT}
    result = subprocess.run(
        [interpreter, "-I", "-B", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{statement!r} failed:\n{result.stderr[-2000:]}")
    cpu_ms, wall_ms = result.stdout.strip().splitlines()[-1].split()
    return float(cpu_ms), float(wall_ms)


def run(options: Options) -> list[Figure]:
    """Cold import of every entry module as deployed, with and without the layer's bytecode."""
    bundling, c = _infra()
    build = c.PYTHON_BUILD  # type: ignore[attr-defined]
    if not build.compiles:
        return [
            Figure(NAME, "cold import as deployed", None, "ms", skipped=True, note="no runtime interpreter")
        ]
    interpreter = build.interpreter
    pip_platform = _this_machines_platform(c)
    with tempfile.TemporaryDirectory(prefix="lapor-bench-deployed-") as tmp:
        root = Path(tmp)
        progress(NAME, f"building the layer for {pip_platform}, python{build.version}, as the stack does")
        compiled = root / "layer-compiled"
        bundling.build_layer(compiled, platform=pip_platform, interpreter=interpreter)  # type: ignore[attr-defined]
        uncompiled = root / "layer-uncompiled"
        shutil.copytree(compiled, uncompiled, ignore=shutil.ignore_patterns("__pycache__"))
        progress(NAME, "boto3 as the runtime provides it (compiled)")
        runtime = root / "runtime"
        pip = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
            "--platform", pip_platform, "--implementation", "cp", "--python-version", build.version,
            "--only-binary=:all:", "--no-compile", "--target", str(runtime), "boto3",
        ]  # fmt: skip
        if c.CONSTRAINTS.is_file():  # type: ignore[attr-defined]
            pip += ["-c", str(c.CONSTRAINTS)]  # type: ignore[attr-defined]
        subprocess.run(pip, check=True, capture_output=True)
        subprocess.run(bundling.compile_command(runtime, interpreter, mount="/var/runtime"), check=True)  # type: ignore[attr-defined]
        tasks = root / "task"
        for name, (directory, _) in ALL_FUNCTIONS.items():
            shutil.copytree(
                ROOT / directory, tasks / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        for tree in (compiled, uncompiled, runtime, tasks):
            _read_only(tree)
        try:
            boto3 = ([runtime], "import boto3")
            pairs: dict[str, list[tuple[float, float]]] = {m: [] for _, m in ALL_FUNCTIONS.values()}
            wall: dict[str, list[float]] = {m: [] for _, m in ALL_FUNCTIONS.values()}
            without: dict[str, list[float]] = {m: [] for _, m in ALL_FUNCTIONS.values()}
            for round_ in range(options.deployed_pairs + 1):  # round 0 warms the file system cache only
                for name, (_, module) in ALL_FUNCTIONS.items():
                    paths = [tasks / name, compiled / "python", runtime]
                    boto3_ms, _ = _time_once(interpreter, *boto3)
                    module_ms, module_wall = _time_once(interpreter, paths, f"import {module}")
                    if round_:
                        pairs[module].append((boto3_ms, module_ms))
                        wall[module].append(module_wall)
                    if round_ <= UNCOMPILED_ROUNDS:
                        no_bytecode = [tasks / name, uncompiled / "python", runtime]
                        without[module].append(_time_once(interpreter, no_bytecode, f"import {module}")[0])
                progress(NAME, f"round {round_}/{options.deployed_pairs}")
            leftovers = [
                p for p in (compiled / "python" / "lapor").rglob("*.pyc") if p.stat().st_mtime > time.time()
            ]
            assert not leftovers
        finally:
            for tree in (compiled, uncompiled, runtime, tasks):
                _writable(tree)
        written = [p for p in (uncompiled / "python").rglob("__pycache__")]
    boto3_samples = [b for module_pairs in pairs.values() for b, _ in module_pairs]
    boto3_ms = median(boto3_samples)
    figures = [
        Figure(
            NAME,
            f"import boto3 (python{build.version}, compiled, as the runtime has it)",
            boto3_ms,
            "ms",
            note=f"median CPU time of {len(boto3_samples)} runs, one before each function's; least {min(boto3_samples):.0f} ms",
            detail={"least_ms": round(min(boto3_samples), 1), "runs": len(boto3_samples)},
        ),
    ]
    for _, module in ALL_FUNCTIONS.values():
        module_pairs = pairs[module]
        ratio = median([m / b for b, m in module_pairs])
        times = [m for _, m in module_pairs]
        bare = min(without[module])
        figures.append(
            Figure(
                NAME,
                f"import {module} as deployed",
                median(times),
                "ms",
                target=TARGET_RATIO,
                target_applies_to="ratio",
                ratio=ratio,
                ratio_of="import boto3",
                note=(
                    f"median of {len(module_pairs)} paired ratios; "
                    f"without the layer's bytecode: {bare:.0f} ms ({bare / boto3_ms:.2f}x)"
                ),
                detail={
                    "without_bytecode_ms": round(bare, 1),
                    "least_ms": round(min(times), 1),
                    "pairs_ms": [[round(b, 1), round(m, 1)] for b, m in module_pairs],
                    "wall_ms": round(median(wall[module]), 1),
                },
            )
        )
    figures.append(
        Figure(
            NAME,
            "bytecode written during the runs (read-only copies)",
            float(len(written)),
            "folders",
            note=f"python{build.version} at {interpreter}; layer for {pip_platform}; -I -B, read-only files",
        )
    )
    return figures
