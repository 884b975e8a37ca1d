"""Stories: near-duplicate reports of one event, told apart by a fingerprint of each
article's most salient terms and grouped with MinHash and LSH banding, in linear time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import islice

# Story fingerprint: the article's most salient terms. Two reports of one event share their
# names and topic words even when worded differently (seeds 001/002 share 7 of 11 terms);
# articles merely on the same topic share 5 or fewer (all seed and BBC dev pairs).
FINGERPRINT_TERMS = 11
STORY_THRESHOLD = 0.35  # Jaccard of two 11-term sets: 6 shared terms (0.375) is enough

# LSH banding over MinHash values of the fingerprint sets: 32 bands of 2 rows make pairs at
# the threshold candidates with probability 0.95 (0.998 at Jaccard 0.43), then an exact
# Jaccard check decides. Each bucket remembers a few groups only, so work stays linear.
LSH_BANDS = 32
LSH_ROWS = 2
BUCKET_GROUPS = 4
_PRIME = (1 << 61) - 1


def group_stories(
    fingerprints: Sequence[tuple[int, ...]], *, threshold: float = STORY_THRESHOLD
) -> list[int]:
    """For each fingerprint, the index of its story leader: the first item of its group.

    Items whose fingerprints (sets of term hashes) have a Jaccard similarity of at least
    ``threshold`` are near-duplicates; groups are closed under that relation. Candidates come
    from LSH banding, so the work is linear in the number of items. An item with an empty
    fingerprint is always alone.
    """
    parent = list(range(len(fingerprints)))

    def leader(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    sets = [frozenset(hashes) for hashes in fingerprints]
    buckets: dict[tuple[int, ...], list[int]] = {}
    for item, members in enumerate(sets):
        if not members:
            continue
        for key in _band_keys(members):
            bucket = buckets.setdefault(key, [])
            for other in bucket:
                mine, theirs = leader(item), leader(other)
                if mine != theirs and _jaccard(members, sets[other]) >= threshold:
                    parent[max(mine, theirs)] = min(mine, theirs)
            if len(bucket) < BUCKET_GROUPS and all(leader(o) != leader(item) for o in bucket):
                bucket.append(item)
    return [leader(item) for item in range(len(fingerprints))]


def fingerprint(ranked: Iterable[str]) -> tuple[int, ...]:
    """Sorted CRC-32 hashes of the most salient unigrams (stable across runs and machines)."""
    salient = islice((term for term in ranked if " " not in term), FINGERPRINT_TERMS)
    return tuple(sorted(zlib.crc32(term.encode("utf-8")) for term in salient))


def _hash_parameters() -> tuple[tuple[int, int], ...]:
    """Fixed (a, b) pairs for the universal hashes (a*x + b) mod 2**61-1 of the MinHash."""
    state = 0x9E3779B97F4A7C15
    pairs = []
    for _ in range(LSH_BANDS * LSH_ROWS):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        a = state % (_PRIME - 1) + 1
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        pairs.append((a, state % _PRIME))
    return tuple(pairs)


_HASHES = _hash_parameters()


def _band_keys(members: frozenset[int]) -> list[tuple[int, ...]]:
    """One bucket key per LSH band: the band number and that band's MinHash values."""
    minimums = list(map(min, zip(*map(_hash_values, members), strict=True)))
    return [(band, *minimums[band * LSH_ROWS : (band + 1) * LSH_ROWS]) for band in range(LSH_BANDS)]


@lru_cache(maxsize=4096)  # about 3 KB each: a bounded 12 MB at most
def _hash_values(term: int) -> tuple[int, ...]:
    """Every MinHash function's value for one term hash. Salient terms recur across the
    articles of a window, so each is hashed once rather than once per article."""
    return tuple([(a * term + b) % _PRIME for a, b in _HASHES])


def _jaccard(first: frozenset[int], second: frozenset[int]) -> float:
    return len(first & second) / len(first | second)
