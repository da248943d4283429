"""Small training loops built from the primitives: SFT, a Bradley-Terry reward model, DPO, GRPO and
PPO. Each trains in place, returns a per-step log (a list of dicts of floats), and works with the
course model or an HF causal LM. They are sized for seconds to minutes on a CPU; the notebook and
``course align`` both use them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from course_lib.alignment._interop import encode, pad_token_id
from course_lib.alignment.policy_gradient import (
    Aggregation,
    LossType,
    aggregate_token_loss,
    compute_grpo_clip_loss,
    group_normalize,
    grpo_microbatch_train_step,
)
from course_lib.alignment.preference import ScalarHeadModel, bradley_terry_loss, dpo_loss, sequence_log_probs
from course_lib.alignment.rollout import sample_responses
from course_lib.alignment.sft import (
    batch_from_ids,
    get_response_log_probs,
    masked_mean,
    sft_microbatch_train_step,
    tokenize_prompt_and_output,
)
from course_lib.alignment.tasks import Example, judge

__all__ = [
    "RewardFn",
    "RLConfig",
    "train_sft",
    "accuracy",
    "train_reward_model",
    "preference_accuracy",
    "train_dpo",
    "train_grpo",
    "train_ppo",
]

RewardFn = Callable[[Sequence[Example], Sequence[str]], torch.Tensor]
"""``reward_fn(examples, responses) -> (B,)`` float rewards, one per sampled response."""


def _trainable(model: nn.Module) -> list[nn.Parameter]:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(model).__name__} has no trainable parameter")
    return params


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _step(optimizer: torch.optim.Optimizer, params: list[nn.Parameter], grad_clip: float) -> float:
    norm = torch.nn.utils.clip_grad_norm_(params, grad_clip) if grad_clip else torch.zeros(())
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(norm)


def train_sft(
    model: nn.Module,
    tokenizer: Any,
    examples: Sequence[Example],
    steps: int,
    *,
    batch_size: int = 32,
    gradient_accumulation_steps: int = 1,
    lr: float = 1e-3,
    grad_clip: float = 1.0,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Supervised fine-tuning on the examples' ``(prompt, response)``, loss on response tokens only.

    Each step draws ``batch_size`` examples, split into ``gradient_accumulation_steps`` micro-batches.
    Log: ``loss`` (mean negative log-likelihood per response token) and ``grad_norm``.
    """
    if batch_size % gradient_accumulation_steps:
        raise ValueError(
            f"gradient_accumulation_steps={gradient_accumulation_steps} does not divide batch_size={batch_size}"
        )
    if not examples:
        raise ValueError("no examples to train on")
    rng = random.Random(seed)
    params = _trainable(model)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    device, micro = _device(model), batch_size // gradient_accumulation_steps
    model.train()
    log = []
    for step in range(steps):
        batch = [examples[rng.randrange(len(examples))] for _ in range(batch_size)]
        nll, tokens = 0.0, 0
        for start in range(0, batch_size, micro):
            part = batch[start : start + micro]
            b = tokenize_prompt_and_output([e.prompt for e in part], [e.response for e in part], tokenizer)
            lp = get_response_log_probs(model, b["input_ids"].to(device), b["labels"].to(device))["log_probs"]
            mask = b["response_mask"].to(device)
            sft_microbatch_train_step(lp, mask, gradient_accumulation_steps)
            nll -= float((lp.detach() * mask).sum())
            tokens += int(mask.sum())
        log.append({"step": step + 1, "loss": nll / tokens, "grad_norm": _step(optimizer, params, grad_clip)})
    return log


@torch.no_grad()
def accuracy(
    model: nn.Module, tokenizer: Any, examples: Sequence[Example], max_new_tokens: int = 8
) -> dict[str, float]:
    """Greedy-decode every example; the fraction the :func:`~course_lib.alignment.tasks.judge` scores 1,
    per kind and ``"all"``."""
    _, _, texts = sample_responses(model, tokenizer, [e.prompt for e in examples], max_new_tokens, temperature=0.0)
    right: dict[str, list[float]] = {}
    for ex, text in zip(examples, texts):
        right.setdefault(ex.kind, []).append(float(judge(ex, text) == 1.0))
    out = {kind: sum(v) / len(v) for kind, v in sorted(right.items())}
    out["all"] = sum(sum(v) for v in right.values()) / len(examples)
    return out


def _full_sequences(
    tokenizer: Any, prompts: Sequence[str], responses: Sequence[str]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ``prompt + response`` ids (B, L) and their lengths (B,)."""
    rows = [encode(tokenizer, p) + encode(tokenizer, r) for p, r in zip(prompts, responses)]
    ids = torch.full((len(rows), max(map(len, rows))), pad_token_id(tokenizer), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
    return ids, torch.tensor([len(r) for r in rows])


def _pair_scores(
    rm: ScalarHeadModel, tokenizer: Any, pairs: Sequence[tuple[str, str, str]]
) -> tuple[torch.Tensor, torch.Tensor]:
    prompts = [p for p, _, _ in pairs]
    ids, lengths = _full_sequences(tokenizer, prompts * 2, [c for _, c, _ in pairs] + [r for _, _, r in pairs])
    scores = rm.score(ids.to(_device(rm)), lengths)
    return scores[: len(pairs)], scores[len(pairs) :]


def train_reward_model(
    rm: ScalarHeadModel,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str, str]],
    steps: int,
    *,
    batch_size: int = 32,
    lr: float = 1e-3,
    grad_clip: float = 1.0,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Fit a reward model to ``(prompt, chosen, rejected)`` pairs with the Bradley-Terry loss.
    Log: ``loss`` and ``accuracy`` (chosen scored higher) on each step's batch."""
    if not pairs:
        raise ValueError("no preference pairs")
    rng = random.Random(seed)
    params = _trainable(rm)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rm.train()
    log = []
    for step in range(steps):
        batch = [pairs[rng.randrange(len(pairs))] for _ in range(batch_size)]
        chosen, rejected = _pair_scores(rm, tokenizer, batch)
        loss = bradley_terry_loss(chosen, rejected)
        loss.backward()
        _step(optimizer, params, grad_clip)
        log.append({"step": step + 1, "loss": loss.item(), "accuracy": float((chosen > rejected).float().mean())})
    return log


@torch.no_grad()
def preference_accuracy(rm: ScalarHeadModel, tokenizer: Any, pairs: Sequence[tuple[str, str, str]]) -> float:
    """The fraction of pairs whose chosen response the reward model scores higher."""
    chosen, rejected = _pair_scores(rm, tokenizer, pairs)
    return float((chosen > rejected).float().mean())


def train_dpo(
    policy: nn.Module,
    reference: nn.Module,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str, str]],
    steps: int,
    *,
    beta: float = 0.1,
    batch_size: int = 16,
    lr: float = 3e-4,
    grad_clip: float = 1.0,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Direct preference optimisation of ``policy`` against the frozen ``reference`` on
    ``(prompt, chosen, rejected)`` pairs. Log: ``loss``, ``margin`` (mean implicit-reward margin)
    and ``accuracy`` (chosen's implicit reward higher)."""
    if not pairs:
        raise ValueError("no preference pairs")
    rng = random.Random(seed)
    params = _trainable(policy)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    policy.train()
    log = []
    for step in range(steps):
        batch = [pairs[rng.randrange(len(pairs))] for _ in range(batch_size)]
        prompts = [p for p, _, _ in batch] * 2
        responses = [c for _, c, _ in batch] + [r for _, _, r in batch]
        logp = sequence_log_probs(policy, tokenizer, prompts, responses)
        with torch.no_grad():
            ref = sequence_log_probs(reference, tokenizer, prompts, responses).to(logp.device)
        loss, chosen, rejected = dpo_loss(
            logp[:batch_size], logp[batch_size:], ref[:batch_size], ref[batch_size:], beta
        )
        loss.backward()
        _step(optimizer, params, grad_clip)
        log.append(
            {
                "step": step + 1,
                "loss": loss.item(),
                "margin": float((chosen - rejected).mean()),
                "accuracy": float((chosen > rejected).float().mean()),
            }
        )
    return log


@dataclass(frozen=True)
class RLConfig:
    """Hyperparameters of :func:`train_grpo` and :func:`train_ppo`.

    Each step samples ``prompts_per_step`` prompts, ``group_size`` responses each, then takes
    ``epochs_per_rollout`` optimizer steps on them (more than one needs ``loss_type="grpo_clip"``:
    the later steps are off-policy). ``kl_coef`` weighs the KL to the reference model (k3 per token
    in the loss for GRPO; a per-token reward penalty for PPO). ``aggregation`` and
    ``normalize_by_std`` are GRPO's ablations; the constant normaliser is ``max_new_tokens``.
    """

    steps: int = 20
    prompts_per_step: int = 8
    group_size: int = 8
    lr: float = 3e-4
    loss_type: LossType = "grpo_clip"
    aggregation: Aggregation = "sequence_mean"
    normalize_by_std: bool = True
    advantage_eps: float = 1e-6
    kl_coef: float = 0.0
    cliprange: float = 0.2
    epochs_per_rollout: int = 1
    max_new_tokens: int = 8
    temperature: float = 1.0
    grad_clip: float = 1.0
    gae_lambda: float = 0.95
    value_lr: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.steps, self.prompts_per_step, self.group_size, self.epochs_per_rollout, self.max_new_tokens) < 1:
            raise ValueError("steps, prompts_per_step, group_size, epochs_per_rollout and max_new_tokens must be >= 1")
        if self.epochs_per_rollout > 1 and self.loss_type != "grpo_clip":
            raise ValueError("several optimizer steps per rollout are off-policy: use loss_type='grpo_clip'")
        if self.kl_coef < 0 or self.temperature <= 0:
            raise ValueError(f"need kl_coef >= 0 and temperature > 0, got {self.kl_coef}, {self.temperature}")


def _rollout(
    policy: nn.Module,
    tokenizer: Any,
    pool: Sequence[Example],
    config: RLConfig,
    rng: random.Random,
    generator: torch.Generator,
    reward_fn: RewardFn,
) -> tuple[list[Example], list[str], dict[str, torch.Tensor], torch.Tensor]:
    """Sample ``prompts_per_step`` prompts, ``group_size`` responses each; batch and score them."""
    prompts = [pool[rng.randrange(len(pool))] for _ in range(config.prompts_per_step)]
    examples = [ex for ex in prompts for _ in range(config.group_size)]
    p_ids, r_ids, texts = sample_responses(
        policy,
        tokenizer,
        [e.prompt for e in examples],
        config.max_new_tokens,
        temperature=config.temperature,
        generator=generator,
    )
    batch = {k: v.to(_device(policy)) for k, v in batch_from_ids(p_ids, r_ids, pad_token_id(tokenizer)).items()}
    rewards = reward_fn(examples, texts).to(device=_device(policy), dtype=torch.float32)
    if rewards.shape != (len(examples),):
        raise ValueError(f"reward_fn returned shape {tuple(rewards.shape)}, expected ({len(examples)},)")
    return examples, texts, batch, rewards


def _log_probs(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        return get_response_log_probs(model, batch["input_ids"], batch["labels"])["log_probs"]


def _rl_entry(
    step: int,
    rewards: torch.Tensor,
    batch: dict[str, torch.Tensor],
    examples: Sequence[Example],
    texts: Sequence[str],
    metric_fn: RewardFn | None,
    **extra: float,
) -> dict[str, float]:
    lengths = batch["response_mask"].sum(-1).float()
    entry = {"step": step, "reward": rewards.mean().item(), "response_length": lengths.mean().item()}
    if metric_fn is not None:
        entry["metric"] = metric_fn(examples, texts).float().mean().item()
    entry.update(extra)
    return entry


def train_grpo(
    policy: nn.Module,
    tokenizer: Any,
    pool: Sequence[Example],
    reward_fn: RewardFn,
    config: RLConfig,
    *,
    reference: nn.Module | None = None,
    metric_fn: RewardFn | None = None,
    evaluate: Callable[[nn.Module], float] | None = None,
    eval_interval: int = 0,
    progress: bool = False,
) -> list[dict[str, float]]:
    """GRPO: sample groups, normalise rewards within each group, and take policy-gradient steps
    (:func:`~course_lib.alignment.grpo_microbatch_train_step`). ``reference`` (needed when
    ``config.kl_coef > 0``) is frozen. Log per step: ``reward`` (mean of the sampled responses),
    ``metric`` (``metric_fn``'s mean, e.g. the true reward while training on a proxy), ``kl``,
    ``entropy``, ``response_length``, ``clip_fraction``, and ``eval`` (``evaluate(policy)``, e.g. greedy
    accuracy on held-out prompts) before the first step (step 0) and every ``eval_interval`` steps."""
    if config.kl_coef and reference is None:
        raise ValueError("kl_coef > 0 needs a reference model")
    if not pool:
        raise ValueError("the prompt pool is empty")
    rng, gen = random.Random(config.seed), torch.Generator(device=_device(policy)).manual_seed(config.seed)
    params = _trainable(policy)
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    log = [{"step": 0, "eval": evaluate(policy)}] if evaluate is not None else []
    steps = range(config.steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="GRPO", unit="step")
    for step in steps:
        examples, texts, batch, rewards = _rollout(policy, tokenizer, pool, config, rng, gen, reward_fn)
        advantages = group_normalize(rewards, config.group_size, config.advantage_eps, config.normalize_by_std)
        old = _log_probs(policy, batch)
        ref = _log_probs(reference, batch) if config.kl_coef else None
        policy.train()
        for _ in range(config.epochs_per_rollout):
            out = get_response_log_probs(policy, batch["input_ids"], batch["labels"], return_token_entropy=True)
            _, meta = grpo_microbatch_train_step(
                out["log_probs"],
                batch["response_mask"],
                1,
                config.loss_type,
                raw_rewards=rewards,
                advantages=advantages,
                old_log_probs=old,
                cliprange=config.cliprange,
                aggregation=config.aggregation,
                normalize_constant=float(config.max_new_tokens),
                ref_log_probs=ref,
                kl_coef=config.kl_coef,
            )
            _step(optimizer, params, config.grad_clip)
        log.append(
            _rl_entry(
                step + 1,
                rewards,
                batch,
                examples,
                texts,
                metric_fn,
                kl=float(meta.get("kl", 0.0)),
                entropy=float(masked_mean(out["token_entropy"].detach(), batch["response_mask"])),
                clip_fraction=float(meta.get("clip_fraction", 0.0)),
            )
        )
        if evaluate is not None and eval_interval and (step + 1) % eval_interval == 0:
            log[-1]["eval"] = evaluate(policy)
    return log


def _gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, lam: float) -> torch.Tensor:
    """Generalised advantage estimates (discount 1) over each row's response positions. All (B, T)."""
    m = mask.float()
    advantages = torch.zeros_like(values)
    running = torch.zeros(values.shape[0], device=values.device)
    next_value = torch.zeros(values.shape[0], device=values.device)
    for t in reversed(range(values.shape[1])):
        delta = rewards[:, t] + next_value - values[:, t]
        running = (delta + lam * running) * m[:, t]
        advantages[:, t] = running
        next_value = values[:, t] * m[:, t]
    return advantages


def train_ppo(
    policy: nn.Module,
    value_model: ScalarHeadModel,
    tokenizer: Any,
    pool: Sequence[Example],
    reward_fn: RewardFn,
    config: RLConfig,
    *,
    reference: nn.Module,
    metric_fn: RewardFn | None = None,
) -> list[dict[str, float]]:
    """PPO as in InstructGPT: the reward is given at the last response token, each token pays
    ``kl_coef * (log pi - log pi_ref)``, a learned value function gives GAE advantages (whitened
    over the batch), and the policy takes clipped steps. ``prompts_per_step * group_size``
    responses per step (no groups: each prompt is sampled independently). Log per step:
    ``reward``, ``metric``, ``kl`` (mean per token), ``value_loss``, ``response_length``."""
    if not pool:
        raise ValueError("the prompt pool is empty")
    rng, gen = random.Random(config.seed), torch.Generator(device=_device(policy)).manual_seed(config.seed)
    params, v_params = _trainable(policy), _trainable(value_model)
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    v_optimizer = torch.optim.AdamW(v_params, lr=config.value_lr, weight_decay=0.0)
    log = []
    for step in range(config.steps):
        examples, texts, batch, rewards = _rollout(policy, tokenizer, pool, config, rng, gen, reward_fn)
        mask = batch["response_mask"]
        old, ref = _log_probs(policy, batch), _log_probs(reference, batch)
        with torch.no_grad():
            values = value_model(batch["input_ids"]) * mask
        token_rewards = -config.kl_coef * (old - ref) * mask
        last = mask.float().cumsum(-1).argmax(-1)  # index of each row's last response token
        token_rewards[torch.arange(len(last)), last] += rewards
        advantages = _gae(token_rewards, values, mask, config.gae_lambda)
        returns = advantages + values
        mean = masked_mean(advantages, mask)
        std = masked_mean((advantages - mean) ** 2, mask).sqrt()
        advantages = (advantages - mean) / (std + 1e-8)
        policy.train()
        value_model.train()
        for _ in range(config.epochs_per_rollout):
            logp = get_response_log_probs(policy, batch["input_ids"], batch["labels"])["log_probs"]
            per_token, _ = compute_grpo_clip_loss(advantages, logp, old, config.cliprange)
            aggregate_token_loss(per_token, mask, "token_mean").backward()
            _step(optimizer, params, config.grad_clip)
            value_loss = masked_mean((value_model(batch["input_ids"]) - returns) ** 2, mask)
            value_loss.backward()
            _step(v_optimizer, v_params, config.grad_clip)
        log.append(
            _rl_entry(
                step + 1,
                rewards,
                batch,
                examples,
                texts,
                metric_fn,
                kl=float(masked_mean(old - ref, mask)),
                value_loss=value_loss.item(),
            )
        )
    return log
