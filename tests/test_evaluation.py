"""course_lib.evaluation against references: a full forward pass, HF transformers, lm-evaluation-harness's
windowing and Janitor, scipy's statistics, difflib, and the exact pass@k formula."""

from __future__ import annotations

import difflib
import math
import random
from fractions import Fraction
from math import comb

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.evaluation import (
    CourseLM,
    HFCausalLM,
    MultipleChoiceItem,
    NgramIndex,
    SuffixAutomaton,
    bootstrap_interval,
    choose,
    detect_contamination,
    exact_match,
    extract_last_number,
    judge_pairs,
    loglikelihood,
    mean_with_se,
    naive_pass_at_k,
    normalize_text,
    normalized_words,
    paired_difference,
    pass_at_k,
    questions_needed,
    rolling_loglikelihood,
    score_multiple_choice,
    story_benchmark,
    token_windows,
    word_ngrams,
)
from course_lib.evaluation.ladder import LADDER, load_ladder_model
from course_lib.model import TransformerLM

TEXT = (
    "Once upon a time, there was a girl named Mia. She loved to paint. One day, Mia found a red kite in the park. "
    '"Can I fly it?" she asked her dad. Dad smiled and said, "Yes, but hold the string tight!"'
)


@pytest.fixture(scope="module")
def lm() -> CourseLM:
    torch.set_num_threads(1)  # a model this small only loses time to thread synchronisation
    return load_ladder_model("d64-s100")


@pytest.fixture(scope="module")
def short_lm(lm: CourseLM) -> CourseLM:
    """The same weights with a 16-token context, so texts need several windows."""
    return CourseLM(lm.model, lm.tokenizer, name="short", max_length=16)


def full_logprobs(lm: CourseLM, ids: list[int]) -> torch.Tensor:
    """log p(ids[i] | ids[:i]) for i >= 1 from one unbatched forward pass: (len(ids) - 1,)."""
    with torch.no_grad():
        logp = torch.log_softmax(lm.model(torch.tensor([ids]))[0].float(), -1)
    return logp[:-1].gather(-1, torch.tensor(ids[1:])[:, None])[:, 0]


def test_loglikelihood_matches_a_full_forward_pass_and_batching(lm: CourseLM) -> None:
    requests = [
        (TEXT[:60], " She"),
        (TEXT[:60], " It"),
        ("", "Once upon a time"),
        (TEXT[:100], " the red kite flew"),
        ("The cat sat ", "on the mat"),
    ]
    one = loglikelihood(lm, requests, batch_size=1)
    many = loglikelihood(lm, requests, batch_size=4)
    for (ctx, cont), a, b in zip(requests, one, many):
        stripped = ctx.rstrip()
        if stripped:  # trailing spaces belong to the continuation; score what follows the context's ids
            whole, start = lm.encode(stripped + ctx[len(stripped) :] + cont), len(lm.encode(stripped))
        else:
            whole, start = [lm.eot_id] + lm.encode(cont), 1
        ref = full_logprobs(lm, whole)[start - 1 :]
        assert a.num_tokens == len(whole) - start
        assert a.logprob == pytest.approx(float(ref.sum()), abs=1e-4)
        assert b.logprob == pytest.approx(a.logprob, abs=1e-4)
        assert a.is_greedy == b.is_greedy
    assert one[0].num_tokens == len(lm.encode(" She"))


def test_is_greedy_is_true_for_the_argmax_continuation(lm: CourseLM) -> None:
    ctx_ids = lm.encode(TEXT[:80])
    with torch.no_grad():
        nxt = int(lm.model(torch.tensor([ctx_ids]))[0, -1].argmax())
    res = loglikelihood(lm, [(TEXT[:80], lm.decode([nxt]))])[0]
    if lm.encode(TEXT[:80] + lm.decode([nxt]))[len(ctx_ids) :] == [nxt]:
        assert res.is_greedy


def test_long_context_is_cut_from_the_left(short_lm: CourseLM) -> None:
    ctx = TEXT[:120]
    res = loglikelihood(short_lm, [(ctx, " Mia")])[0]
    ids = (short_lm.encode(ctx) + short_lm.encode(ctx + " Mia")[len(short_lm.encode(ctx)) :])[-17:]
    assert res.logprob == pytest.approx(float(full_logprobs(short_lm, ids)[-res.num_tokens :].sum()), abs=1e-4)


def test_bad_inputs_raise_clear_errors(lm: CourseLM, short_lm: CourseLM) -> None:
    with pytest.raises(ValueError, match="more than the model's context"):
        loglikelihood(short_lm, [("Once", " " + TEXT)])
    with pytest.raises(ValueError, match="empty continuation"):
        loglikelihood(lm, [("Once", "")])
    with pytest.raises(ValueError, match="at least 2 choices"):
        MultipleChoiceItem("Once", (" upon",), 0)
    with pytest.raises(ValueError, match="empty choice"):
        MultipleChoiceItem("Once", (" upon", ""), 0)
    with pytest.raises(ValueError, match="gold index"):
        MultipleChoiceItem("Once", (" upon", " a"), 2)
    with pytest.raises(ValueError, match="no items"):
        score_multiple_choice(lm, [])
    small = load_ladder_model("d64-v512-s1200")
    with pytest.raises(ValueError, match="do not belong together"):
        CourseLM(small.model, lm.tokenizer)
    with pytest.raises(ValueError, match="max_length"):
        CourseLM(lm.model, lm.tokenizer, max_length=lm.max_length + 1)
    with pytest.raises(ValueError, match="empty text"):
        rolling_loglikelihood(lm, "")
    with pytest.raises(ValueError, match="stride"):
        rolling_loglikelihood(lm, TEXT, stride=lm.max_length + 1)


@pytest.mark.parametrize("n", [1, 5, 16, 17, 40, 100])
@pytest.mark.parametrize("context_len", [1, 4, 16])
def test_token_windows_match_lm_eval(n: int, context_len: int) -> None:
    from lm_eval.utils import get_rolling_token_windows

    tokens, prefix, max_len = list(range(1, n + 1)), 0, 16
    ref = list(get_rolling_token_windows(tokens, prefix, max_len, context_len))
    seq = [prefix] + tokens
    ours = [(seq[inp:end], tokens[t0:end]) for inp, t0, end in token_windows(n, max_len, max_len - context_len + 1)]
    assert ours == [(list(a), list(b)) for a, b in ref]


def test_rolling_loglikelihood_scores_every_token_once(short_lm: CourseLM, lm: CourseLM) -> None:
    ids = short_lm.encode(TEXT)
    exact = full_logprobs(lm, [lm.eot_id] + ids)  # the long model sees everything: the reference for stride=1
    one = rolling_loglikelihood(short_lm, TEXT, stride=1)
    assert one.num_tokens == len(ids)
    disjoint = rolling_loglikelihood(short_lm, TEXT)
    slide = rolling_loglikelihood(short_lm, TEXT, stride=4)
    manual = 0.0  # disjoint windows scored one by one
    for inp, t0, t1 in token_windows(len(ids), 16, 16):
        window = ([short_lm.eot_id] + ids)[inp : t1 + 1]
        manual += float(full_logprobs(short_lm, window)[t0 - inp :].sum())
    assert disjoint.logprob == pytest.approx(manual, abs=1e-3)
    full = rolling_loglikelihood(lm, TEXT)  # fits in one window of 256
    assert full.logprob == pytest.approx(float(exact.sum()), abs=1e-3)
    assert full.bits_per_byte == pytest.approx(-float(exact.sum()) / len(TEXT.encode()) / math.log(2), rel=1e-5)
    assert full.word_perplexity == pytest.approx(math.exp(-full.logprob / len(TEXT.split())), rel=1e-6)
    assert full.token_perplexity == pytest.approx(math.exp(-float(exact.mean())), rel=1e-5)
    assert full.byte_perplexity == pytest.approx(2**full.bits_per_byte, rel=1e-9)
    # More context never hurts on average: stride 1 (15 tokens of context) beats disjoint windows.
    assert one.logprob > disjoint.logprob and slide.logprob > disjoint.logprob


@pytest.mark.slow
def test_course_and_hf_wrappers_agree(lm: CourseLM) -> None:
    from transformers import PreTrainedTokenizerFast

    from course_lib.model import to_hf_llama
    from course_lib.tokenization.interop import to_hf

    hf_tok = PreTrainedTokenizerFast(tokenizer_object=to_hf(lm.tokenizer), eos_token="<|endoftext|>")
    hf = HFCausalLM(to_hf_llama(lm.model, attn_implementation="eager").eval(), hf_tok, max_length=lm.max_length)
    assert hf.encode(TEXT) == lm.encode(TEXT) and hf.eot_id == lm.eot_id
    requests = [(TEXT[:60], " She"), (TEXT[:60], " He")]
    for a, b in zip(loglikelihood(lm, requests), loglikelihood(hf, requests)):
        assert a.logprob == pytest.approx(b.logprob, abs=1e-3)
    assert rolling_loglikelihood(hf, TEXT).logprob == pytest.approx(rolling_loglikelihood(lm, TEXT).logprob, abs=1e-2)
    bigger = PreTrainedTokenizerFast(tokenizer_object=to_hf(lm.tokenizer), eos_token="<|endoftext|>")
    bigger.add_tokens([f"<extra{i}>" for i in range(lm.vocab_size)])
    with pytest.raises(ValueError, match="do not belong together"):
        HFCausalLM(hf.model, bigger)


def test_multiple_choice_rules() -> None:
    choices = (" éé", " bbb", " c")  # 3, 4, 2 characters; 5, 4, 2 bytes
    lls = [-4.0, -4.5, -3.0]
    assert choose(lls, choices, "acc") == 2  # the largest total
    assert choose(lls, choices, "acc_norm") == 1  # per character: -1.33, -1.125, -1.5
    assert choose(lls, choices, "acc_bytes") == 0  # per byte: -0.8, -1.125, -1.5
    with pytest.raises(ValueError, match="unknown rule"):
        choose(lls, choices, "acc_words")


def test_score_multiple_choice_uses_the_same_loglikelihoods(lm: CourseLM) -> None:
    items = story_benchmark("pronouns", 6)
    res = score_multiple_choice(lm, items)
    for item, lls in zip(items, res.logprobs):
        assert lls == pytest.approx(
            [r.logprob for r in loglikelihood(lm, [(item.context, c) for c in item.choices])], abs=1e-4
        )
    assert res.accuracy("acc") == pytest.approx(
        np.mean([choose(l, i.choices) == i.gold for l, i in zip(res.logprobs, items)])
    )


def test_answer_normalisation_and_extraction() -> None:
    from lm_eval.filters.extraction import RegexFilter

    assert exact_match("The  Red Kite!", "red kite") and not exact_match("a red kite", "blue kite")
    flexible = RegexFilter(regex_pattern=r"(-?[$0-9.,]{2,})|(-?[0-9]+)", group_select=-1)
    for text in [
        "so 3 + 4 = 7.",
        "It costs $1,200 in total",
        "no number here",
        "-5 then 12",
        "first 10, then 2.5",
        "answer: 42",
    ]:
        ref = list(flexible.apply([[text]], [{}]))[0][0]
        ours = extract_last_number(text)
        if ref == "[invalid]":
            assert ours is None
        else:
            assert ours == ref.replace("$", "").replace(",", "").rstrip(".")


@given(st.integers(1, 40), st.data())
@settings(max_examples=60, deadline=None)
def test_pass_at_k_is_the_exact_unbiased_estimator(n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, n))
    exact = 1 - Fraction(comb(n - c, k), comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)
    assert naive_pass_at_k(n, c, k) <= pass_at_k(n, c, k) + 1e-12


def test_pass_at_k_is_unbiased_by_simulation() -> None:
    rng = np.random.default_rng(0)
    p, n, k = 0.1, 10, 5
    passes = rng.random((20000, n)) < p
    estimates = [pass_at_k(n, int(c), k) for c in passes.sum(1)]
    assert np.mean(estimates) == pytest.approx(1 - (1 - p) ** k, abs=0.01)
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)


def test_statistics_match_scipy() -> None:
    from scipy import stats

    rng = np.random.default_rng(1)
    a = (rng.random(300) < 0.6).astype(float)
    b = np.where(rng.random(300) < 0.8, a, 1 - a)
    m = mean_with_se(a)
    assert m.se == pytest.approx(stats.sem(a), rel=1e-9)
    ours = bootstrap_interval(a, resamples=20000, seed=0)
    ref = stats.bootstrap((a,), np.mean, n_resamples=20000, method="percentile", rng=np.random.default_rng(0))
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.01)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.01)
    assert ours.se == pytest.approx(ref.standard_error, rel=0.05)
    paired = paired_difference(a, b, resamples=20000)
    assert paired.estimate == pytest.approx(np.mean(a - b))
    assert paired.se == pytest.approx(stats.sem(a - b), rel=0.05)
    with pytest.raises(ValueError, match="same questions"):
        paired_difference(a, b[:-1])
    with pytest.raises(ValueError, match="at least 2"):
        mean_with_se([1.0])


def test_questions_needed_gives_the_promised_power() -> None:
    from scipy import stats

    p, d = 0.6, 0.05
    n = questions_needed(p, d)
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    assert n == math.ceil(z * z * 2 * p * (1 - p) / d**2)
    rng = np.random.default_rng(0)  # simulate: two models on independent question sets of size n
    a = rng.binomial(n, p + d, 4000) / n
    b = rng.binomial(n, p, 4000) / n
    se = np.sqrt(a * (1 - a) / n + b * (1 - b) / n)
    power = np.mean((a - b) / se > stats.norm.ppf(0.975))
    assert power == pytest.approx(0.8, abs=0.03)
    assert questions_needed(p, d, paired_disagreement=0.2) < n


def test_normalisation_and_ngrams_match_lm_eval_janitor() -> None:
    from lm_eval.decontamination.janitor import Janitor
    from lm_eval.decontamination.janitor import word_ngrams as janitor_ngrams

    janitor = Janitor(ngram_n=13)
    for text in [TEXT, "Hello, World!  It's   fine.\nNew-line", "short one"]:
        assert normalize_text(text) == janitor.normalize_string(text)
        assert word_ngrams(normalized_words(text), 13) == list(janitor_ngrams(janitor.normalize_string(text), 13))
    index = NgramIndex([TEXT], n=13)
    assert index.contains("Intro. " + TEXT[20:140] + " outro") and index.overlap(TEXT) == 1.0
    assert not index.contains("Once upon a time there was a boy named Tom who liked to paint every day")
    with pytest.raises(ValueError):
        NgramIndex([TEXT], n=0)


@given(st.lists(st.integers(0, 3), max_size=40), st.lists(st.integers(0, 3), max_size=40))
@settings(max_examples=200, deadline=None)
def test_suffix_automaton_finds_the_longest_common_substring(a: list[int], b: list[int]) -> None:
    length, end = SuffixAutomaton(a).longest_match(b)
    ref = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    assert length == ref.size
    if length:
        window = b[end - length : end]
        assert any(a[i : i + length] == window for i in range(len(a) - length + 1))


def test_detect_contamination_flags_planted_items() -> None:
    items = [it.context for it in story_benchmark("names", 6)]
    rng = random.Random(0)
    planted = {1, 4}
    training = ["Some unrelated story about a fox and a bear who went fishing."]
    training += [f"Header {i}. " + items[i] + " The end." for i in planted]
    rng.shuffle(training)
    report = detect_contamination(items, training)
    assert {i for i, f in enumerate(report.flagged) if f} == planted
    for i in planted:
        assert report.longest_shared[i] == len(normalized_words(items[i]))
        assert report.overlap[i] == 1.0
    assert max(report.longest_shared[i] for i in range(6) if i not in planted) < 13


def test_story_benchmark_items_are_consistent_with_the_stories() -> None:
    from course_lib.corpora import embedded_corpus

    text = embedded_corpus("validation", 0.8).read_text()
    for task, n_choices in (("names", 4), ("pronouns", 2)):
        items = story_benchmark(task, 30)
        assert items == story_benchmark(task, 30)  # deterministic
        for item in items:
            assert len(item.choices) == n_choices
            assert item.context + item.choices[item.gold] in text  # the right answer is what the story says
        if task == "names":
            for item in items:
                wrong = [c for i, c in enumerate(item.choices) if i != item.gold]
                story = text[text.index(item.context) :].split("<|endoftext|>")[0]
                assert not any(c.strip() in story for c in wrong)
    with pytest.raises(ValueError, match="unknown task"):
        story_benchmark("colours")
    with pytest.raises(ValueError, match="only"):
        story_benchmark("pronouns", 10**6)


def test_judge_on_identical_answers_has_opposite_margins(lm: CourseLM) -> None:
    v = judge_pairs(lm, [("The cat sat.", "The cat sat."), ("A dog ran.", "A bird sang.")])
    assert v.margin_xy[0] == pytest.approx(v.margin_yx[0], abs=1e-5)
    assert 0 <= v.first_slot_rate <= 1 and 0 <= v.consistency <= 1
    with pytest.raises(ValueError, match="slots"):
        judge_pairs(lm, [("a", "b")], template="Which? {a}")


def test_ladder_checkpoints_load_with_their_configs() -> None:
    for name, spec in LADDER.items():
        lm = load_ladder_model(name)
        assert isinstance(lm.model, TransformerLM) and lm.model.config == spec.model
        assert lm.tokenizer.vocab_size == spec.corpus_vocab
    with pytest.raises(FileNotFoundError, match="eval-ladder"):
        load_ladder_model("nope")
