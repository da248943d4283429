"""Pipeline parallelism: the model's layers are cut into ``p`` stages on ``p`` devices, and the batch
into ``m`` micro-batches that flow through them. This module *simulates* schedules: which stage runs
which micro-batch's forward (F) or backward (B) when, given their durations and dependencies.

* **GPipe**: all forwards, then all backwards. Idle time (the *bubble*) is the ramp-up and ramp-down:
  a fraction ``(p-1)/(m+p-1)`` of the run, and every stage stores all ``m`` micro-batches' activations.
* **1F1B** (PipeDream-Flush): after ``p-s-1`` warm-up forwards, stage ``s`` alternates one forward
  and one backward. Same bubble, but at most ``p-s`` micro-batches are in flight on stage ``s``.

:func:`simulate` knows nothing about either formula; the notebook checks them against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Op", "Event", "Schedule", "gpipe_order", "one_f_one_b_order", "simulate", "bubble_formula", "draw_schedule"]

Kind = Literal["F", "B"]


@dataclass(frozen=True)
class Op:
    """One unit of work: micro-batch ``microbatch``'s forward or backward pass through a stage."""

    kind: Kind
    microbatch: int


@dataclass(frozen=True)
class Event:
    """An op placed in time on a stage."""

    stage: int
    op: Op
    start: float
    end: float


@dataclass(frozen=True)
class Schedule:
    """A simulated run: every event, the number of stages and micro-batches."""

    events: tuple[Event, ...]
    stages: int
    microbatches: int

    @property
    def makespan(self) -> float:
        """Time from the first op's start to the last op's end."""
        return max(e.end for e in self.events)

    @property
    def bubble_fraction(self) -> float:
        """Fraction of stage-time spent idle: ``1 - busy / (stages * makespan)``."""
        busy = sum(e.end - e.start for e in self.events)
        return 1.0 - busy / (self.stages * self.makespan)

    def peak_in_flight(self, stage: int) -> int:
        """Most micro-batches whose activations ``stage`` holds at once (forward done, backward not)."""
        points = sorted(
            [(e.end, 1) for e in self.events if e.stage == stage and e.op.kind == "F"]
            + [(e.end, -1) for e in self.events if e.stage == stage and e.op.kind == "B"]
        )
        peak = level = 0
        for _, delta in points:
            level += delta
            peak = max(peak, level)
        return peak


def _check(stages: int, microbatches: int) -> None:
    if stages < 1 or microbatches < 1:
        raise ValueError(f"need at least one stage and one micro-batch, got p={stages}, m={microbatches}")


def gpipe_order(stages: int, microbatches: int) -> list[list[Op]]:
    """Each stage's op order under GPipe: every forward, then every backward."""
    _check(stages, microbatches)
    return [
        [Op("F", i) for i in range(microbatches)] + [Op("B", i) for i in range(microbatches)] for _ in range(stages)
    ]


def one_f_one_b_order(stages: int, microbatches: int) -> list[list[Op]]:
    """Each stage's op order under 1F1B: ``p-s-1`` warm-up forwards, then alternate F and B, then drain Bs."""
    _check(stages, microbatches)
    orders = []
    for stage in range(stages):
        warmup = min(stages - stage - 1, microbatches)
        ops = [Op("F", i) for i in range(warmup)]
        next_f, next_b = warmup, 0
        while next_b < microbatches:
            if next_f < microbatches:
                ops.append(Op("F", next_f))
                next_f += 1
            ops.append(Op("B", next_b))
            next_b += 1
        orders.append(ops)
    return orders


def simulate(orders: list[list[Op]], t_forward: float = 1.0, t_backward: float = 2.0) -> Schedule:
    """Run each stage's ops in the given order as early as the dependencies allow.

    F of micro-batch ``i`` on stage ``s`` needs F of ``i`` on ``s-1``; B on ``s`` needs B on ``s+1``
    (or, on the last stage, its own F). Communication is taken as free. Raises ``ValueError`` if the
    orders deadlock or do not run every F and B of every micro-batch exactly once per stage.
    """
    if t_forward <= 0 or t_backward <= 0:
        raise ValueError("op durations must be positive")
    stages = len(orders)
    microbatches = sum(op.kind == "F" for op in orders[0]) if orders else 0
    for s, ops in enumerate(orders):
        if sorted((o.kind, o.microbatch) for o in ops) != sorted((k, i) for k in "FB" for i in range(microbatches)):
            raise ValueError(f"stage {s} must run F and B of each of the {microbatches} micro-batches exactly once")
    done: dict[tuple[int, Kind, int], float] = {}
    position = [0] * stages
    free_at = [0.0] * stages
    events: list[Event] = []
    while len(events) < sum(len(ops) for ops in orders):
        progressed = False
        for s in range(stages):
            if position[s] == len(orders[s]):
                continue
            op = orders[s][position[s]]
            if op.kind == "F":
                dep = (s - 1, "F", op.microbatch) if s > 0 else None
            else:
                dep = (s + 1, "B", op.microbatch) if s < stages - 1 else (s, "F", op.microbatch)
            if dep is not None and dep not in done:
                continue
            start = max(free_at[s], done[dep] if dep is not None else 0.0)
            end = start + (t_forward if op.kind == "F" else t_backward)
            events.append(Event(s, op, start, end))
            done[(s, op.kind, op.microbatch)] = free_at[s] = end
            position[s] += 1
            progressed = True
        if not progressed:
            raise ValueError("the schedule deadlocks: every stage waits for an op that never runs")
    return Schedule(tuple(events), stages, microbatches)


def bubble_formula(stages: int, microbatches: int) -> float:
    """The textbook bubble fraction ``(p-1)/(m+p-1)`` of GPipe and 1F1B."""
    _check(stages, microbatches)
    return (stages - 1) / (microbatches + stages - 1)


def draw_schedule(schedule: Schedule, ax: Any, title: str = "") -> None:
    """Draw ``schedule`` on a matplotlib axis: one row per stage, F light, B dark, micro-batch numbers."""
    from matplotlib import cm

    for e in schedule.events:
        shade = cm.Blues(0.35 + 0.5 * e.op.microbatch / max(1, schedule.microbatches - 1))
        color = (
            shade if e.op.kind == "F" else cm.Oranges(0.35 + 0.5 * e.op.microbatch / max(1, schedule.microbatches - 1))
        )
        ax.barh(e.stage, e.end - e.start, left=e.start, color=color, edgecolor="black", linewidth=0.5)
        ax.text((e.start + e.end) / 2, e.stage, str(e.op.microbatch), ha="center", va="center", fontsize=7)
    ax.set_yticks(range(schedule.stages), [f"stage {s}" for s in range(schedule.stages)])
    ax.invert_yaxis()
    ax.set_xlabel("time (forward = 1 unit)")
    ax.set_title(title or f"p={schedule.stages}, m={schedule.microbatches}, bubble {schedule.bubble_fraction:.0%}")


if __name__ == "__main__":  # python -m course_lib.parallel pipeline
    print(" p   m  GPipe   1F1B  (p-1)/(m+p-1)")
    for p in (2, 4, 8):
        for m in (1, 4, 16):
            gpipe, ofob = simulate(gpipe_order(p, m)), simulate(one_f_one_b_order(p, m))
            print(f"{p:2d} {m:3d} {gpipe.bubble_fraction:6.3f} {ofob.bubble_fraction:6.3f} {bubble_formula(p, m):8.3f}")
