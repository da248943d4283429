"""Assignment 1, part 2 (training): AdamW, the schedule, clipping, get_batch, checkpoints."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from course_lib import training as ref


@pytest.fixture(scope="module")
def optim(load_impl):
    return load_impl("a1_basics.optim")


@pytest.fixture(scope="module")
def data(load_impl):
    return load_impl("a1_basics.data")


@pytest.fixture(scope="module")
def serialization(load_impl):
    return load_impl("a1_basics.serialization")


def _params(seed: int) -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(6, 4, generator=g)), torch.nn.Parameter(torch.randn(3, generator=g))]


@pytest.mark.grade(part="optimizer", points=4)
def test_adamw_matches_torch(optim):
    ours, theirs = _params(0), _params(0)
    kwargs = {"lr": 2e-2, "betas": (0.9, 0.98), "eps": 1e-8, "weight_decay": 0.05}
    opt, ref_opt = optim.AdamW(ours, **kwargs), torch.optim.AdamW(theirs, **kwargs)
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        for a, b in zip(ours, theirs, strict=True):
            a.grad = torch.randn(a.shape, generator=g)
            b.grad = a.grad.clone()
        opt.step()
        ref_opt.step()
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.grade(part="optimizer", points=2)
def test_cosine_schedule(optim):
    for t in range(40):
        assert optim.cosine_schedule(t, 1.0, 0.1, 7, 30) == pytest.approx(ref.cosine_schedule(t, 1.0, 0.1, 7, 30))


@pytest.mark.grade(part="optimizer", points=1)
@pytest.mark.parametrize("max_norm", [0.1, 1e3])
def test_gradient_clipping(optim, max_norm):
    ours, theirs = _params(2), _params(2)
    g = torch.Generator().manual_seed(3)
    for a, b in zip(ours, theirs, strict=True):
        a.grad = torch.randn(a.shape, generator=g)
        b.grad = a.grad.clone()
    ours.append(torch.nn.Parameter(torch.zeros(2)))  # no gradient: must be skipped
    optim.clip_grad_norm(ours, max_norm)
    torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    for a, b in zip(ours, theirs, strict=False):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.grade(part="data_checkpoints", points=3)
def test_get_batch(data, tmp_path):
    path = tmp_path / "ids.bin"
    np.arange(200, dtype=np.uint16).tofile(path)
    tokens = np.memmap(path, dtype=np.uint16, mode="r")
    np.random.seed(0)
    x, y = data.get_batch(tokens, 32, 8, "cpu")
    assert x.shape == y.shape == (32, 8) and x.dtype == y.dtype == torch.int64 and x.device.type == "cpu"
    starts = x[:, 0]
    torch.testing.assert_close(x, starts[:, None] + torch.arange(8))
    torch.testing.assert_close(y, x + 1)
    seen = set()
    for seed in range(30):
        np.random.seed(seed)
        bx, _ = data.get_batch(np.arange(12), 16, 4, "cpu")
        seen.update(bx[:, 0].tolist())
    assert seen == set(range(8)), f"start positions drawn: {sorted(seen)}; expected every one of 0..7"


@pytest.mark.grade(part="data_checkpoints", points=3)
def test_checkpoint_resumes_exactly(serialization, optim, tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = optim.AdamW(model.parameters(), lr=1e-2)
    x, y = torch.randn(16, 4), torch.randn(16, 1)

    def step(m: torch.nn.Module, o: torch.optim.Optimizer) -> None:
        o.zero_grad()
        ((m(x) - y) ** 2).mean().backward()
        o.step()

    for _ in range(3):
        step(model, opt)
    buffer = io.BytesIO()
    serialization.save_checkpoint(model, opt, 3, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)  # only tensors and plain containers inside
    buffer.seek(0)
    torch.manual_seed(1)
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    fresh_opt = optim.AdamW(fresh.parameters(), lr=1e-2)
    assert serialization.load_checkpoint(buffer, fresh, fresh_opt) == 3
    serialization.save_checkpoint(model, opt, 3, tmp_path / "ckpt.pt")  # a path works like a file object
    from_path = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    from_path_opt = optim.AdamW(from_path.parameters(), lr=1e-2)
    assert serialization.load_checkpoint(str(tmp_path / "ckpt.pt"), from_path, from_path_opt) == 3
    for _ in range(2):
        step(model, opt)
        step(fresh, fresh_opt)
        step(from_path, from_path_opt)
    for a, b, c in zip(model.parameters(), fresh.parameters(), from_path.parameters(), strict=True):
        assert torch.equal(a, b), "training after loading must continue exactly (optimizer state included)"
        assert torch.equal(a, c), "a checkpoint saved to a path must resume exactly too"
