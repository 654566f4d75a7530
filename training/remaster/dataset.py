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

import numpy as np


class DatasetError(ValueError):
    """A dataset folder, file or row that cannot be used; the message names the file (and line)."""


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


def _require(root: str | Path, name: str) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist (render one with `npm run dataset -- --out {root}`)")
    path = root / name
    if not path.is_file():
        raise DatasetError(
            f"{path} not found: is {root} a dataset written by `npm run dataset` or `remaster.import_pairs`?"
        )
    return path


def read_identity(root: Path) -> dict[str, Any]:
    path = _require(root, "dataset.json")
    try:
        ident = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path} is not valid JSON ({e})") from None
    for old, new in contract()["legacyIdentityKeys"].items():
        if old in ident and new not in ident:
            ident[new] = ident.pop(old)
    return ident


def read_manifest(root: str | Path) -> list[dict[str, Any]]:
    """Every finished pair of the dataset, sorted by id, with format-1 keys renamed."""
    path = _require(root, "manifest.jsonl")
    text = path.read_text()
    lines = text.splitlines()
    rows, seen = [], {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            if n == len(lines) and not text.endswith("\n"):
                raise DatasetError(
                    f"{path}:{n}: the last row is torn (the renderer was stopped while writing it); run the same "
                    "`npm run dataset` command again to resume: it cuts the torn row and renders that pair again"
                ) from None
            raise DatasetError(f"{path}:{n} is not valid JSON ({e})") from None
        _check_row(row, f"{path}:{n}")
        if row["id"] in seen:
            raise DatasetError(f"{path}:{n}: pair id {row['id']!r} already on line {seen[row['id']]}")
        seen[row["id"]] = n
        rows.append(_normalise(row))
    return sorted(rows, key=lambda r: r["id"])


def read_timings(root: str | Path) -> dict[str, dict[str, float]]:
    """Render times per pair id and variant in ms, from timings.jsonl ({} without one)."""
    path = Path(root) / contract()["timingsFile"]
    out: dict[str, dict[str, float]] = {}
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:  # a line torn by a kill is skipped: timings are measurements, not data
            t = json.loads(line)
            out[t["id"]] = t["renderMs"]
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return out


def render_ms(timings: dict[str, dict[str, float]], row: dict[str, Any]) -> dict[str, float]:
    """A pair's render time per variant in ms: from `timings` (read_timings), or, in datasets made
    before timings.jsonl, the row itself; {} where none was recorded (a kill between row and timing)."""
    return timings.get(row["id"], row.get("renderMs", {}))


def _check_row(row: Any, where: str) -> None:
    """A row's shape: what a hand-edited or foreign manifest gets wrong, named with its line."""
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: a row must be a JSON object, got {type(row).__name__}")
    missing = [k for k in ("id", "split", "files") if k not in row]
    if missing:
        raise DatasetError(f"{where} lacks {', '.join(missing)}")
    if not isinstance(row["id"], str) or not row["id"]:
        raise DatasetError(f"{where}: id must be a non-empty string, got {row['id']!r}")
    if row["split"] not in splits():
        raise DatasetError(f"{where}: split {row['split']!r} is not one of {', '.join(splits())}")
    files = row["files"]
    if not isinstance(files, dict) or not all(isinstance(v, str) and v for v in files.values()):
        raise DatasetError(f"{where}: files must map render variants to relative PNG paths, got {files!r}")
    for key in ("size", "lowSize"):
        sz = row.get(key)
        if sz is not None and not (
            isinstance(sz, dict) and all(isinstance(sz.get(d), int) and sz[d] > 0 for d in ("width", "height"))
        ):
            raise DatasetError(f"{where}: {key} must be {{width, height}} in pixels, got {sz!r}")


def load_png(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; an unreadable, truncated or missing file is a DatasetError naming it."""
    from PIL import Image

    if not Path(path).is_file():
        raise DatasetError(f"{path} is missing (the manifest refers to it)")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as e:  # PIL: truncated, corrupt, not an image
        raise DatasetError(f"{path} cannot be decoded ({e}); render that pair again or remove its row") from None


def read_frame(root: str | Path, row: dict[str, Any], variant: str) -> np.ndarray:
    """One render variant of a pair, (H, W, 3) uint8, checked against the size its row records
    (`size`: the target frame's; `lowSize`: the source's and the baselines')."""
    target = contract()["pairVariants"]["target"]
    path = Path(root) / row["files"][variant]
    img = load_png(path)
    want = row.get("size") if variant == target else row.get("lowSize")
    if want is not None and (img.shape[1], img.shape[0]) != (want["width"], want["height"]):
        raise DatasetError(
            f"{path} is {img.shape[1]}x{img.shape[0]} but its manifest row {row['id']!r} says "
            f"{want['width']}x{want['height']}; the file was replaced or the row edited"
        )
    return img


def split_rows(root: str | Path, split: str, need: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The rows of one split; `need`: render variants every row must have a file for."""
    if split not in splits():
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(splits())}")
    rows = [r for r in read_manifest(root) if r["split"] == split]
    if not rows:
        raise DatasetError(f"{Path(root) / 'manifest.jsonl'}: no rows in the {split} split")
    for r in rows:
        lacking = [v for v in need if v not in r["files"]]
        if lacking:
            raise DatasetError(
                f"{Path(root) / 'manifest.jsonl'}: pair {r['id']} has no {', '.join(lacking)} file"
                f" (has {', '.join(sorted(r['files']))})"
            )
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
        raise DatasetError(
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
