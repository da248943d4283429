"""The course map: lectures, their library modules and assignments, and which exist yet.

The README's syllabus table and the one 00_welcome shows are both rendered from here
(tests/test_syllabus.py keeps the README's copy in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Lecture", "LECTURES", "ASSIGNMENTS", "markdown_table"]


@dataclass(frozen=True)
class Lecture:
    number: int
    name: str
    topic: str
    module: str
    assignment: str | None = None  # e.g. "a1_basics" (part noted in `part`)
    part: str | None = None
    suffix: str = ""  # a lecture's second notebook: "b" makes 02b

    @property
    def label(self) -> str:
        return f"{self.number:02d}{self.suffix}"

    @property
    def notebook(self) -> str:
        return f"notebooks/{self.label}_{self.name}.ipynb"


ASSIGNMENTS = {
    "a0_warmup": "a0 warm-up",
    "a1_basics": "a1 basics",
    "a2_systems": "a2 systems",
    "a3_scaling": "a3 scaling",
    "a4_data": "a4 data",
    "a5_alignment": "a5 alignment",
}

LECTURES: tuple[Lecture, ...] = (
    Lecture(0, "welcome", "course map, environment check, a one-minute end-to-end demo", "env", "a0_warmup"),
    Lecture(
        1,
        "tokenization",
        "Unicode, bytes, BPE training and encoding, compression",
        "tokenization",
        "a1_basics",
        "part 1",
    ),
    Lecture(
        2,
        "resource_accounting",
        "tensors, dtypes, FLOPs, memory, MFU, napkin math",
        "accounting",
        "a1_basics",
        "part 2",
    ),
    Lecture(
        2,
        "training",
        "cross-entropy, initialisation, SGD to AdamW, schedules, clipping, checkpoints, mixed precision",
        "training",
        "a1_basics",
        "part 2",
        suffix="b",
    ),
    Lecture(3, "architecture", "Transformer LM, MHA/MQA/GQA/MLA, mixture of experts", "model", "a1_basics", "part 2"),
    Lecture(
        4,
        "gpus_and_kernels",
        "GPU model, roofline, profiling, Triton, FlashAttention-2",
        "kernels",
        "a2_systems",
        "part 1",
    ),
    Lecture(
        5,
        "parallelism",
        "collectives, DDP, ZeRO/FSDP, tensor/pipeline/expert parallelism",
        "parallel",
        "a2_systems",
        "part 2",
    ),
    Lecture(
        6, "scaling_laws", "power laws, IsoFLOP, parametric fits, compute-optimal allocation", "scaling", "a3_scaling"
    ),
    Lecture(7, "data", "extraction, filtering, PII, exact and MinHash dedup", "data", "a4_data"),
    Lecture(8, "inference", "KV cache, sampling, batching, speculative decoding, quantization", "inference"),
    Lecture(
        9, "evaluation", "perplexity, benchmark scoring, statistics, contamination, lm-evaluation-harness", "evaluation"
    ),
    Lecture(10, "alignment", "SFT, reward models, DPO, PPO/GRPO, LoRA", "alignment", "a5_alignment"),
)


def markdown_table(repo: Path, *, link_prefix: str = "") -> str:
    """The syllabus as a Markdown table; what is not in ``repo`` yet is marked *(coming)*.

    ``link_prefix`` is prepended to links (``"../"`` from inside ``notebooks/``).
    """
    rows = ["| # | notebook | topic | library | assignment |", "|---|---|---|---|---|"]
    for lecture in LECTURES:
        stem = Path(lecture.notebook).stem
        if (repo / lecture.notebook).exists():
            notebook = f"[{stem}]({link_prefix}{lecture.notebook})"
        else:
            notebook = f"{stem} *(coming)*"
        assignment = ""
        if lecture.assignment:
            label = ASSIGNMENTS[lecture.assignment] + (f" {lecture.part}" if lecture.part else "")
            handout = f"assignments/{lecture.assignment}/README.md"
            assignment = f"[{label}]({link_prefix}{handout})" if (repo / handout).exists() else f"{label} *(coming)*"
        rows.append(
            f"| {lecture.label} | {notebook} | {lecture.topic} | `course_lib.{lecture.module}` | {assignment} |"
        )
    return "\n".join(rows)
