"""Tests of course_lib.corpora: the embedded story corpus, the file format, the real-corpus loaders."""

from __future__ import annotations

import functools
import gzip
import http.server
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from course_lib.corpora import EOT, CorpusDownloadError, embedded_corpus, iter_documents, real_corpus, stories
from course_lib.corpora import words as W

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE", str(cache))
    return cache


# --- embedded corpus ------------------------------------------------------------------------------


def test_file_is_in_cache_and_holds_whole_documents_of_requested_size(_cache: Path) -> None:
    path = embedded_corpus("train", 0.3)
    assert path.parent == _cache / "corpora"
    data = path.read_bytes()
    assert len(data) >= 300_000
    docs = list(iter_documents(path))
    # at most one story beyond the target: the file minus its last record is below the target
    last_record = (docs[-1] + EOT + "\n").encode()
    assert len(data) - len(last_record) < 300_000
    # exact layout: each document followed by EOT and a newline, nothing else
    assert data.decode("utf-8") == "".join(d + EOT + "\n" for d in docs)


def test_documents_have_no_stray_separator_and_no_surrounding_space() -> None:
    docs = list(iter_documents(embedded_corpus("validation", 0.2)))
    assert len(docs) > 100
    for doc in docs:
        assert EOT not in doc and "<|" not in doc and doc == doc.strip()


def _generate_in_subprocess(cache: Path, hashseed: str) -> bytes:
    code = "from course_lib.corpora import embedded_corpus; print(embedded_corpus('train', 0.25, seed=3))"
    env = dict(os.environ, COURSE_CACHE=str(cache), PYTHONHASHSEED=hashseed)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip()).read_bytes()


def test_two_processes_produce_byte_identical_files(tmp_path: Path) -> None:
    a = _generate_in_subprocess(tmp_path / "a", "1")
    b = _generate_in_subprocess(tmp_path / "b", "12345")
    assert a == b and len(a) >= 250_000


def test_seeds_and_splits_give_different_disjoint_streams() -> None:
    train = set(iter_documents(embedded_corpus("train", 0.5)))
    valid = set(iter_documents(embedded_corpus("validation", 0.5)))
    other_seed = set(iter_documents(embedded_corpus("train", 0.5, seed=1)))
    assert len(train) > 500 and len(valid) > 500
    assert not train & valid
    assert not train & other_seed


def test_smaller_corpus_is_a_prefix_of_a_larger_one() -> None:
    small = embedded_corpus("validation", 0.1, seed=2).read_bytes()
    large = embedded_corpus("validation", 0.3, seed=2).read_bytes()
    assert len(large) > 2 * len(small) and large.startswith(small)


def test_second_call_reuses_the_cached_file(monkeypatch: pytest.MonkeyPatch) -> None:
    path = embedded_corpus("train", 0.1)
    stamp = path.stat().st_mtime_ns

    import course_lib.corpora.embedded as embedded

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("regenerated a cached corpus")

    monkeypatch.setattr(embedded, "write_documents", fail)
    assert embedded_corpus("train", 0.1) == path
    assert path.stat().st_mtime_ns == stamp


def test_no_temporary_files_left_behind(_cache: Path) -> None:
    embedded_corpus("train", 0.1)
    assert [p.name for p in (_cache / "corpora").iterdir()] == [embedded_corpus("train", 0.1).name]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"split": "test"}, ValueError, "unknown split"),
        ({"megabytes": 0}, ValueError, "positive"),
        ({"megabytes": -1.0}, ValueError, "positive"),
        ({"megabytes": float("nan")}, ValueError, "finite"),
        ({"megabytes": "2"}, TypeError, "number"),
        ({"seed": 1.5}, TypeError, "int"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        embedded_corpus(**kwargs)


def test_iter_documents_streams_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import course_lib.corpora.textfile as textfile

    monkeypatch.setattr(textfile, "_CHUNK", 7)  # separators straddle many chunk boundaries
    docs = ["alpha beta", "gamma\n\ndelta", "épsilon 🙂"]
    path = tmp_path / "c.txt"
    path.write_text("".join(d + EOT + "\n" for d in docs), encoding="utf-8")
    assert list(iter_documents(path)) == docs
    with pytest.raises(FileNotFoundError, match="no corpus file"):
        next(iter_documents(tmp_path / "missing.txt"))


WORD = re.compile(r"[A-Za-z]+(?:[-'][A-Za-z]+)*")


def test_vocabulary_is_rich() -> None:
    """Distinct word types in 1 MB of stories (measured: about 5,100; 6,600 in 2 MB, 13,700 in 20 MB).

    A BPE tokenizer trained to a 10k vocabulary only learns subwords and merges that mean something
    when the corpus has thousands of word types with a long tail of rare ones (Zipf's law); with a
    few hundred types it would memorise every word whole and stop early. 4,000 is a floor well
    below the measurement, above what the story templates alone (without the word lists) produce.
    """
    text = embedded_corpus("train", 1.0).read_text(encoding="utf-8")
    counts: dict[str, int] = {}
    for word in WORD.findall(text):
        counts[word] = counts.get(word, 0) + 1
    assert len(counts) > 4000
    rare = sum(1 for c in counts.values() if c <= 3)
    assert rare > 0.2 * len(counts)  # a long tail, as in natural text


def test_bpe_learns_most_of_a_10k_vocabulary() -> None:
    """HF tokenizers' byte-level BPE, asked for 10,000 tokens on 1 MB, finds at least 7,000 (measured ~8,500; 10,000 on 2 MB)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=10_000,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(iter_documents(embedded_corpus("train", 1.0)), trainer)
    assert tokenizer.get_vocab_size() > 7000


# --- the story generator ---------------------------------------------------------------------------


def _sample(n: int = 400, seed: str = "test") -> list[str]:
    return list(itertools.islice(stories.iter_stories(seed), n))


def test_stories_are_80_to_400_words() -> None:
    lengths = [len(story.split()) for story in _sample()]
    assert min(lengths) >= 80 and max(lengths) <= 400
    assert max(lengths) - min(lengths) > 150  # lengths vary


def test_sentences_start_with_capitals_and_quotes_are_balanced() -> None:
    for story in _sample():
        assert "{" not in story and "}" not in story and "  " not in story
        for paragraph in story.split("\n\n"):
            assert paragraph[0].isupper() or paragraph[0] == '"', paragraph
            assert paragraph.count('"') % 2 == 0, paragraph
            parts = paragraph.split('"')  # odd parts are quoted
            for before, quoted in zip(parts[0::2], parts[1::2]):
                continued = before.endswith(", ") and before.count(" ") <= 3  # "Hi," said Tom, "how are you?"
                assert quoted[0].isupper() or continued, paragraph
            assert not re.search(r"[.!?] [a-z]", paragraph), paragraph


_A_BEFORE_VOWEL = ("uni", "use", "usu", "uku", "one", "eu")  # "a unicorn", "a one-eyed cat"
_AN_BEFORE_CONSONANT = ("hour", "honest", "honor")


def _check_articles(text: str) -> int:
    """Assert every "a"/"an" agrees with the sound of the next word; returns how many were checked."""
    pairs = re.findall(r"\b([Aa]n?) ([A-Za-z][\w-]*)", text)
    for article, word in pairs:
        low = word.lower()
        vowel_sound = (low[0] in "aeiou" and not low.startswith(_A_BEFORE_VOWEL)) or low.startswith(
            _AN_BEFORE_CONSONANT
        )
        assert article.lower() == ("an" if vowel_sound else "a"), f"{article} {word} in {text!r}"
    return len(pairs)


def test_indefinite_articles_agree_with_the_next_word() -> None:
    assert _check_articles("\n".join(_sample())) > 1000


def test_every_template_fills_without_unknown_slots() -> None:
    rng = random.Random(0)
    ctx = stories._context(rng)
    templates = [*stories._INTRO, *stories._DESCRIBE, *stories._EPISODES, *stories._ENDINGS, *stories._SEQUEL]
    templates += [alt for plot in stories._PLOTS for beat in plot for alt in beat]
    for template in templates:
        for _ in range(20):  # fresh draws for the slots that are not story-wide
            filled = stories._fill(template, rng, ctx)
            assert "{" not in filled and filled.lstrip('"')[0].isupper(), template
            _check_articles(filled)
    with pytest.raises(KeyError, match="unknown story slot"):
        stories._fill("{nonsense}", rng, ctx)


def test_characters_recur_with_consistent_pronouns() -> None:
    checked = 0
    for seed in range(300):
        ctx = stories._context(random.Random(seed))  # the first thing generate_story draws
        story = stories.generate_story(random.Random(seed))
        assert story.count(ctx["H"]) >= 2
        assert (ctx["H"] in W.GIRL_NAMES) == (ctx["he"] == "she")
        assert (ctx["F"] in W.GIRL_NAMES) == (ctx["fhe"] == "she")
        genders = {ctx["he"], ctx["fhe"], ctx["phe"]}
        if len(genders) == 1:  # everyone is "she" (or everyone "he"): no pronoun of the other kind
            other = r"\b(he|him|his|himself)\b" if genders == {"she"} else r"\b(she|her|hers|herself)\b"
            assert not re.search(other, story, flags=re.IGNORECASE), story
            checked += 1
    assert checked > 30


def test_word_lists_have_no_duplicates() -> None:
    for name in W.__all__:
        value = getattr(W, name)
        if isinstance(value, tuple):
            assert len(set(value)) == len(value), name
    assert not set(W.GIRL_NAMES) & set(W.BOY_NAMES)  # a name tells the pronoun


@pytest.mark.parametrize(
    ("verb", "past", "ing", "third"),
    [
        ("play", "played", "playing", "plays"),
        ("bake", "baked", "baking", "bakes"),
        ("hop", "hopped", "hopping", "hops"),
        ("carry", "carried", "carrying", "carries"),
        ("fly a kite", "flew a kite", "flying a kite", "flies a kite"),
        ("tie", "tied", "tying", "ties"),
        ("see", "saw", "seeing", "sees"),
        ("go fishing", "went fishing", "going fishing", "goes fishing"),
        ("wash the dishes", "washed the dishes", "washing the dishes", "washes the dishes"),
        ("swim", "swam", "swimming", "swims"),
        ("picnic", "picnicked", "picnicking", "picnics"),
        ("sled down the hill", "sledded down the hill", "sledding down the hill", "sleds down the hill"),
        ("dig up", "dug up", "digging up", "digs up"),
        ("have", "had", "having", "has"),
        ("open", "opened", "opening", "opens"),
        ("visit", "visited", "visiting", "visits"),
    ],
)
def test_verb_inflection(verb: str, past: str, ing: str, third: str) -> None:
    assert (W.past(verb), W.ing(verb), W.third_person(verb)) == (past, ing, third)


def test_plurals_articles_and_degrees() -> None:
    plurals = {
        "fox": "foxes",
        "puppy": "puppies",
        "toy": "toys",
        "mouse": "mice",
        "leaf": "leaves",
        "teddy bear": "teddy bears",
        "goldfish": "goldfish",
        "snowman": "snowmen",
        "potato": "potatoes",
        "sheep": "sheep",
        "bus": "buses",
        "brush": "brushes",
        "calf": "calves",
    }
    assert {n: W.plural(n) for n in plurals} == plurals
    articles = {
        "owl": "an owl",
        "unicorn": "a unicorn",
        "hour": "an hour",
        "egg": "an egg",
        "ukulele": "a ukulele",
        "kite": "a kite",
        "umbrella": "an umbrella",
    }
    assert {n: W.article(n) for n in articles} == articles
    degrees = {
        "big": ("bigger", "biggest"),
        "happy": ("happier", "happiest"),
        "brave": ("braver", "bravest"),
        "young": ("younger", "youngest"),
        "gentle": ("gentler", "gentlest"),
        "quiet": ("quieter", "quietest"),
        "beautiful": ("more beautiful", "most beautiful"),
        "curious": ("more curious", "most curious"),
    }
    assert {a: (W.comparative(a), W.superlative(a)) for a in degrees} == degrees


def test_course_corpus_command(capsys: pytest.CaptureFixture[str]) -> None:
    from course_lib.tools.cli import main

    assert main(["corpus", "--megabytes", "0.05", "--split", "validation", "--sample"]) == 0
    out = capsys.readouterr().out
    path = Path(re.search(r"path:\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"documents:\s+([\d,]+)", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert count == len(list(iter_documents(path))) and "MB" in out
    assert main(["corpus", "tinystories", "--source", "http://127.0.0.1:9/x.txt"]) == 1
    assert "embedded_corpus" in capsys.readouterr().err


# --- real corpora, from small local files in their public formats -------------------------------------

STORIES = [
    "Once upon a time, there was a cat.\nThe cat was happy.",
    "Tom had a red ball. \u201cHi!\u201d said Tom.",
    "The end of a story \u00e9\u00e8.",
]


def _tinystories_txt(path: Path) -> Path:
    # TinyStoriesV2-GPT4-*.txt layout: a story, a line with the separator, the next story
    path.write_text("\n".join(f"{s}\n{EOT}" for s in STORIES) + "\n", encoding="utf-8")
    return path


def _read(path: Path) -> list[str]:
    return list(iter_documents(path))


def test_tinystories_text_file(tmp_path: Path, _cache: Path) -> None:
    out = real_corpus("tinystories", "train", source=_tinystories_txt(tmp_path / "TinyStoriesV2-GPT4-train.txt"))
    assert out.parent == _cache / "corpora"
    assert _read(out) == STORIES
    assert out.read_text(encoding="utf-8") == "".join(s + EOT + "\n" for s in STORIES)


def test_owt_gzipped_text_with_windows_newlines(tmp_path: Path) -> None:
    docs = ["A web page.\n\nWith two paragraphs.", "Another page, with a tab\there."]
    src = tmp_path / "owt_valid.txt.gz"
    with gzip.open(src, "wt", encoding="utf-8", newline="") as f:
        f.write(EOT.join(d.replace("\n", "\r\n") for d in docs))
    assert _read(real_corpus("owt", "validation", source=src)) == docs


def test_jsonl_with_text_field_gzipped_or_not(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"text": s, "meta": i}) + "\n" for i, s in enumerate(STORIES))
    (tmp_path / "a.jsonl").write_text(lines + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(lines)
    assert _read(real_corpus("owt", source=tmp_path / "a.jsonl")) == STORIES
    assert _read(real_corpus("owt", source=tmp_path / "b.jsonl.gz")) == STORIES


def _shard(records: list[dict]) -> str:
    return json.dumps(records, indent=1)


def test_tinystories_json_shards_folder_and_tarball(tmp_path: Path) -> None:
    folder = tmp_path / "TinyStories_all_data"
    folder.mkdir()
    # the original shards: JSON arrays of objects with "story" among other fields
    (folder / "data01.json").write_text(_shard([{"story": STORIES[2], "instruction": {}, "source": "GPT-4"}]))
    (folder / "data00.json").write_text(_shard([{"story": s, "summary": "x"} for s in STORIES[:2]]))
    (folder / "README.md").write_text("not a corpus file")
    assert _read(real_corpus("tinystories", source=folder)) == STORIES  # shards in name order
    archive = tmp_path / "TinyStories_all_data.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=".")
    assert _read(real_corpus("tinystories", source=archive)) == STORIES


def test_separator_inside_a_json_document_splits_it(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps({"text": f"first {EOT} second"}) + "\n")
    assert _read(real_corpus("owt", source=tmp_path / "x.jsonl")) == ["first", "second"]


def test_local_source_is_cached_and_reread_when_changed(tmp_path: Path) -> None:
    src = _tinystories_txt(tmp_path / "stories.txt")
    first = real_corpus("tinystories", source=src)
    assert real_corpus("tinystories", source=src) == first
    src.write_text(f"Only one story now.{EOT}", encoding="utf-8")
    os.utime(src, ns=(1, 1))  # a different modification time, whatever the clock's resolution
    second = real_corpus("tinystories", source=src)
    assert second != first and _read(second) == ["Only one story now."]


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        ('{"title": "no text here"}\n', "x.jsonl", "'text' or 'story'"),
        ("{not json\n", "x.jsonl", "line 1"),
        ("[1, 2", "x.json", "not valid JSON"),
        ("   \n", "x.txt", "no documents"),
    ],
)
def test_malformed_local_files_raise_clear_errors(tmp_path: Path, content: str, name: str, match: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ValueError, match=match):
        real_corpus("owt", source=tmp_path / name)


def test_bad_real_corpus_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown corpus 'wikipedia'"):
        real_corpus("wikipedia")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown split 'test'"):
        real_corpus("owt", "test")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="no file or folder at .*missing.txt"):
        real_corpus("owt", source=tmp_path / "missing.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no corpus files"):
        real_corpus("owt", source=tmp_path / "empty")


def test_offline_download_fails_with_advice(_cache: Path) -> None:
    # port 9 (discard) on the loopback interface: connection refused at once, no network involved
    with pytest.raises(CorpusDownloadError) as info:
        real_corpus("tinystories", "validation", source="http://127.0.0.1:9/TinyStoriesV2-GPT4-valid.txt", timeout=5)
    message = str(info.value)
    assert "could not download the tinystories validation corpus" in message
    assert "embedded_corpus(" in message and "source=" in message
    assert not any((_cache / "corpora").rglob("*.txt*"))  # no partial file left


def test_download_over_loopback_http(tmp_path: Path) -> None:
    """The download path end to end, served by a local HTTP server on 127.0.0.1 (no network)."""
    served = tmp_path / "served"
    served.mkdir()
    with gzip.open(served / "owt_train.txt.gz", "wt", encoding="utf-8") as f:
        f.write(EOT.join(STORIES))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/owt_train.txt.gz"
            path = real_corpus("owt", "train", source=url, timeout=10)
            assert _read(path) == STORIES
            assert real_corpus("owt", "train", source=url, timeout=10) == path  # cached
        finally:
            server.shutdown()
            thread.join()
    assert not list((path.parent / "downloads").iterdir())  # the raw download is not kept
