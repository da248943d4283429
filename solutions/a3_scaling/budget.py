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
    # BEGIN SOLUTION: e.g. a small learning-rate sweep at two widths at a tiny budget (fit the best lr against width); IsoFLOP profiles at 4 budgets over 6-8 shapes; fit the parametric law to them; its compute optimum at the target; the shape nearest it and its predicted loss
    from course_lib.scaling import compute_optimal, fit_chinchilla, oracle_params

    batch = 128

    def shape(d: int) -> tuple[int, int, int]:
        return d, max(2, d // 64), max(1, d // 64)

    # 1. The best learning rate at two widths (parabola in log lr), then lr_opt = c d^-p.
    lrs = np.geomspace(3e-4, 3e-2, 5)
    best = {}
    for d in (256, 1024):
        losses = [oracle.query(*shape(d), batch, float(lr), 1e15) for lr in lrs]
        c2, c1, _ = np.polyfit(np.log(lrs), losses, 2)
        best[d] = float(np.exp(-c1 / (2 * c2))) if c2 > 0 else float(lrs[int(np.argmin(losses))])
    p = np.log(best[256] / best[1024]) / np.log(4.0)

    def lr_for(d: int) -> float:
        return float(np.clip(best[256] * (256 / d) ** p, 1e-5, 1e-1))

    # 2. IsoFLOP profiles.
    widths = (128, 192, 256, 384, 512, 768, 1024)
    budgets = (1e16, 3e16, 1e17, 3e17)
    N, C, L = [], [], []
    for c in budgets:
        for d in widths:
            if c > oracle.remaining:
                break
            L.append(oracle.query(*shape(d), batch, lr_for(d), c))
            N.append(oracle_params(*shape(d)))
            C.append(c)
    # The oracle's answers follow the parametric form, so its fit extrapolates better than the
    # IsoFLOP parabolas (which are only approximately parabolas over an 8x range of sizes).
    law = fit_chinchilla(np.array(N), np.array(C) / (6 * np.array(N)), np.array(L)).law
    n_target = float(compute_optimal(target_flops, law)[0])

    # 3. The valid shape nearest N_opt(target) (heads of width 64 or 128, depth d / 64 to d / 32).
    candidates = [
        (d, nl, d // 64) for d in range(256, 2049, 64) for nl in range(max(2, d // 128), min(48, d // 32) + 1)
    ]
    d_model, num_layers, num_heads = min(candidates, key=lambda s: abs(np.log(oracle_params(*s) / n_target)))
    params = oracle_params(d_model, num_layers, num_heads)
    tokens = target_flops / (6 * params)

    # 4. Its loss from the same law.
    loss = float(law.loss(params, tokens))
    return {
        "d_model": d_model,
        "num_layers": num_layers,
        "num_heads": num_heads,
        "params": float(params),
        "tokens": float(tokens),
        "loss": loss,
    }
    # END SOLUTION
