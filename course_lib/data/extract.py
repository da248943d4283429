"""HTML to text: a real main-content extractor (resiliparse, trafilatura) and a naive one.

    text = extract_text(html_bytes)                       # resiliparse, main content only
    text = extract_text(html_bytes, method="trafilatura")
    text = extract_text(html_bytes, method="naive")       # every text node, boilerplate included
    html_to_str(raw_bytes)                                # bytes -> str with encoding detection

The naive extractor is the baseline a notebook builds inline: it keeps everything a browser would
show, so navigation, cookie banners, comments and footers end up in the training data.
"""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["EXTRACTORS", "html_to_str", "extract_text", "naive_extract"]

EXTRACTORS = ("resiliparse", "trafilatura", "naive")
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "main",
    "ul",
    "ol",
    "table",
    "pre",
    "blockquote",
    "title",
}


def html_to_str(html: bytes | str) -> str:
    """Decode HTML bytes: as UTF-8 when they are valid UTF-8 (the web's dominant encoding), else
    with resiliparse's encoding detection (declared charset, then a guess), undecodable bytes
    becoming U+FFFD instead of raising. A ``str`` is returned unchanged."""
    if isinstance(html, str):
        return html
    if not isinstance(html, (bytes, bytearray)):
        raise TypeError(f"html must be bytes or str, got {type(html).__name__}")
    try:
        return bytes(html).decode("utf-8")
    except UnicodeDecodeError:
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding

        return bytes_to_str(bytes(html), detect_encoding(bytes(html)))


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002 - HTMLParser's signature
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def naive_extract(html: bytes | str) -> str:
    """Every visible text node of ``html`` (no script, style or head), one block per line."""
    parser = _TextCollector()
    parser.feed(html_to_str(html))
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def extract_text(html: bytes | str, method: str = "resiliparse") -> str:
    """The main text of an HTML page by ``method`` (one of :data:`EXTRACTORS`), one block per line.

    ``resiliparse``: ``extract_plain_text(main_content=True)``, the extractor of the ChatNoir web
    archive tools (fast, rule-based boilerplate removal). ``trafilatura``: the extractor behind
    several open web corpora (slower, precision-oriented). Empty string when nothing is left.
    """
    if method not in EXTRACTORS:
        raise ValueError(f"unknown extraction method {method!r}: expected one of {EXTRACTORS}")
    if method == "naive":
        return naive_extract(html)
    text = html_to_str(html)
    if method == "resiliparse":
        from resiliparse.extract.html2text import extract_plain_text

        out = extract_plain_text(text, main_content=True, alt_texts=False, links=False, list_bullets=False)
    else:
        import trafilatura

        out = trafilatura.extract(text, include_comments=False, include_tables=True, favor_precision=True) or ""
    lines = (line.strip() for line in out.split("\n"))
    return "\n".join(line for line in lines if line)
