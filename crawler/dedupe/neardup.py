"""Near-duplicate bodies: MinHash signatures of word shingles and LSH band keys.

Syndicated copies of one story differ in chrome, a trimmed or added paragraph, a byline or a few
words; their shingle sets stay close in Jaccard similarity while other stories on the same topic
share only phrases. The band layout is fixed (42 bands of 3 rows of a 128-value signature):
band keys stored in the database stay valid whatever similarity threshold is configured, and an
article whose similarity to a stored one is 0.5 shares a band with it with probability 0.996
(0.4: 0.94), so thresholds from 0.4 up find their candidates.

Signatures are datasketch's MinHash (2.x, scheme "affine32", seed 1), value for value: the
test suite compares them with datasketch's. It is computed here rather than by datasketch
because importing datasketch loads scipy, 55 MB in every process (the crawl process and each
page worker) for one multiply-add per shingle.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

NUM_PERM = 128
BANDS, ROWS = 42, 3
SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def _permutations(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine permutations h -> a*h + b mod 2^32 (a odd), drawn as it draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()
# MurmurHash3's 32-bit finalizer, which datasketch applies to each hash before permuting.
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def signature(body: str) -> bytes:
    """The MinHash signature of a body's word shingles (casefolded, NFKC), as 512 bytes."""
    words = _WORD.findall(unicodedata.normalize("NFKC", body).casefold())
    shingles = {" ".join(words)} if len(words) < SHINGLE_WORDS else {
        " ".join(shingle) for shingle in zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False)
    }
    sha1 = hashlib.sha1
    hv = np.frombuffer(b"".join([sha1(s.encode()).digest()[:4] for s in shingles]), dtype="<u4").reshape(-1, 1)
    shift1, multiplier1, shift2, multiplier2 = _FMIX
    hv = (hv ^ (hv >> shift1)) * multiplier1
    hv = (hv ^ (hv >> shift2)) * multiplier2
    hv ^= hv >> shift1
    values: np.ndarray = (hv * _A + _B).min(axis=0)
    return values.astype("<u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures: the share of equal values."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


def band_keys(sig: bytes) -> list[int]:
    """One signed 64-bit key per band (the band's number is hashed in, so one column holds all)."""
    values = np.frombuffer(sig, dtype="<u4")
    keys = []
    for band in range(BANDS):
        digest = hashlib.blake2b(values[band * ROWS:(band + 1) * ROWS].tobytes(), digest_size=8,
                                 person=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys
