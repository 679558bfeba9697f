"""The model card's data tables from a gather's sources.tsv: photos per source and licence, and
every file with its source and licence.

    python train/recipes/data_table.py [train/recipes/wide-data.tsv]
"""

from __future__ import annotations

import collections
import csv
import sys
from pathlib import Path


def group_of(file: str) -> str:
    """The source a file counts under: its package, or a gcompris activity."""
    parts = file.split("/")
    return "/".join(parts[:2]) if parts[0] == "gcompris-qt-data" else parts[0]


def main() -> None:
    tsv = Path(sys.argv[1] if len(sys.argv) > 1 else "train/recipes/wide-data.tsv")
    rows = list(csv.DictReader(tsv.open(), delimiter="\t"))
    count: collections.Counter = collections.Counter()
    licences: dict = collections.defaultdict(collections.Counter)
    for r in rows:
        key = (r["split"], group_of(r["file"]))
        count[key] += 1
        licences[key][r["licence"]] += 1
    print("| split | source | photos | licences (photos) |\n|---|---|---:|---|")
    for key in sorted(count):
        lic = ", ".join(f"{k} ({v})" for k, v in licences[key].most_common())
        print(f"| {key[0]} | {key[1]} | {count[key]} | {lic} |")
    print(f"\n{len(rows)} photos.\n\n| split | file | source | licence |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['split']} | `{r['file']}` | {r['source']} | {r['licence']} |")


if __name__ == "__main__":
    main()
