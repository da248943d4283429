"""The course's pipeline as datatrove steps, run by datatrove's executors (local or Slurm).

    stages = datatrove_pipeline(warc_folder, work_folder, config)     # three stages
    run_local(stages, tasks=2, workers=2)                               # LocalPipelineExecutor
    read_output(work_folder)                                            # [(id, text)] in crawl order

Stage 1 (``tasks`` in parallel, one shard of WARC files each): :class:`CourseWarcReader` ->
:class:`CourseCleaner` (extraction, language, Gopher, harmful, PII: the stateless stages) ->
:class:`CourseMinHashSigner` (writes each rank's hashes and MinHash signatures) -> ``JsonlWriter``.
Stage 2 (one task): :class:`CourseDedupClusterer` reads every rank's signatures and writes the ids
to remove. Stage 3 (``tasks`` in parallel): ``JsonlReader`` -> :class:`CourseDedupFilter` ->
``JsonlWriter``. This is the shape of datatrove's own MinHash deduplication (signatures, buckets,
clusters, filter), with the course's functions inside.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.writers import JsonlWriter

from course_lib.data.dedup import doc_hash
from course_lib.data.minhash import minhash_signatures
from course_lib.data.pipeline import PipelineConfig, clean_document, dedup_from_signatures
from course_lib.data.warc import iter_warc

__all__ = [
    "CourseWarcReader",
    "CourseCleaner",
    "CourseMinHashSigner",
    "CourseDedupClusterer",
    "CourseDedupFilter",
    "datatrove_pipeline",
    "run_local",
    "read_output",
]


class CourseWarcReader(BaseDiskReader):
    """WARC/WET files (through :func:`course_lib.data.warc.iter_warc`) as documents: ``id`` is the
    URL, ``text`` the HTML (or WET text), metadata ``order`` = ``[file name, record position]``."""

    name = "course WARC reader"

    def read_file(self, filepath: str) -> DocumentsPipeline:
        local = self.data_folder.resolve_paths(filepath)
        for i, rec in enumerate(iter_warc(local)):
            with self.track_time():
                doc = self.get_document_from_dict(
                    {
                        "text": rec.payload.decode("utf-8", errors="replace"),
                        "id": rec.url,
                        "metadata": {"order": [os.path.basename(filepath), i]},
                    },
                    filepath,
                    i,
                )
            if doc:
                yield doc


class CourseCleaner(BaseFilter):
    """:func:`course_lib.data.pipeline.clean_document`: replaces ``doc.text`` by the cleaned text,
    or drops the document with the stage's reason."""

    name = "course cleaner"

    def __init__(self, config: PipelineConfig) -> None:
        super().__init__()
        self.config = config

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        text, reason = clean_document(doc.text, self.config)
        if text is None:
            return False, str(reason)
        doc.text = text
        return True


class CourseMinHashSigner(PipelineStep):
    """Passes documents through and writes ``{rank:05d}.npz`` to ``folder``: their ids, order keys,
    exact hashes and MinHash signatures (computed in one vectorised batch per rank)."""

    name = "course MinHash signatures"
    type = "dedup"

    def __init__(self, folder: str, config: PipelineConfig) -> None:
        super().__init__()
        self.folder, self.config = folder, config

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        docs = list(data) if data is not None else []
        sig = minhash_signatures([d.text for d in docs], self.config.num_perm, self.config.ngram, self.config.seed)
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        tmp = Path(self.folder) / f".{rank:05d}.tmp.npz"
        np.savez(
            tmp,
            ids=np.array([d.id for d in docs], dtype=object),
            sig=sig,
            order=np.array([json.dumps(d.metadata["order"]) for d in docs], dtype=object),
            hashes=np.array([doc_hash(d.text) for d in docs], dtype=object),
        )
        os.replace(tmp, Path(self.folder) / f"{rank:05d}.npz")
        yield from docs


class CourseDedupClusterer(PipelineStep):
    """Reads every rank's signatures, orders documents by their order key, and writes the ids to
    remove (:func:`course_lib.data.pipeline.dedup_from_signatures`) to ``remove_file`` as JSON."""

    name = "course dedup clusters"
    type = "dedup"

    def __init__(self, signature_folder: str, remove_file: str, config: PipelineConfig) -> None:
        super().__init__()
        self.signature_folder, self.remove_file, self.config = signature_folder, remove_file, config

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"the clustering stage runs as one task, got world_size={world_size}")
        rows: list[tuple[Any, str, bytes, np.ndarray]] = []
        for f in sorted(Path(self.signature_folder).glob("[0-9]*.npz")):
            z = np.load(f, allow_pickle=True)
            rows.extend(zip([json.loads(o) for o in z["order"]], z["ids"], z["hashes"], z["sig"]))
        rows.sort(key=lambda r: (r[0][0], r[0][1]))
        sig = np.stack([r[3] for r in rows]) if rows else np.zeros((0, self.config.num_perm), dtype=np.uint32)
        reasons = dedup_from_signatures([r[2] for r in rows], sig, self.config)
        removed = {str(r[1]): reason for r, reason in zip(rows, reasons) if reason}
        for reason in removed.values():
            self.stat_update(reason)
        Path(self.remove_file).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{self.remove_file}.tmp")
        tmp.write_text(json.dumps(removed, sort_keys=True))
        os.replace(tmp, self.remove_file)
        return
        yield  # a generator that yields nothing


class CourseDedupFilter(BaseFilter):
    """Drops the documents whose id is in ``remove_file`` (written by :class:`CourseDedupClusterer`)."""

    name = "course dedup filter"

    def __init__(self, remove_file: str) -> None:
        super().__init__()
        self.remove_file = remove_file
        self._removed: dict[str, str] | None = None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._removed is None:
            self._removed = json.loads(Path(self.remove_file).read_text())
        reason = self._removed.get(doc.id)
        return (False, reason) if reason else True


def datatrove_pipeline(
    warc_folder: str | os.PathLike[str], work_folder: str | os.PathLike[str], config: PipelineConfig | None = None
) -> list[list[PipelineStep]]:
    """The three stages' step lists (see the module docstring) for the ``*.warc.gz`` files of
    ``warc_folder``; outputs go under ``work_folder``."""
    config = config or PipelineConfig()
    work = Path(work_folder)
    return [
        [
            CourseWarcReader(str(warc_folder), glob_pattern="*.warc.gz"),
            CourseCleaner(config),
            CourseMinHashSigner(str(work / "signatures"), config),
            JsonlWriter(str(work / "cleaned"), output_filename="${rank}.jsonl", compression=None),
        ],
        [CourseDedupClusterer(str(work / "signatures"), str(work / "remove.json"), config)],
        [
            JsonlReader(str(work / "cleaned")),
            CourseDedupFilter(str(work / "remove.json")),
            JsonlWriter(str(work / "output"), output_filename="${rank}.jsonl", compression=None),
        ],
    ]


def run_local(
    stages: list[list[PipelineStep]],
    work_folder: str | os.PathLike[str],
    tasks: int = 2,
    workers: int = 2,
    quiet: bool = True,
) -> None:
    """Run the stages one after the other with datatrove's ``LocalPipelineExecutor`` (stage 2 as
    one task); logs go to ``work_folder/logs/stageN``, and with ``quiet`` only there (datatrove
    also prints them to stderr, several screens per stage). Tasks that completed in an earlier,
    interrupted run into the same ``work_folder`` are skipped (datatrove's resume), so use a fresh
    folder after changing the configuration."""
    from datatrove.executor import LocalPipelineExecutor
    from loguru import logger

    previous = None
    for n, steps in enumerate(stages, 1):
        t = 1 if any(isinstance(s, CourseDedupClusterer) for s in steps) else tasks
        executor = LocalPipelineExecutor(
            pipeline=steps,
            tasks=t,
            workers=min(workers, t),
            depends=previous,
            logging_dir=str(Path(work_folder) / "logs" / f"stage{n}"),
            start_method="fork",
        )
        previous = executor
    if not quiet:
        previous.run()
        return
    logger.remove()
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            previous.run()
    finally:
        logger.add(sys.stderr)  # loguru's default handler back


def read_output(work_folder: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """The pipeline's surviving ``(id, text)`` pairs, in crawl order (the order keys)."""
    rows = []
    for f in sorted((Path(work_folder) / "output").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                rows.append((tuple(d["metadata"]["order"]), d["id"], d["text"]))
    rows.sort()
    return [(rid, text) for _, rid, text in rows]
