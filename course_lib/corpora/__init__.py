"""The course's text corpora.

- ``embedded_corpus()``: the default, generated children's stories in the TinyStories style; no
  network, deterministic, as many megabytes as asked for, cached after the first call.
- ``real_corpus()``: TinyStories and an OpenWebText sample in their public formats, downloaded (or
  read from a local file) once and normalised to the same file format.
- ``iter_documents()``: stream the documents of such a file.

Format of every corpus file: UTF-8, each document followed by ``EOT`` (``"<|endoftext|>"``) and a
newline.
"""

from course_lib.corpora.embedded import embedded_corpus
from course_lib.corpora.real import CORPUS_URLS, CorpusDownloadError, read_documents, real_corpus
from course_lib.corpora.textfile import EOT, iter_documents

__all__ = [
    "CORPUS_URLS",
    "EOT",
    "CorpusDownloadError",
    "embedded_corpus",
    "iter_documents",
    "read_documents",
    "real_corpus",
]
