"""Scaling laws (lecture 06): fit them, extrapolate them, spend compute by them.

* :mod:`~course_lib.scaling.laws`: ``PowerLaw`` / ``fit_power_law``; ``ChinchillaLaw``,
  ``compute_optimal`` and the published constants (Hoffmann et al. 2022, Besiroglu et al. 2024).
* :mod:`~course_lib.scaling.fit`: ``fit_chinchilla`` (Huber on log loss, vectorised multi-start,
  analytic gradients and Hessians, bootstrap).
* :mod:`~course_lib.scaling.isoflop`: approach 1 (``lowest_loss_frontier``) and approach 2
  (``fit_isoflops``), ``allocation`` exponents.
* :mod:`~course_lib.scaling.epoch`: ``read_epoch_csv`` for the replication's extracted data.
* :mod:`~course_lib.scaling.sweep`: the course's own sweep (``course sweep``) and its committed results.
* :mod:`~course_lib.scaling.oracle`: ``TrainingOracle``, the budgeted training API of assignment a3.
"""

from course_lib.scaling.epoch import ChinchillaRuns, epoch_csv_path, read_epoch_csv
from course_lib.scaling.fit import HOFFMANN_GRID, ChinchillaFit, fit_chinchilla
from course_lib.scaling.isoflop import (
    Frontier,
    IsoFLOPFit,
    allocation,
    bootstrap_allocation,
    fit_isoflops,
    lowest_loss_frontier,
)
from course_lib.scaling.laws import (
    BESIROGLU_2024,
    BESIROGLU_2024_SE,
    HOFFMANN_2022,
    HOFFMANN_2022_ROUNDED,
    KAPLAN_2020,
    PUBLISHED_ALLOCATIONS,
    ChinchillaLaw,
    PowerLaw,
    compute_optimal,
    fit_power_law,
)
from course_lib.scaling.oracle import (
    BudgetExceededError,
    OracleLimits,
    TrainingOracle,
    oracle_model_config,
    oracle_params,
)
from course_lib.scaling.sweep import SWEEP, SWEEP_PATH, load_sweep, run_sweep

__all__ = [
    "PowerLaw",
    "fit_power_law",
    "ChinchillaLaw",
    "compute_optimal",
    "HOFFMANN_2022",
    "HOFFMANN_2022_ROUNDED",
    "BESIROGLU_2024",
    "BESIROGLU_2024_SE",
    "PUBLISHED_ALLOCATIONS",
    "KAPLAN_2020",
    "HOFFMANN_GRID",
    "ChinchillaFit",
    "fit_chinchilla",
    "IsoFLOPFit",
    "fit_isoflops",
    "Frontier",
    "lowest_loss_frontier",
    "allocation",
    "bootstrap_allocation",
    "ChinchillaRuns",
    "read_epoch_csv",
    "epoch_csv_path",
    "SWEEP",
    "SWEEP_PATH",
    "run_sweep",
    "load_sweep",
    "TrainingOracle",
    "OracleLimits",
    "BudgetExceededError",
    "oracle_model_config",
    "oracle_params",
]
