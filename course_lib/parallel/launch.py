"""Start ``world_size`` ranks of a function, from a notebook, a script, pytest, or under ``torchrun``.

``launch(fn, world_size)`` runs ``fn(*args)`` once per rank, each in its own process with
``torch.distributed`` already initialised (gloo on the CPU), and returns the list of what the ranks
returned, indexed by rank, so a notebook can plot what every rank measured::

    def hello() -> int:
        return dist.get_rank() * 10

    launch(hello, world_size=2)          # [0, 10]

The ranks see the same environment variables ``torchrun`` sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``), and when the calling process *is* a torchrun rank
(those variables are set already), ``launch`` runs ``fn`` right there on the existing process group
(NCCL when a GPU is present) and gathers every rank's result: one script, both launchers.

Failure is loud and quick. If a rank raises, the parent raises :class:`RankError` with that rank,
the exception's type name, message and traceback text, and terminates the other ranks (which may be
blocked in a collective, waiting for the rank that died). A rank that dies without a word (killed,
segfault) is reported the same way, and ``timeout`` bounds the whole launch.

Processes are forked where the platform allows it, so functions defined in a notebook cell work
(``spawn`` would have to pickle them by reference, which fails for ``__main__`` functions); with
``start_method="spawn"``, ``fn`` must be importable (defined in a module).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import pickle
import queue as queue_module
import signal
import socket
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

__all__ = ["RankError", "LaunchTimeout", "launch", "free_port", "under_torchrun", "default_backend"]

_TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
_IN_LAUNCHED_RANK = "COURSE_PARALLEL_LAUNCHED_RANK"


class RankError(RuntimeError):
    """A rank raised (or died). ``str()`` names the rank, the original exception type and message,
    and ends with the rank's traceback text."""

    def __init__(
        self, rank: int, world_size: int, exc_type: str, message: str, traceback_text: str, context: str = ""
    ) -> None:
        self.rank, self.world_size = rank, world_size
        self.exc_type, self.message, self.traceback_text = exc_type, message, traceback_text
        text = f"rank {rank} of {world_size} raised {exc_type}{f' {context}' if context else ''}: {message}"
        if traceback_text.strip():
            text += f"\n\n--- traceback of rank {rank} ---\n{traceback_text.strip()}"
        super().__init__(text)


class LaunchTimeout(TimeoutError):
    """The ranks did not all finish within the launch's ``timeout``."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host`` (bind to port 0 and read back what the OS chose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def under_torchrun() -> bool:
    """True in a process started by ``torchrun`` (or any launcher setting its environment variables),
    False in the parent of :func:`launch`."""
    return all(name in os.environ for name in _TORCHRUN_VARS) and _IN_LAUNCHED_RANK not in os.environ


def default_backend() -> str:
    """``nccl`` where CUDA is available, ``gloo`` otherwise."""
    return "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"


def launch(
    fn: Callable[..., Any],
    world_size: int = 2,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    timeout: float = 120.0,
    backend: str | None = None,
    start_method: str | None = None,
    threads_per_rank: int = 1,
    grace: float = 1.0,
) -> list[Any]:
    """Run ``fn(*args, **kwargs)`` on ``world_size`` ranks and return their results, indexed by rank.

    Args:
        fn: runs on every rank, after ``torch.distributed`` is initialised; ``dist.get_rank()`` tells
            it which rank it is. Its return value must be picklable (tensors are fine).
        world_size: number of ranks (processes) to start; under torchrun it must equal ``WORLD_SIZE``.
        timeout: seconds for the whole launch, and for any single collective (gloo's timeout), after
            which :class:`LaunchTimeout` is raised and every rank is terminated.
        backend: ``gloo`` by default for the ranks started here; under torchrun, ``nccl`` on GPUs.
        start_method: ``fork`` (default where available) or ``spawn``.
        threads_per_rank: ``torch.set_num_threads`` in each rank (ranks share this machine's cores).
        grace: seconds the other ranks get to exit by themselves once one has failed, before they
            are terminated.

    Raises:
        RankError: a rank raised, or exited without reporting a result.
        LaunchTimeout: not every rank finished within ``timeout``.
    """
    kwargs = dict(kwargs or {})
    if world_size < 1:
        raise ValueError(f"world_size must be at least 1, got {world_size}")
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {timeout!r}")
    if under_torchrun():
        return _run_in_this_rank(fn, world_size, args, kwargs, backend or default_backend(), timeout)
    methods = mp.get_all_start_methods()
    method = start_method or ("fork" if "fork" in methods else "spawn")
    if method not in methods:
        raise ValueError(f"start method {method!r} is not available here (available: {methods})")
    if method == "fork":
        _preload()
    ctx = mp.get_context(method)
    results_queue = ctx.Queue()
    port = free_port()
    processes = [
        ctx.Process(
            target=_rank_main,
            args=(
                rank,
                world_size,
                port,
                backend or "gloo",
                timeout,
                threads_per_rank,
                fn,
                tuple(args),
                kwargs,
                results_queue,
            ),
            name=f"rank{rank}",
            daemon=True,
        )
        for rank in range(world_size)
    ]
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns that forking a multi-threaded process may deadlock the child; the
            # ranks only touch torch after resetting its thread pool (threads_per_rank), as
            # DataLoader workers do.
            warnings.filterwarnings(
                "ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning
            )
            for process in processes:
                process.start()
        return _collect(processes, results_queue, world_size, time.monotonic() + timeout, timeout)
    finally:
        _stop(processes, grace)
        results_queue.close()


def _preload() -> None:
    """Import in the parent what ranks would otherwise each import lazily, so forked ranks inherit it.

    ``torch.optim`` optimizers and ``DistributedDataParallel`` import ``torch._dynamo`` on first use:
    seconds per rank on a small CPU, paid once here instead of in every rank of every launch.
    """
    import torch._dynamo  # noqa: F401, PLC0415


def _collect(processes: list[Any], results_queue: Any, world_size: int, deadline: float, timeout: float) -> list[Any]:
    """Gather one message per rank; raise on the first error, a silent death, or the deadline."""
    results: dict[int, Any] = {}
    while len(results) < world_size:
        try:
            rank, status, payload = results_queue.get(timeout=0.05)
        except queue_module.Empty:
            if time.monotonic() > deadline:
                missing = sorted(set(range(world_size)) - set(results))
                raise LaunchTimeout(
                    f"launch timed out after {timeout:g} s: rank(s) {missing} of {world_size} did not finish "
                    "(a deadlock, e.g. ranks calling different collectives, or too much work per rank?)"
                ) from None
            dead = [r for r, p in enumerate(processes) if r not in results and p.exitcode is not None]
            if not dead:
                continue
            try:  # a rank that exited may still have its last message in flight
                rank, status, payload = results_queue.get(timeout=1.0)
            except queue_module.Empty:
                code = processes[dead[0]].exitcode
                raise RankError(
                    dead[0],
                    world_size,
                    "ProcessDied",
                    f"the process exited with code {code} without reporting (killed, out of memory, os._exit?)",
                    "",
                ) from None
        if status == "error":
            raise _first_cause(processes, results_queue, world_size, set(results), (rank, *payload))
        results[rank] = pickle.loads(payload)
    return [results[rank] for rank in range(world_size)]


def _first_cause(
    processes: list[Any], results_queue: Any, world_size: int, finished: set[int], first: tuple[int, str, str, str]
) -> RankError:
    """The error to report once a rank has failed.

    When one rank dies, its peers' collectives fail too ("connection reset by peer"), and one of those
    secondary errors may arrive first. So wait a moment for the others: a rank that died without a
    word is the likelier cause; otherwise the first error received is. The others are listed after it.
    """
    errors = [first]
    end = time.monotonic() + 0.5
    while time.monotonic() < end and len(errors) + len(finished) < world_size:
        try:
            rank, status, payload = results_queue.get(timeout=0.05)
        except queue_module.Empty:
            continue
        if status == "error":
            errors.append((rank, *payload))
        else:
            finished.add(rank)
    reported = {e[0] for e in errors} | finished
    # A rank that exited without reporting, even with code 0 (an early os._exit(0)), is the culprit.
    silent = [r for r, p in enumerate(processes) if r not in reported and p.exitcode is not None]
    if silent:
        code = processes[silent[0]].exitcode
        errors.insert(
            0,
            (
                silent[0],
                "ProcessDied",
                f"the process exited with code {code} without reporting (os._exit, sys.exit in a child, killed?)",
                "",
            ),
        )
    rank, exc_type, message, text = errors[0]
    context = ""
    if finished and exc_type != "ProcessDied":
        context = (
            f"after rank(s) {sorted(finished)} had returned normally (did the ranks issue different "
            "collectives, e.g. one all-reduce fewer?)"
        )
    if len(errors) > 1:
        also = "; ".join(f"rank {r}: {t}: {m.splitlines()[0][:120] if m else ''}" for r, t, m, _ in errors[1:])
        text = f"{text}\n(then, probably as a consequence: {also})"
    return RankError(rank, world_size, exc_type, message, text, context)


def _stop(processes: list[Any], grace: float) -> None:
    """Give live ranks ``grace`` seconds, then SIGTERM, then SIGKILL; reap them all, then kill what
    they started (each rank leads its own process group)."""
    end = time.monotonic() + grace
    for process in processes:
        if process.pid is not None:
            process.join(timeout=max(0.0, end - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        if process.pid is not None:
            process.join(timeout=2.0)
            if process.is_alive():
                process.kill()
                process.join()
    for process in processes:
        if process.pid is not None and hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)


def _rank_main(
    rank: int,
    world_size: int,
    port: int,
    backend: str,
    timeout: float,
    threads: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    results_queue: Any,
) -> None:
    """The body of one started rank: torchrun's variables, the process group, ``fn``, the report."""
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)  # the processes this rank starts can be killed with it (see _stop)
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world_size),
        LOCAL_RANK=str(rank),
        LOCAL_WORLD_SIZE=str(world_size),
        **{_IN_LAUNCHED_RANK: "1"},
    )
    torch.set_num_threads(threads)
    ok = False
    try:
        dist.init_process_group(backend, rank=rank, world_size=world_size, timeout=timedelta(seconds=timeout))
        result = fn(*args, **kwargs)
        message: tuple[int, str, Any] = (rank, "ok", pickle.dumps(result))
        ok = True
    except BaseException as exc:  # noqa: BLE001  (everything is reported to the parent)
        message = (rank, "error", (type(exc).__name__, str(exc), traceback.format_exc()))
    results_queue.put(message)
    results_queue.close()
    results_queue.join_thread()  # the message is in the pipe before this rank's sockets close
    if ok and dist.is_initialized():
        dist.destroy_process_group()


def _run_in_this_rank(
    fn: Callable[..., Any], world_size: int, args: Sequence[Any], kwargs: dict[str, Any], backend: str, timeout: float
) -> list[Any]:
    """The torchrun path: this process is one rank; run ``fn`` here and all-gather the results."""
    env_world = int(os.environ["WORLD_SIZE"])
    if env_world != world_size:
        raise ValueError(f"launch(world_size={world_size}) under torchrun with WORLD_SIZE={env_world}")
    if not dist.is_initialized():
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout))
    result = fn(*args, **kwargs)
    gathered: list[Any] = [None] * world_size
    dist.all_gather_object(gathered, result)
    return gathered
