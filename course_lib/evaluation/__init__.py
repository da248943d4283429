"""Evaluating language models (lecture 09), one concept per module.

* :mod:`~course_lib.evaluation.lm`: ``ScoringLM``, with ``CourseLM`` (course model) and ``HFCausalLM``.
* :mod:`~course_lib.evaluation.loglikelihood`: batched continuation log-likelihood; rolling
  perplexity per token, word and byte, bits per byte; sliding or non-overlapping windows.
* :mod:`~course_lib.evaluation.multiple_choice`: scoring by log-likelihood, ``acc``/``acc_norm``/``acc_bytes``.
* :mod:`~course_lib.evaluation.answers`: normalised exact match, last-number extraction, pass@k.
* :mod:`~course_lib.evaluation.statistics`: standard errors, bootstrap, paired differences, sample sizes.
* :mod:`~course_lib.evaluation.contamination`: 13-gram overlap and the longest shared substring.
* :mod:`~course_lib.evaluation.story_benchmark`: the course's own cloze benchmark from held-out stories.
* :mod:`~course_lib.evaluation.judge`: a pairwise LLM judge asked in both orders.
* :mod:`~course_lib.evaluation.ladder`: small committed checkpoints to compare with the base model.
* :mod:`~course_lib.evaluation.harness`: the lm-evaluation-harness adapter (imported on its own:
  it loads ``lm_eval``).
"""

from course_lib.evaluation.answers import exact_match, extract_last_number, naive_pass_at_k, normalize_answer, pass_at_k
from course_lib.evaluation.contamination import (
    ContaminationReport,
    NgramIndex,
    SuffixAutomaton,
    detect_contamination,
    normalize_text,
    normalized_words,
    word_ngrams,
)
from course_lib.evaluation.judge import JUDGE_TEMPLATE, JudgeVerdicts, judge_pairs
from course_lib.evaluation.lm import CourseLM, HFCausalLM, ScoringLM
from course_lib.evaluation.loglikelihood import (
    LoglikelihoodResult,
    RollingResult,
    count_words,
    encode_pair,
    loglikelihood,
    loglikelihood_tokens,
    rolling_loglikelihood,
    token_windows,
)
from course_lib.evaluation.multiple_choice import (
    MultipleChoiceItem,
    MultipleChoiceResult,
    choose,
    score_multiple_choice,
)
from course_lib.evaluation.statistics import (
    Interval,
    bootstrap_interval,
    mean_with_se,
    paired_difference,
    questions_needed,
)
from course_lib.evaluation.story_benchmark import TASKS, item_text, story_benchmark

__all__ = [
    "ScoringLM",
    "CourseLM",
    "HFCausalLM",
    "LoglikelihoodResult",
    "RollingResult",
    "encode_pair",
    "loglikelihood",
    "loglikelihood_tokens",
    "token_windows",
    "rolling_loglikelihood",
    "count_words",
    "MultipleChoiceItem",
    "MultipleChoiceResult",
    "score_multiple_choice",
    "choose",
    "normalize_answer",
    "exact_match",
    "extract_last_number",
    "pass_at_k",
    "naive_pass_at_k",
    "Interval",
    "mean_with_se",
    "bootstrap_interval",
    "paired_difference",
    "questions_needed",
    "normalize_text",
    "normalized_words",
    "word_ngrams",
    "NgramIndex",
    "SuffixAutomaton",
    "ContaminationReport",
    "detect_contamination",
    "TASKS",
    "story_benchmark",
    "item_text",
    "JUDGE_TEMPLATE",
    "JudgeVerdicts",
    "judge_pairs",
]
