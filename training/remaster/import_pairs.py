"""Import paired frames made elsewhere (e.g. captured from your own game at low and high settings)
into a dataset folder the trainer and the evaluator read: the renderer is not the only way in.

    python -m remaster.import_pairs --from FOLDER --out data/mygame [--scene mygame] [--copy]
    npm run import-pairs -- --from FOLDER --out data/mygame

Input: img2img-turbo's paired folders, `<prefix>_A` (the low frame) and `<prefix>_B` (the high
frame) with the same file names, for the prefixes train, test and (our exporter's) heldout.
img2img-turbo validates on test_*, so the split map is dataset_contract.json's turboFolders read
backwards: train_* -> train, test_* -> val, heldout_* -> test. PNG, JPEG or WebP in; 8-bit sRGB
RGB PNG out (PNG inputs already RGB are hard-linked or copied as they are).

Checks, each an error naming the file: every A has its B and back, sizes are multiples of 8, B is
A's size or an integer multiple of it, frames of one side all share one size. The dataset is
built in a temporary folder and renamed into place: an interrupted import leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from PIL import Image

from .dataset import contract

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


class ImportPairsError(ValueError):
    pass


def split_folders(src: Path) -> dict[str, tuple[Path, Path]]:
    """split -> (A folder, B folder) for the prefixes present in `src`."""
    out = {}
    for split, prefix in contract()["turboFolders"].items():
        a, b = src / f"{prefix}_A", src / f"{prefix}_B"
        if a.is_dir() != b.is_dir():
            raise ImportPairsError(f"{a if a.is_dir() else b} exists but {b if a.is_dir() else a} does not")
        if a.is_dir():
            out[split] = (a, b)
    if "train" not in out:
        raise ImportPairsError(f"{src} has no train_A/train_B folders (img2img-turbo's paired layout)")
    return out


def _frames(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def _check_pair(a: Path, b: Path) -> dict[str, dict[str, int]]:
    (aw, ah), (bw, bh) = _size(a), _size(b)
    for p, w, h in ((a, aw, ah), (b, bw, bh)):
        if w % 8 or h % 8:
            raise ImportPairsError(
                f"{p}: {w}x{h} is not a multiple of 8 (the network downsamples by 8); crop or resize it"
            )
    if bw % aw or bh % ah or bw // aw != bh // ah:
        raise ImportPairsError(f"{b}: {bw}x{bh} is not {a.name}'s {aw}x{ah} or an integer multiple of it")
    return {"size": {"width": bw, "height": bh}, "lowSize": {"width": aw, "height": ah}}


def _write_frame(src: Path, dst: Path, copy: bool) -> None:
    with Image.open(src) as im:
        as_is = src.suffix.lower() == ".png" and im.mode == "RGB"
        if not as_is:
            im.convert("RGB").save(dst)
            return
    if copy:
        shutil.copyfile(src, dst)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def import_pairs(src: Path, out: Path, scene: str | None = None, copy: bool = False) -> dict:
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise ImportPairsError(f"--from {src}: not a folder")
    if out.exists() and any(out.iterdir()):
        raise ImportPairsError(f"--out {out} exists and is not empty; choose another folder")
    folders = split_folders(src)
    scene = scene or src.resolve().name
    pair = contract()["pairVariants"]
    rows, sizes = [], set()
    tmp = out.with_name(f".{out.name}.import-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for v in (pair["source"], pair["target"]):
            (tmp / v).mkdir(parents=True)
        for split, (fa, fb) in folders.items():
            a, b = _frames(fa), _frames(fb)
            if a.keys() != b.keys():
                only_a, only_b = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
                raise ImportPairsError(
                    f"{fa.name} and {fb.name} differ: only in A: {only_a[:5]}, only in B: {only_b[:5]}"
                )
            if not a:
                raise ImportPairsError(f"{fa} has no frames ({', '.join(sorted(IMAGE_SUFFIXES))})")
            for stem in sorted(a):
                sz = _check_pair(a[stem], b[stem])
                sizes.add((sz["size"]["width"], sz["size"]["height"], sz["lowSize"]["width"], sz["lowSize"]["height"]))
                pid = f"{split}-{stem}"
                files = {pair["source"]: f"{pair['source']}/{pid}.png", pair["target"]: f"{pair['target']}/{pid}.png"}
                _write_frame(a[stem], tmp / files[pair["source"]], copy)
                _write_frame(b[stem], tmp / files[pair["target"]], copy)
                rows.append(
                    {
                        "id": pid,
                        "scene": scene,
                        "layout": scene,
                        "split": split,
                        "files": files,
                        "source": str(a[stem].relative_to(src)),
                        **sz,
                    }
                )
        if len(sizes) > 1:
            raise ImportPairsError(
                f"frames of several sizes ({sorted(sizes)[:3]}...): a dataset has one size; resize them first"
            )
        identity = {
            "format": contract()["manifestFormat"],
            "scene": scene,
            "importedFrom": src.resolve().name,
            "width": rows[0]["size"]["width"],
            "height": rows[0]["size"]["height"],
        }
        (tmp / "dataset.json").write_text(json.dumps(identity, indent=2) + "\n")
        (tmp / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        if out.exists():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = {s: sum(r["split"] == s for r in rows) for s in contract()["splits"]}
    return {"out": str(out), "pairs": len(rows), "splits": counts}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--from", dest="src", required=True, help="folder with train_A/train_B [test_A/test_B heldout_A/heldout_B]"
    )
    ap.add_argument("--out", required=True, help="new dataset folder")
    ap.add_argument("--scene", help="scene name recorded in the manifest (default: the --from folder's name)")
    ap.add_argument("--copy", action="store_true", help="copy PNGs instead of hard-linking them")
    args = ap.parse_args(argv)
    try:
        res = import_pairs(Path(args.src), Path(args.out), args.scene, args.copy)
    except ImportPairsError as e:
        print(f"import_pairs: {e}", file=sys.stderr)
        return 2
    print(json.dumps(res, indent=1))
    if not res["splits"]["test"]:
        print(
            "import_pairs: no heldout_A/heldout_B folders, so the test split is empty; evaluate with --split val",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
