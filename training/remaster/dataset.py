"""The dataset contract on the Python side: the one reader of a dataset folder.

A dataset folder (written by `npm run dataset`, or by `remaster.import_pairs` from paired frames
made elsewhere) holds:
    dataset.json      identity: format version, scene, size, ... (what makes its pixels)
    manifest.jsonl    one row per pair: id, split, files {variant: relative PNG path}, layout, ...
    low/<id>.png, high/<id>.png [, <baseline variant>/<id>.png]
Frames: 8-bit sRGB RGB PNG, width and height multiples of 8; `high` is the same size as `low` or
an integer multiple of it. Splits never share a camera path (or a whole layout/scene).

Older formats load through the aliases in dataset_contract.json (format 1 called the demo's
layout `variant`). The same JSON is what the TypeScript renderer writes against.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def contract() -> dict[str, Any]:
    return json.loads((Path(__file__).with_name("dataset_contract.json")).read_text())


def splits() -> tuple[str, ...]:
    return tuple(contract()["splits"])


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    for old, new in contract()["legacyRowKeys"].items():
        if old in row and new not in row:
            row[new] = row.pop(old)
    return row


def read_identity(root: Path) -> dict[str, Any]:
    path = Path(root) / "dataset.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: is {root} a dataset written by `npm run dataset` or `remaster.import_pairs`?"
        )
    ident = json.loads(path.read_text())
    for old, new in contract()["legacyIdentityKeys"].items():
        if old in ident and new not in ident:
            ident[new] = ident.pop(old)
    return ident


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Every finished pair of the dataset, sorted by id, with format-1 keys renamed."""
    path = Path(root) / "manifest.jsonl"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: is {root} a dataset written by `npm run dataset` or `remaster.import_pairs`?"
        )
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{n} is not valid JSON ({e})") from None
        missing = [k for k in ("id", "split", "files") if k not in row]
        if missing:
            raise ValueError(f"{path}:{n} lacks {', '.join(missing)}")
        rows.append(_normalise(row))
    return sorted(rows, key=lambda r: r["id"])


def split_rows(root: str | Path, split: str, need: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The rows of one split; `need`: render variants every row must have a file for."""
    if split not in splits():
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(splits())}")
    rows = [r for r in read_manifest(root) if r["split"] == split]
    if not rows:
        raise ValueError(f"{Path(root) / 'manifest.jsonl'}: no rows in the {split} split")
    for r in rows:
        lacking = [v for v in need if v not in r["files"]]
        if lacking:
            raise KeyError(f"pair {r['id']} has no {', '.join(lacking)} file (has {', '.join(sorted(r['files']))})")
    return rows


def baseline_variants(row: dict[str, Any]) -> list[str]:
    """The render variants of a pair other than the source and target (e.g. low_fxaa_sharpen)."""
    pair = contract()["pairVariants"]
    return [v for v in row["files"] if v not in (pair["source"], pair["target"])]


def path_of(row: dict[str, Any]) -> tuple[str, Any]:
    """A pair's camera path: (layout, path); an imported pair without one is its own path."""
    return (str(row.get("layout", "")), row["path"] if "path" in row else row["id"])


def resplit_by_path(
    root: str | Path, fraction: float, seed: int, need: tuple[str, ...] = ()
) -> dict[str, list[dict[str, Any]]]:
    """The dataset's train and val rows pooled and split again by camera path: a seeded
    `fraction` of the paths (at least one) is val, the rest train; test rows stay out of it.
    For adapting on a game's own pairs (remaster.adapt: 80:20)."""
    import random

    rows = [r for s in ("train", "val") for r in split_rows(root, s, need)] if fraction > 0 else []
    paths = sorted({path_of(r) for r in rows}, key=str)
    if len(paths) < 2:
        raise ValueError(
            f"{root}: {len(paths)} camera path(s) outside the test split; a split by path needs at least 2"
        )
    random.Random(seed).shuffle(paths)
    val = set(paths[: max(1, round(len(paths) * fraction))])
    return {
        "train": [r for r in rows if path_of(r) not in val],
        "val": [r for r in rows if path_of(r) in val],
    }


def take_evenly(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The first `n` rows taken round-robin over camera paths (every path represented), in id order."""
    if n <= 0 or n >= len(rows):
        return rows
    by_path = sorted(rows, key=lambda r: str(path_of(r)))  # stable: each path keeps its order
    return sorted(round_robin(by_path, path_of)[:n], key=lambda r: r["id"])


def round_robin(items: list, key) -> list:
    """`items` reordered round-robin over their groups (by `key`, groups in order of first
    appearance, each keeping its order): the first k items span every group."""
    groups: dict[Any, list] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    lists = list(groups.values())
    out: list = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out
