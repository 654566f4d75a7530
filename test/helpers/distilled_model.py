"""A tiny consistency-distilled student, exported by the CLI (tests only: a few steps on 32x32
frames; checks the plumbing, not the quality).

    python test/helpers/distilled_model.py OUT_DIR [STEPS ...]   -> OUT_DIR/student-N.onnx per N
"""

import sys
from pathlib import Path

training = Path(__file__).resolve().parents[2] / "training"
sys.path[:0] = [str(training), str(training / "tests")]

from conftest import make_dataset
from remaster.distill import main as distill
from remaster.export import main as export
from remaster.teacher import main as teacher

out = Path(sys.argv[1])
steps = [int(s) for s in sys.argv[2:]] or [1]
ds = make_dataset(out / "ds")
common = [
    f"dataset_dir={ds}",
    "resolution=64",
    "batch_size=2",
    "codec_batch_size=2",
    "codec_lpips_factor=0",
    "num_eval_images=1",
    "teacher_eval_steps=1",
    "teacher_unet=tiny",
    "save_steps=100",
]
assert (
    teacher([*common, f"output_dir={out / 't'}", "codec_steps=2", "teacher_steps=2"])
    == 0
)
student = [
    f"output_dir={out / 's'}",
    f"teacher={out / 't/checkpoints/step_4.pt'}",
    "distill_steps=2",
]
assert distill([*common, *student, "student_init_steps=1"]) == 0
for n in steps:
    ckpt = str(out / "s/checkpoints/step_2.pt")
    assert (
        export(
            [
                "--distilled",
                ckpt,
                "--steps",
                str(n),
                "--out",
                str(out / f"student-{n}.onnx"),
                "--no-fp16",
            ]
        )
        == 0
    )
