"""WARC files, read and written with warcio: the crawl's on-disk format, and Common Crawl's.

    write_warc(crawl.pages, "crawl.warc.gz")            # response records + a labels sidecar
    for rec in iter_warc("crawl.warc.gz"):               # also Common Crawl WARC and WET files
        rec.url, rec.kind, rec.payload                   # kind "html" (response) or "text" (WET)
    pages = read_crawl("crawl.warc.gz")                  # Page objects with their labels again

Ground-truth labels travel in a JSON-lines sidecar (``<warc>.labels.jsonl``), keyed by URL, so the
WARC file itself is exactly what a crawler writes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from course_lib.data.crawl import Page, PageLabels

__all__ = ["WarcDocument", "write_warc", "iter_warc", "read_crawl", "labels_path", "WarcFormatError"]

_DATE = "2024-01-01T00:00:00Z"  # fixed, so the same crawl gives byte-identical files


class WarcFormatError(ValueError):
    """A WARC file that cannot be parsed (truncated, not a WARC, corrupt compression)."""


@dataclass(frozen=True)
class WarcDocument:
    """One usable record: ``kind`` is ``"html"`` for an HTTP response (``payload`` is the body's
    bytes) and ``"text"`` for a WET conversion record (``payload`` is UTF-8 text bytes)."""

    url: str
    record_id: str
    kind: str
    payload: bytes


def labels_path(warc_path: str | os.PathLike[str]) -> Path:
    """Where :func:`write_warc` puts the labels of ``warc_path``."""
    return Path(f"{warc_path}.labels.jsonl")


def write_warc(pages: Iterable[Page], path: str | os.PathLike[str], *, gzip: bool = True) -> Path:
    """Write ``pages`` as WARC/1.0 ``response`` records (HTTP 200, ``text/html; charset=utf-8``)
    and their labels beside it. Record ids derive from the URLs and the date is fixed, so the same
    pages give byte-identical files. Written under a temporary name and renamed when complete."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    labels = []
    with open(tmp, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for page in pages:
            body = page.html.encode("utf-8")
            http = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            rid = f"<urn:uuid:{uuid.UUID(bytes=hashlib.md5(page.url.encode()).digest())}>"
            record = writer.create_warc_record(
                page.url,
                "response",
                payload=io.BytesIO(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": _DATE, "WARC-Record-ID": rid},
            )
            writer.write_record(record)
            labels.append(json.dumps(page.labels.to_dict(), ensure_ascii=False))
    labels_tmp = labels_path(tmp)
    labels_tmp.write_text("\n".join(labels) + "\n", encoding="utf-8")
    os.replace(labels_tmp, labels_path(path))
    os.replace(tmp, path)
    return path


def iter_warc(path: str | os.PathLike[str]) -> Iterator[WarcDocument]:
    """The ``response`` records (HTML) and WET ``conversion`` records (text) of a WARC file,
    gzip-compressed or not; other record types (request, metadata, warcinfo) are skipped.

    Raises ``FileNotFoundError`` for a missing file and :class:`WarcFormatError` naming the file
    and the record's position for a truncated or corrupt file.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no WARC file at {path}")
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as probe:
            head = probe.read(5)
    except (OSError, EOFError) as e:
        raise WarcFormatError(f"{path}: cannot read ({type(e).__name__}: {e})") from e
    if head != b"WARC/":
        raise WarcFormatError(f"{path}: not a WARC file (it starts with {head!r}, expected b'WARC/')")
    n = 0
    # Python's gzip module (not warcio's own reader) raises on a truncated gzip member.
    with gzip.open(path, "rb") if compressed else open(path, "rb") as fh:
        try:
            for record in ArchiveIterator(fh):
                n += 1
                kind = {"response": "html", "conversion": "text"}.get(record.rec_type)
                payload = record.raw_stream.read()
                header_len = record.http_headers.total_len if record.http_headers is not None else 0
                if record.length is not None and header_len + len(payload) != record.length:
                    raise WarcFormatError(
                        f"{path}: record {n} is truncated ({header_len + len(payload)} of {record.length} bytes)"
                    )
                if kind is None:
                    continue
                if (
                    kind == "html"
                    and record.http_headers is not None
                    and not (record.http_headers.get_statuscode() or "").startswith("2")
                ):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                yield WarcDocument(url, record.rec_headers.get_header("WARC-Record-ID") or "", kind, payload)
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as e:
            if isinstance(e, WarcFormatError):
                raise
            raise WarcFormatError(
                f"{path}: cannot read record {n + 1} ({type(e).__name__}: {e}); is the file a complete WARC/WET file?"
            ) from e


def read_crawl(path: str | os.PathLike[str]) -> list[Page]:
    """The pages of a crawl written by :func:`write_warc`, with their labels (from the sidecar)."""
    sidecar = labels_path(path)
    if not sidecar.is_file():
        raise FileNotFoundError(f"no labels file {sidecar} beside {path} (write the crawl with write_warc)")
    labels = {}
    for line in sidecar.read_text(encoding="utf-8").splitlines():
        if line.strip():
            lab = PageLabels.from_dict(json.loads(line))
            labels[lab.url] = lab
    pages = []
    for doc in iter_warc(path):
        if doc.url not in labels:
            raise ValueError(f"{path}: record for {doc.url} has no labels in {sidecar}")
        pages.append(Page(doc.url, doc.payload.decode("utf-8"), labels[doc.url]))
    return pages
