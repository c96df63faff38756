"""Exact and near-duplicate detection for the broad code corpus (numpy only).

Exact: SHA-1 of the whitespace-collapsed text.
Near: MinHash over 16-byte shingles of the whitespace-collapsed text, with locality-sensitive hashing.
  * shingle hashes: the 8 bytes at i and the 8 bytes at i + 8, mixed into one 64-bit value;
  * content-defined sampling: only shingles whose hash is 0 mod SAMPLE are kept (the same shingles in
    every copy of the same text, so near-duplicates still share them; 1/SAMPLE of the work);
  * NUM_PERM multiply-add hash functions mod 2^64, the high 32 bits of each minimum kept;
  * LSH with BANDS bands of ROWS rows: documents that agree on a whole band are candidates; a candidate
    is a near-duplicate when the estimated Jaccard similarity (share of equal minimums) is >= THRESHOLD.
    With 8 bands of 8 rows a pair at Jaccard 0.8 is found with probability 0.93, one at 0.5 with 0.03.
The first document seen wins: the corpus builder walks packages in a fixed order.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

NUM_PERM, BANDS, ROWS = 64, 8, 8
SAMPLE = 4
THRESHOLD = 0.8
_rng = np.random.default_rng(0x7ea1eaf)
_A = (_rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)   # odd multipliers
_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_K1, _K2, _K3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def exact_key(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8", "surrogatepass")).hexdigest()


def signature(text: str) -> np.ndarray | None:
    """[NUM_PERM] uint32 MinHash signature, or None for texts too short to shingle."""
    b = np.frombuffer(normalise(text).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    if b.size < 32:
        return None
    w = np.lib.stride_tricks.sliding_window_view(b, 8)                     # [n - 7, 8]
    v = np.ascontiguousarray(w).view("<u8").ravel()                        # [n - 7] 8-byte shingles
    with np.errstate(over="ignore"):
        h = (v[:-8] * _K1) ^ (v[8:] * _K2)                                 # [n - 15] 16-byte shingles
        h ^= h >> np.uint64(31)
        h *= _K3
        h ^= h >> np.uint64(29)
        s = h[(h % np.uint64(SAMPLE)) == 0]
        if s.size == 0:
            s = h[:1]
        m = (s[:, None] * _A[None, :] + _B[None, :]).min(axis=0)           # [NUM_PERM]
    return (m >> np.uint64(32)).astype(np.uint32)


class NearDuplicateIndex:
    def __init__(self) -> None:
        self.bands: list[dict[bytes, int]] = [{} for _ in range(BANDS)]
        self.sigs: list[np.ndarray] = []

    def add_if_new(self, sig: np.ndarray | None) -> bool:
        """True (and remembered) when no earlier document is a near-duplicate of this one."""
        if sig is None:
            return True
        keys = [sig[i * ROWS:(i + 1) * ROWS].tobytes() for i in range(BANDS)]
        seen: set[int] = set()
        for band, key in zip(self.bands, keys):
            j = band.get(key)
            if j is not None and j not in seen:
                seen.add(j)
                if float(np.mean(self.sigs[j] == sig)) >= THRESHOLD:
                    return False
        idx = len(self.sigs)
        self.sigs.append(sig)
        for band, key in zip(self.bands, keys):
            band.setdefault(key, idx)
        return True


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))
