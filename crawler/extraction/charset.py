"""A page's text when its declared encoding is missing or wrong.

Scrapy trusts the declared encoding (HTTP header, BOM, ``<meta charset>``), replacing what does
not decode, and guesses with a statistical detector when nothing is declared; both go wrong on
news sites often enough to matter: a CMS template saying UTF-8 over Windows-1252 text, a page
saying ISO-8859-1 over UTF-8 text (stored as "cafÃ©"), and a detector reading a short English
page as Central European. Here, UTF-8 that decodes cleanly wins over a declared single-byte
encoding (legacy text is virtually never valid UTF-8), a declaration that does not decode is
ignored, and undeclared legacy text gets the default browsers use for the page's language (the
HTML standard's locale table), Windows-1252 when the page names none, as browsers do. UTF-8
with a few stray bytes (a Windows-1252 dash pasted into a template) stays UTF-8, the stray bytes
replaced: read as Windows-1252, every other accented letter of the page would be garbled.

Scrapy-free, on bytes and the Content-Type header: pages are decoded in the page workers, so
the crawl process hands over bytes (copied, not re-encoded) and spends nothing on text.
"""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# The HTML standard's "suggested default encoding" by language, where it is not windows-1252.
_LEGACY_BY_LANGUAGE = {
    **dict.fromkeys(("ar", "fa", "ur"), "cp1256"),
    **dict.fromkeys(("ba", "be", "bg", "kk", "ky", "mk", "ru", "tt", "uk"), "cp1251"),
    **dict.fromkeys(("cs", "hr", "hu", "pl", "ro", "sk", "sl", "sr"), "cp1250"),
    **dict.fromkeys(("lt", "lv"), "cp1257"),
    "el": "iso8859-7", "he": "cp1255", "ja": "shift_jis", "ko": "euc-kr", "ku": "cp1254", "th": "cp874",
    "tr": "cp1254", "vi": "cp1258", "zh-cn": "gb18030", "zh-tw": "big5", "zh": "gb18030",
}
_LANG = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([a-zA-Z]{2,3}(?:[-_][a-zA-Z]{2})?)", re.IGNORECASE)


# What servers send as text/html that is no text: PDF, images, archives, compressed bodies.
_BINARY_MAGIC = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"BM", b"\x00\x00\x01\x00")


def looks_binary(body: bytes) -> bool:
    """Whether a body served as HTML is a file of another kind (no text has NUL bytes)."""
    return body.startswith(_BINARY_MAGIC) or (body[:12].startswith(b"RIFF") and body[8:12] == b"WEBP") \
        or b"\x00" in body[:1024]


# UTF-8 with stray bytes: at least this many well-formed non-ASCII characters per byte that is
# not UTF-8. Legacy text decoded as UTF-8 has hardly any well-formed ones.
_UTF8_PER_STRAY_BYTE = 10


def _mostly_utf8(body: bytes) -> str | None:
    """``body`` as UTF-8 with its few malformed bytes replaced, if it is UTF-8 but for them."""
    text = body.decode("utf-8", "replace")
    stray = text.count("\ufffd") - body.count("\ufffd".encode())
    well_formed = sum(not ch.isascii() for ch in text) - stray
    return text if well_formed >= _UTF8_PER_STRAY_BYTE * stray else None


def _single_byte(codec: str) -> bool:
    return codecs.lookup(codec).name in {"cp1252", "iso8859-1", "latin-1", "iso8859-15", "ascii"}


def page_text(body: bytes, content_type: str | None = None) -> tuple[str, str | None]:
    """The text of a page served with ``content_type`` (the HTTP header), and
    ``"charset_mismatch"`` when its declared encoding was set aside."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return body[len(bom):].decode(bom_encoding, "replace"), None
    declared = http_content_type_encoding(content_type)
    declared = declared or html_body_declared_encoding(body)
    codec = resolve_encoding(declared) if declared else None
    if codec:
        if _single_byte(codec) and not body.isascii():
            try:
                return body.decode("utf-8"), "charset_mismatch"
            except UnicodeDecodeError:
                pass
        try:
            return body.decode(codec), None
        except UnicodeDecodeError:
            pass
    problem = "charset_mismatch" if codec else None
    if (text := _mostly_utf8(body)) is not None:
        return text, None if codec == "utf-8" else problem
    language = _LANG.search(body[:4096])
    code = language.group(1).decode().lower().replace("_", "-") if language else ""
    legacy = _LEGACY_BY_LANGUAGE.get(code) or _LEGACY_BY_LANGUAGE.get(code[:2]) or "cp1252"
    return body.decode(legacy, "replace"), problem
