"""The course model run through EleutherAI's lm-evaluation-harness, offline, on local tasks: the
harness's scores equal course_lib.evaluation's on the same items."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

pytest.importorskip("lm_eval")

from course_lib.evaluation import mean_with_se, rolling_loglikelihood, score_multiple_choice, story_benchmark  # noqa: E402
from course_lib.evaluation.harness import (  # noqa: E402
    HarnessLM,
    evaluate_local,
    greedy_until,
    write_local_task,
    write_perplexity_task,
)
from course_lib.evaluation.ladder import load_ladder_model  # noqa: E402


@pytest.mark.slow
def test_lm_eval_scores_equal_course_lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    torch.set_num_threads(1)
    lm = load_ladder_model("d64-s400")
    names = story_benchmark("names", 40)
    pronouns = story_benchmark("pronouns", 40)
    texts = [item.context for item in pronouns[:6]]
    write_local_task(tmp_path / "tasks", "stories_names", names)
    write_local_task(tmp_path / "tasks", "stories_pronouns", pronouns)
    write_perplexity_task(tmp_path / "tasks", "stories_ppl", texts)
    # By its registered name and an argument string, as simple_evaluate(model="course", ...) builds it.
    from lm_eval.api.registry import get_model

    harness_model = get_model("course").create_from_arg_string("ladder=d64-s400", {"batch_size": 8})
    results = evaluate_local(harness_model, tmp_path / "tasks", ["stories_names", "stories_pronouns", "stories_ppl"])
    for task, items in (("stories_names", names), ("stories_pronouns", pronouns)):
        ours = score_multiple_choice(lm, items)
        for rule in ("acc", "acc_norm", "acc_bytes"):
            assert results[task][f"{rule},none"] == pytest.approx(ours.accuracy(rule), abs=1e-12), (task, rule)
        assert results[task]["acc_stderr,none"] == pytest.approx(mean_with_se(ours.correct["acc"]).se, rel=1e-9)
    rolls = [rolling_loglikelihood(lm, t) for t in texts]
    logprob = sum(r.logprob for r in rolls)
    ppl = results["stories_ppl"]
    assert ppl["word_perplexity,none"] == pytest.approx(math.exp(-logprob / sum(r.num_words for r in rolls)), rel=1e-9)
    assert ppl["byte_perplexity,none"] == pytest.approx(math.exp(-logprob / sum(r.num_bytes for r in rolls)), rel=1e-9)
    assert ppl["bits_per_byte,none"] == pytest.approx(
        -logprob / sum(r.num_bytes for r in rolls) / math.log(2), rel=1e-9
    )


def test_generate_until_stops_at_the_stop_string() -> None:
    from lm_eval.api.instance import Instance

    lm = load_ladder_model("d64-s400")
    context = "Once upon a time, there was a girl named Mia. She"
    free = greedy_until(lm, context, [], 12)
    words = free.split()
    assert len(words) >= 3  # twelve tokens of story
    stop = " " + words[2]
    cut = greedy_until(lm, context, [stop], 12)
    assert cut == free[: free.index(stop)] and stop not in cut
    request = Instance("generate_until", {}, (context, {"until": [stop], "max_gen_toks": 12}), 0)
    assert HarnessLM(lm).generate_until([request]) == [cut]
    with pytest.raises(ValueError, match="exactly one"):
        HarnessLM()
