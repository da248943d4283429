"""Training utilities against PyTorch's own: AdamW, clipping, the schedule; data, checkpoints, the loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib.model import TransformerLM
from course_lib.training import (
    AdamW,
    TrainConfig,
    bigram_loss,
    clip_grad_norm_,
    cosine_schedule,
    get_batch,
    load_checkpoint,
    load_model,
    load_tokens,
    save_checkpoint,
    save_tokens,
    train,
    train_step,
)


def _params(seed: int) -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(5, 3, generator=g)), torch.nn.Parameter(torch.randn(4, generator=g))]


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adamw_matches_torch(weight_decay):
    ours, ref = _params(0), _params(0)
    kwargs = {"lr": 3e-2, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": weight_decay}
    opt_ours, opt_ref = AdamW(ours, **kwargs), torch.optim.AdamW(ref, **kwargs)
    g = torch.Generator().manual_seed(1)
    for _ in range(25):
        grads = [torch.randn(p.shape, generator=g) for p in ours]
        for a, b, grad in zip(ours, ref, grads, strict=True):
            a.grad, b.grad = grad.clone(), grad.clone()
        opt_ours.step()
        opt_ref.step()
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="betas"):
        AdamW(ours, betas=(1.0, 0.9))


@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(max_norm):
    ours, ref = _params(2), _params(2)
    g = torch.Generator().manual_seed(3)
    for a, b in zip(ours, ref, strict=True):
        a.grad = torch.randn(a.shape, generator=g)
        b.grad = a.grad.clone()
    norm = clip_grad_norm_(ours, max_norm)
    ref_norm = torch.nn.utils.clip_grad_norm_(ref, max_norm)
    torch.testing.assert_close(norm, ref_norm)
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a.grad, b.grad)


def test_cosine_schedule_matches_torch_schedulers():
    max_lr, min_lr, warmup, cosine = 1.0, 0.1, 10, 50
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=max_lr)
    sched = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=1e-12, end_factor=1.0, total_iters=warmup),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cosine - warmup, eta_min=min_lr),
        ],
        milestones=[warmup],
    )
    for step in range(cosine + 1):
        assert cosine_schedule(step, max_lr, min_lr, warmup, cosine) == pytest.approx(
            opt.param_groups[0]["lr"], abs=1e-9
        )
        opt.step()
        sched.step()
    assert cosine_schedule(cosine + 7, max_lr, min_lr, warmup, cosine) == min_lr
    with pytest.raises(ValueError):
        cosine_schedule(0, 1.0, 0.1, 10, 5)


def test_get_batch_windows_from_memmap(tmp_path):
    tokens = np.arange(100) % 60
    path = save_tokens(tokens, tmp_path / "ids.bin", vocab_size=60)
    mapped = load_tokens(path, vocab_size=60)
    assert isinstance(mapped, np.memmap) and mapped.dtype == np.uint16
    x, y = get_batch(mapped, batch_size=64, context_length=8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (64, 8) and x.dtype == y.dtype == torch.int64
    torch.testing.assert_close(x[:, 1:], y[:, :-1])
    for row_x, row_y in zip(x, y, strict=True):
        start = int(row_x[0])  # tokens[i] == i for i < 60, so the first id is the start position
        if start < 52:
            assert torch.equal(row_x, torch.arange(start, start + 8)) and int(row_y[-1]) == start + 8
    starts = set()
    for seed in range(40):
        bx, _ = get_batch(np.arange(20), batch_size=16, context_length=4, generator=torch.Generator().manual_seed(seed))
        starts.update(bx[:, 0].tolist())
    assert starts == set(range(16))  # every valid start is drawn, none past the end
    with pytest.raises(ValueError, match="more than context_length"):
        get_batch(np.arange(8), 2, 8)


def test_bigram_loss_matches_dense_counts():
    rng = np.random.default_rng(0)
    train_ids, val_ids = rng.integers(0, 7, 500), rng.integers(0, 7, 200)
    counts = np.zeros((7, 7))
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)
    unigram = (np.bincount(train_ids, minlength=7) + 1) / (len(train_ids) + 7)
    k = 3.0
    probs = (counts + k * unigram[None]) / (counts.sum(1, keepdims=True) + k)
    expected = -np.mean(np.log(probs[val_ids[:-1], val_ids[1:]]))
    assert bigram_loss(train_ids, val_ids, 7, smoothing=(k,)) == pytest.approx(expected)


def _tiny_model(seed: int = 0) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(
        vocab_size=32, context_length=16, d_model=32, num_layers=2, num_heads=4, d_ff=64, num_kv_heads=2
    )


def _tokens(n: int = 4000) -> np.ndarray:
    # A learnable stream: a fixed random permutation cycle with some noise.
    rng = np.random.default_rng(0)
    perm = rng.permutation(32)
    out = np.empty(n, dtype=np.int64)
    out[0] = 0
    for i in range(1, n):
        out[i] = perm[out[i - 1]] if rng.random() > 0.1 else rng.integers(0, 32)
    return out


def test_checkpoint_round_trip_needs_no_pickle(tmp_path):
    model = _tiny_model()
    opt = AdamW(model.parameters(), lr=1e-3)
    model(torch.zeros(1, 4, dtype=torch.long)).sum().backward()
    opt.step()
    gen = torch.Generator().manual_seed(5)
    path = save_checkpoint(tmp_path / "ckpt.pt", model, opt, step=7, generators={"batches": gen}, extra={"note": "hi"})
    # weights_only loading: only tensors and plain containers, nothing executable.
    torch.load(path, weights_only=True)
    fresh, fresh_opt, fresh_gen = _tiny_model(1), None, torch.Generator()
    fresh_opt = AdamW(fresh.parameters(), lr=5.0)
    info = load_checkpoint(path, fresh, fresh_opt, generators={"batches": fresh_gen})
    assert info.step == 7 and info.extra == {"note": "hi"} and info.model_config == model.config
    for a, b in zip(model.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(a, b)
        assert torch.equal(opt.state[a]["exp_avg_sq"], fresh_opt.state[b]["exp_avg_sq"])
        assert opt.state[a]["step"] == fresh_opt.state[b]["step"] == 1
    assert fresh_opt.param_groups[0]["lr"] == 1e-3
    assert torch.equal(gen.get_state(), fresh_gen.get_state())
    loaded, _ = load_model(path)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), loaded.parameters(), strict=True))


def test_malicious_pickle_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"metadata": "{}", "tensors": {}, "x": Evil()}, path)
    with pytest.raises(Exception, match="(?i)weights_only|unsupported|global"):
        load_checkpoint(path, _tiny_model())


def test_train_step_is_one_plain_pytorch_step():
    """train_step = cross-entropy, backward, torch's clip_grad_norm_, one AdamW update at the given lr."""
    ours, ref = _tiny_model(), _tiny_model()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randint(0, 32, (4, 16), generator=g), torch.randint(0, 32, (4, 16), generator=g)
    config = TrainConfig(grad_clip=0.5)
    loss, grad_norm = train_step(ours, AdamW(ours.parameters(), lr=1.0, weight_decay=0.0), x, y, 1e-2, config)
    ref_opt = torch.optim.AdamW(ref.parameters(), lr=1e-2, betas=config.betas, eps=config.eps, weight_decay=0.0)
    ref_loss = torch.nn.functional.cross_entropy(ref(x).reshape(-1, 32), y.reshape(-1))
    ref_loss.backward()
    ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
    ref_opt.step()
    assert loss == pytest.approx(ref_loss.item(), rel=1e-6) and grad_norm == pytest.approx(ref_norm.item(), rel=1e-5)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_resume_is_bit_exact(tmp_path):
    tokens = _tokens()
    base = {
        "batch_size": 4,
        "max_lr": 1e-2,
        "warmup_steps": 2,
        "lr_decay_steps": 8,
        "eval_interval": 0,
        "eval_batches": 1,
    }
    straight = _tiny_model()
    train(straight, tokens, None, TrainConfig(max_steps=8, **base), progress=False)

    first = _tiny_model()
    ckpt = str(tmp_path / "half.pt")
    train(first, tokens, None, TrainConfig(max_steps=4, checkpoint_path=ckpt, **base), progress=False)
    resumed = _tiny_model(seed=123)  # different initial weights: everything must come from the checkpoint
    result = train(resumed, tokens, None, TrainConfig(max_steps=8, **base), progress=False, resume_from=ckpt)
    assert result.step == 8 and [e.step for e in result.loss_log] == [5, 6, 7, 8]
    for a, b in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.slow
def test_train_learns_and_logs(tmp_path):
    tokens = _tokens()
    model = _tiny_model()
    config = TrainConfig(
        max_steps=40,
        batch_size=8,
        max_lr=1e-2,
        min_lr=1e-3,
        warmup_steps=5,
        eval_interval=20,
        eval_batches=2,
        checkpoint_path=str(tmp_path / "run.pt"),
    )
    result = train(model, tokens[:3000], tokens[3000:], config, progress=False)
    assert [s for s, _ in result.val_curve] == [20, 40]
    assert result.final_val_loss < 0.6 * math.log(32)  # well below the uniform guess
    assert result.loss_log[0].lr == 0.0 and result.loss_log[5].lr == pytest.approx(1e-2)
    assert (tmp_path / "run.pt").exists()
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp16")
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(max_steps=5, warmup_steps=10)


def test_moe_model_trains():
    torch.manual_seed(0)
    model = TransformerLM(
        vocab_size=32, context_length=16, d_model=32, num_layers=1, num_heads=4, d_ff=32, num_experts=4, top_k=1
    )
    result = train(
        model, _tokens(), None, TrainConfig(max_steps=5, batch_size=4, warmup_steps=1, eval_interval=0), progress=False
    )
    assert len(result.loss_log) == 5 and all(math.isfinite(e.train_loss) for e in result.loss_log)
