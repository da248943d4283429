"""The course's models inside EleutherAI's lm-evaluation-harness (``lm_eval``), offline.

lm-evaluation-harness is the tool papers and leaderboards use. It asks a model three things
(``loglikelihood``, ``loglikelihood_rolling``, ``generate_until``); :class:`HarnessLM` answers them
with this package's scorers, so any :class:`~course_lib.evaluation.lm.ScoringLM` (the course model
or an HF causal LM) can run any harness task. :func:`write_local_task` writes a task folder (YAML +
JSONL) that the harness reads without a network::

    task_dir = write_local_task(tmp, "stories_names", items)
    results = evaluate_local(HarnessLM(lm), task_dir, ["stories_names"])
    results["stories_names"]["acc,none"]

Importing this module imports ``lm_eval`` (a few seconds), so ``course_lib.evaluation`` does not.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from course_lib.evaluation.lm import ScoringLM
from course_lib.evaluation.loglikelihood import loglikelihood, rolling_loglikelihood
from course_lib.evaluation.multiple_choice import MultipleChoiceItem

__all__ = ["HarnessLM", "write_local_task", "write_perplexity_task", "evaluate_local", "greedy_until"]


def greedy_until(lm: ScoringLM, context: str, until: Sequence[str], max_new_tokens: int) -> str:
    """Greedy continuation of ``context``, cut before the first of the ``until`` strings."""
    ids = lm.encode(context) or [lm.eot_id]
    new: list[int] = []
    for _ in range(max_new_tokens):
        window = (ids + new)[-lm.max_length :]
        nxt = int(lm.log_probs(torch.tensor([window]))[0, -1].argmax())
        if nxt == lm.eot_id:
            break
        new.append(nxt)
        text = lm.decode(new)
        if any(stop in text for stop in until):
            break
    text = lm.decode(new)
    cut = min((text.index(s) for s in until if s in text), default=len(text))
    return text[:cut]


@register_model("course")
class HarnessLM(LM):
    """An lm-evaluation-harness model backed by a :class:`ScoringLM`.

    Importing this module registers it as ``"course"``, so ``simple_evaluate(model="course",
    model_args=...)`` builds it by name: ``model_args="ladder=d64-s400"`` loads a committed comparison
    checkpoint and ``model_args="pretrained=base"`` the course base model.
    """

    def __init__(
        self,
        lm: ScoringLM | None = None,
        *,
        batch_size: int = 16,
        ladder: str | None = None,
        pretrained: str | None = None,
        **_: Any,
    ) -> None:
        super().__init__()
        if sum(x is not None for x in (lm, ladder, pretrained)) != 1:
            raise ValueError("give exactly one of lm, ladder=NAME or pretrained=NAME")
        if ladder is not None:
            from course_lib.evaluation.ladder import load_ladder_model

            lm = load_ladder_model(ladder)
        elif pretrained is not None:
            from course_lib.evaluation.lm import CourseLM
            from course_lib.pretrained import load_pretrained

            pm = load_pretrained(pretrained)
            lm = CourseLM(pm.model, pm.tokenizer, name=pretrained)
        self.lm: ScoringLM = lm  # type: ignore[assignment]
        self.batch_size = int(batch_size)

    @classmethod
    def create_from_arg_string(cls, arg_string: str, additional_config: dict | None = None) -> HarnessLM:
        args = dict(kv.split("=", 1) for kv in arg_string.split(",") if kv)
        extra = {k: v for k, v in (additional_config or {}).items() if k == "batch_size" and v is not None}
        return cls(**args, **extra)

    def loglikelihood(self, requests: list, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        results = loglikelihood(self.lm, [req.args for req in requests], self.batch_size)
        return [(r.logprob, r.is_greedy) for r in results]

    def loglikelihood_rolling(self, requests: list, disable_tqdm: bool = False) -> list[float]:
        return [rolling_loglikelihood(self.lm, req.args[0]).logprob for req in requests]

    def generate_until(self, requests: list, disable_tqdm: bool = False) -> list[str]:
        out = []
        for req in requests:
            context, kwargs = req.args
            until = kwargs.get("until", [])
            until = [until] if isinstance(until, str) else list(until)
            out.append(greedy_until(self.lm, context, until, int(kwargs.get("max_gen_toks", 32))))
        return out


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def write_local_task(directory: str | os.PathLike[str], name: str, items: Sequence[MultipleChoiceItem]) -> Path:
    """Write a multiple-choice harness task ``name`` (``name.yaml`` + ``name.jsonl``) into ``directory``.

    Choices keep their leading space and the target delimiter is empty, so the harness scores
    exactly the continuations :func:`~course_lib.evaluation.score_multiple_choice` scores, and its
    ``acc_norm`` divides by the same character counts.
    """
    if not items:
        raise ValueError("a task needs at least one item")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"{name}.jsonl"
    _write_jsonl(data, [{"context": it.context, "choices": list(it.choices), "gold": it.gold} for it in items])
    (folder / f"{name}.yaml").write_text(
        f"task: {name}\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {json.dumps(str(data.resolve()))}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        "doc_to_text: context\n"
        "doc_to_choice: choices\n"
        "doc_to_target: gold\n"
        'target_delimiter: ""\n'
        "metric_list:\n"
        + "".join(
            f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: true\n"
            for m in ("acc", "acc_norm", "acc_bytes")
        )
        + "metadata:\n  version: 1.0\n",
        encoding="utf-8",
    )
    return folder


def write_perplexity_task(directory: str | os.PathLike[str], name: str, texts: Sequence[str]) -> Path:
    """Write a rolling-perplexity harness task ``name`` over ``texts`` (word and byte perplexity,
    bits per byte), as the harness's WikiText task is."""
    if not texts:
        raise ValueError("a task needs at least one text")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"{name}.jsonl"
    _write_jsonl(data, [{"text": t} for t in texts])
    (folder / f"{name}.yaml").write_text(
        f"task: {name}\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {json.dumps(str(data.resolve()))}\n"
        "test_split: test\n"
        "output_type: loglikelihood_rolling\n"
        'doc_to_text: ""\n'
        "doc_to_target: text\n"
        "metric_list:\n  - metric: word_perplexity\n  - metric: byte_perplexity\n  - metric: bits_per_byte\n"
        "metadata:\n  version: 1.0\n",
        encoding="utf-8",
    )
    return folder


def evaluate_local(
    model: LM, task_dir: str | os.PathLike[str], tasks: Sequence[str], *, bootstrap_iters: int = 100
) -> dict[str, dict[str, Any]]:
    """Run the harness's ``simple_evaluate`` on local tasks with no network; returns its
    ``results`` dict (``results[task]["acc,none"]``, ``["acc_stderr,none"]``...)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    with _offline():
        manager = TaskManager(include_path=str(Path(task_dir).resolve()), include_defaults=False)
        out = simple_evaluate(
            model=model,
            tasks=list(tasks),
            task_manager=manager,
            bootstrap_iters=bootstrap_iters,
            log_samples=False,
            verbosity="ERROR",
        )
    return out["results"]


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Tell Hugging Face datasets and hub to use no network, restoring the environment afterwards."""
    saved = {k: os.environ.get(k) for k in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE")}
    os.environ.update(dict.fromkeys(saved, "1"))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
