"""Near-duplicate bodies: MinHash signatures of word shingles (datasketch) and LSH band keys.

Syndicated copies of one story differ in chrome, a trimmed or added paragraph, a byline or a few
words; their shingle sets stay close in Jaccard similarity while other stories on the same topic
share only phrases. The band layout is fixed (42 bands of 3 rows of a 128-value signature):
band keys stored in the database stay valid whatever similarity threshold is configured, and an
article whose similarity to a stored one is 0.5 shares a band with it with probability 0.996
(0.4: 0.94), so thresholds from 0.4 up find their candidates.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
BANDS, ROWS = 42, 3
SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=1)


def signature(body: str) -> bytes:
    """The MinHash signature of a body's word shingles (casefolded, NFKC), as 512 bytes."""
    words = _WORD.findall(unicodedata.normalize("NFKC", body).casefold())
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    minhash = MinHash(num_perm=NUM_PERM, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme)
    minhash.update_batch([s.encode() for s in shingles])
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


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
