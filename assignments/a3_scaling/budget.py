"""Assignment 3, part 3: spend a FLOP budget on training runs, then predict far beyond it.

You get a :class:`course_lib.scaling.TrainingOracle`: ``oracle.query(d_model, num_layers,
num_heads, batch_size, learning_rate, flops)`` returns the final loss of that run and charges
``flops`` against ``oracle.budget`` (``oracle.remaining`` says what is left; a query past the
budget is refused). Every query is logged to ``oracle.log_path``: keep the file, it is part of your
write-up. ``course_lib.scaling.oracle_params(d_model, num_layers, num_heads)`` gives a shape's ``N``.

Plan the queries (learning rates matter, and the best one may depend on the width), find the
compute-optimal allocation, and predict the compute-optimal configuration and its loss at
``target_flops`` (100 times the budget in the tests). You may use ``course_lib.scaling`` here
(``fit_isoflops``, ``allocation``, ``fit_chinchilla``), or your parts 1 and 2.
Never call ``oracle.reveal`` or ``oracle.reveal_law``: the grader does.
"""

from __future__ import annotations

import numpy as np

from course_lib.scaling import TrainingOracle


def plan_and_predict(oracle: TrainingOracle, target_flops: float) -> dict[str, float]:
    """Query ``oracle`` within its budget, then return the predicted compute-optimal run at
    ``target_flops``: ``{"d_model", "num_layers", "num_heads"}`` (a valid shape), ``"params"``
    (its ``oracle_params``), ``"tokens"`` (``target_flops / (6 params)``) and ``"loss"``."""
    # TODO(a3_scaling): e.g. a small learning-rate sweep at two widths at a tiny budget (fit the best lr against width); IsoFLOP profiles at 4 budgets over 6-8 shapes; fit the parametric law to them; its compute optimum at the target; the shape nearest it and its predicted loss
    raise NotImplementedError("a3_scaling: `plan_and_predict` is not implemented yet (a3_scaling/budget.py)")
