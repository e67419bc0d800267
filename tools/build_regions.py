"""Build ``lapor/adapters/data/regions.tsv.gz`` from Kemendagri's area codes in the npm package ``idn-area-data``.

``make regions`` installs the package pinned in ``tools/regions/package-lock.json`` and runs
``python -m tools.build_regions``. The output holds provinces, regencies/cities and districts (the
levels a reporter picks), one ``code<TAB>name`` line each, sorted by code, after a header naming the
source and its licence; gzip without a timestamp, so the same package always gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tools" / "regions" / "node_modules" / "idn-area-data"
OUTPUT = ROOT / "layers" / "common" / "python" / "lapor" / "adapters" / "data" / "regions.tsv.gz"
LEVEL_FILES = ("provinces.csv", "regencies.csv", "districts.csv")


def read_rows(package: Path) -> list[tuple[str, str]]:
    """``(code, name)`` of every province, regency/city and district in the package, sorted by code."""
    rows: dict[str, str] = {}
    for name in LEVEL_FILES:
        with (package / "data" / name).open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                code, text = record["code"].strip(), " ".join(record["name"].split())
                if not code or not text or "\t" in text:
                    raise ValueError(f"{name}: unusable row {record!r}")
                if code in rows:
                    raise ValueError(f"{name}: code {code} listed twice")
                rows[code] = text
    return sorted(rows.items(), key=lambda row: [int(part) for part in row[0].split(".")])


def render(rows: list[tuple[str, str]], version: str) -> bytes:
    """The compact file's bytes: a header, then one line per region; deterministic gzip."""
    lines = [
        f"# Kemendagri area codes from idn-area-data {version} (data: Open Database License 1.0)",
        *(f"{code}\t{name}" for code, name in rows),
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def build(package: Path = PACKAGE, output: Path = OUTPUT) -> int:
    """Write the compact file; the number of regions written."""
    if not (package / "package.json").is_file():
        raise FileNotFoundError(f"{package} is missing: run `make regions` (npm ci in tools/regions)")
    version = json.loads((package / "package.json").read_text())["version"]
    rows = read_rows(package)
    data = render(rows, version)
    output.parent.mkdir(parents=True, exist_ok=True)
    if not output.is_file() or output.read_bytes() != data:
        output.write_bytes(data)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m tools.build_regions [--package DIR] [--output FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=PACKAGE, help="the installed idn-area-data")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        count = build(args.package, args.output)
    except (OSError, ValueError) as error:
        print(f"build_regions: {error}", file=sys.stderr)
        return 1
    print(f"build_regions: {count} regions written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
