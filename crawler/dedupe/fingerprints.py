"""Exact-duplicate keys for article bodies.

Two pages carry the same article when their bodies are equal after normalisation: case,
whitespace, punctuation and Unicode forms differ between copies (AMP, print, syndication
templates) without changing the story.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
PARAGRAPH_BREAK = "\n\n"


def normalise_text(text: str) -> str:
    """Casefolded NFKC words joined by single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def body_fingerprint(text: str) -> str:
    """Hex SHA-256 of the normalised body; equal for copies of the same text."""
    return _sha256(normalise_text(text))


def block_hash(paragraph: str) -> str:
    """A short stable key for a paragraph (a text block of learned site chrome), insensitive to
    case, spacing and punctuation; "" for one without words."""
    return _block_key(normalise_text(paragraph))


def body_keys(body: str) -> tuple[str, list[str]]:
    """``body_fingerprint(body)`` and the ``block_hash`` of each of its paragraphs, from one
    normalisation: both are needed for every article, and normalising is most of their cost."""
    normalised = [normalise_text(paragraph) for paragraph in body.split(PARAGRAPH_BREAK)]
    return _sha256(" ".join(n for n in normalised if n)), [_block_key(n) for n in normalised]


def _block_key(normalised: str) -> str:
    return _sha256(normalised)[:16] if normalised else ""


def _sha256(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
