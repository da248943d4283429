"""Lecture 10, alignment: from a base model to one that follows instructions and improves by RL.

* :mod:`~course_lib.alignment.sft`: ``tokenize_prompt_and_output`` (response mask), ``compute_entropy``,
  ``get_response_log_probs``, ``masked_mean``, ``masked_normalize``, ``sft_microbatch_train_step``.
* :mod:`~course_lib.alignment.policy_gradient`: ``compute_group_normalized_rewards``, the naive and
  clipped policy-gradient losses and their dispatcher, ``kl_k3``, the loss aggregations,
  ``grpo_microbatch_train_step``.
* :mod:`~course_lib.alignment.preference`: ``bradley_terry_loss``, ``dpo_loss``, ``per_instance_dpo_loss``,
  ``ScalarHeadModel`` (reward model / value function).
* :mod:`~course_lib.alignment.lora`: ``LoRALinear``, ``apply_lora``, ``merge_lora``, ``unmerge_lora``.
* :mod:`~course_lib.alignment.tasks`: the synthetic instruction set, its judge and rewards.
* :mod:`~course_lib.alignment.rollout`: ``sample_responses``.
* :mod:`~course_lib.alignment.loops`: ``train_sft``, ``train_reward_model``, ``train_dpo``,
  ``train_grpo``, ``train_ppo``.
* :mod:`~course_lib.alignment.runs`: the committed runs of ``course align`` and how to load them.

Everything accepts the course model and tokenizer or HF ``transformers`` causal LMs and tokenizers.
"""

from course_lib.alignment._interop import EOT as EOT_TOKEN
from course_lib.alignment.loops import (
    RewardFn,
    RLConfig,
    accuracy,
    preference_accuracy,
    train_dpo,
    train_grpo,
    train_ppo,
    train_reward_model,
    train_sft,
)
from course_lib.alignment.lora import LoRALinear, apply_lora, lora_parameters, merge_lora, unmerge_lora
from course_lib.alignment.policy_gradient import (
    aggregate_token_loss,
    compute_group_normalized_rewards,
    compute_grpo_clip_loss,
    compute_naive_policy_gradient_loss,
    compute_policy_gradient_loss,
    group_normalize,
    grpo_microbatch_train_step,
    kl_k3,
)
from course_lib.alignment.preference import (
    ScalarHeadModel,
    bradley_terry_loss,
    dpo_loss,
    per_instance_dpo_loss,
    sequence_log_probs,
)
from course_lib.alignment.rollout import sample_responses
from course_lib.alignment.sft import (
    batch_from_ids,
    compute_entropy,
    get_response_log_probs,
    masked_mean,
    masked_normalize,
    sft_microbatch_train_step,
    tokenize_prompt_and_output,
)
from course_lib.alignment.tasks import (
    Example,
    exact_match_reward,
    extract_answer,
    format_prompt,
    judge,
    make_examples,
    preference_pairs,
    word_count_reward,
)

__all__ = [
    "EOT_TOKEN",
    "tokenize_prompt_and_output",
    "batch_from_ids",
    "compute_entropy",
    "get_response_log_probs",
    "masked_mean",
    "masked_normalize",
    "sft_microbatch_train_step",
    "group_normalize",
    "compute_group_normalized_rewards",
    "compute_naive_policy_gradient_loss",
    "compute_grpo_clip_loss",
    "compute_policy_gradient_loss",
    "kl_k3",
    "aggregate_token_loss",
    "grpo_microbatch_train_step",
    "sequence_log_probs",
    "bradley_terry_loss",
    "dpo_loss",
    "per_instance_dpo_loss",
    "ScalarHeadModel",
    "LoRALinear",
    "apply_lora",
    "merge_lora",
    "unmerge_lora",
    "lora_parameters",
    "Example",
    "format_prompt",
    "make_examples",
    "extract_answer",
    "judge",
    "exact_match_reward",
    "word_count_reward",
    "preference_pairs",
    "sample_responses",
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
