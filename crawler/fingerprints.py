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


def normalise_text(text: str) -> str:
    """Casefolded NFKC words joined by single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def body_fingerprint(text: str) -> str:
    """Hex SHA-256 of the normalised body; equal for copies of the same text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
