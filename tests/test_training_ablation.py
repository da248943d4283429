"""The committed ablation log (lecture 03) matches the script that writes it and spends equal compute."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace

from course_lib import accounting
from course_lib.tools.paths import repo_root
from course_lib.training.ablation import ABLATION_MODEL, ABLATION_TRAIN, VARIANTS

LOG = repo_root() / "notebooks" / "data" / "ablation_mha_mqa.json"


def test_committed_ablation_log_matches_the_script_and_equal_compute():
    log = json.loads(LOG.read_text(encoding="utf-8"))
    assert log["model"] == ABLATION_MODEL.to_dict()
    assert log["train"] == json.loads(json.dumps(asdict(ABLATION_TRAIN)))
    budget = ABLATION_TRAIN.max_steps * accounting.training_flops(
        ABLATION_MODEL, ABLATION_TRAIN.batch_size, ABLATION_MODEL.context_length
    )
    assert log["flops_budget"] == budget
    assert {r["variant"] for r in log["runs"]} == set(VARIANTS) and len(log["runs"]) == len(VARIANTS) * len(
        log["seeds"]
    )
    for run in log["runs"]:
        config = replace(ABLATION_MODEL, num_kv_heads=VARIANTS[run["variant"]])
        step_flops = accounting.training_flops(config, ABLATION_TRAIN.batch_size, config.context_length)
        assert run["step_flops"] == step_flops and run["steps"] == round(budget / step_flops)
        assert abs(run["steps"] * step_flops - budget) <= step_flops / 2
        assert run["val_curve"][-1][0] == run["steps"] and math.isclose(run["val_curve"][-1][2], run["final_val_loss"])
