"""Near-duplicate groups of texts: MinHash signatures, LSH banding, exact verification, union-find.

Texts arrive folded (:func:`integrity.checks.poison.folding.folded`: lowercase words, digits
masked). Two texts are *near-duplicates* when the share of the longer text's distinct words that
the other text also has reaches ``similarity`` (one word changed in ten words: 0.9). Word sets
survive what flood copies change (a word swapped, added or dropped; punctuation, emoji, case),
where 5-word shingles do not: one changed word breaks five of them.

Finding every such pair among a million texts pair by pair is out of reach, so:

1. Identical folded texts are merged first (a flood of exact copies is one text).
2. Each text gets a MinHash signature of its word set: for every hash function, the smallest
   hash of its words. Two texts agree on one position with probability equal to the Jaccard
   index of their word sets (which is at least s / (2 - s) when their similarity is s).
3. LSH: the signature is cut into ``bands`` of ``rows`` values; texts whose band is identical
   are candidates. Rows and bands are chosen so that a pair at the similarity threshold
   becomes a candidate with probability 0.97 or more, and unrelated texts rarely do.
4. Candidates that share a bucket are linked in a chain (a bucket of n texts gives n - 1 pairs,
   not n^2 / 2) and every link is verified exactly on the word sets.
5. Connected components of the verified links are the groups (union-find).

All of it is vectorised (numpy, polars); nothing loops in Python over texts or pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_SEED = 0x1D5EED
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Links verified per step: bounds the memory of the exact verification (~200 MB a step).
_VERIFY_CHUNK = 1_000_000


@dataclass(frozen=True)
class Banding:
    """How a signature is cut: ``bands`` bands of ``rows`` hash values each."""

    bands: int
    rows: int

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that two texts with this Jaccard index share at least one band."""
        return 1.0 - (1.0 - jaccard ** self.rows) ** self.bands


def banding_for(similarity: float, recall: float = 0.97) -> Banding:
    """Bands and rows for a similarity threshold.

    Rows are chosen so that one band of a pair at the threshold matches with probability
    about 0.2 (a pair of unrelated texts, Jaccard ~0.2, then matches a band once in a few
    thousand); then enough bands to reach ``recall`` at the threshold.
    """
    jaccard = min(max(similarity / (2.0 - similarity), 0.05), 0.99)
    # At most 12 rows: near 1.0 the rule would ask for hundreds of hash functions per band.
    rows = min(12, max(1, round(math.log(0.2) / math.log(jaccard))))
    per_band = jaccard ** rows
    bands = max(1, math.ceil(math.log(1.0 - recall) / math.log(1.0 - per_band)))
    return Banding(bands, rows)


def _hash_family(count: int) -> tuple[U64, U64]:
    """``count`` (salt, odd multiplier) pairs: h -> (h ^ salt) * multiplier (mod 2^64)."""
    rng = np.random.default_rng(_SEED)
    salts = rng.integers(0, 2**63, size=count, dtype=np.uint64) * np.uint64(2)
    multipliers = rng.integers(0, 2**63, size=count, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    return salts, multipliers


class WordSets:
    """Distinct words of each text: 64-bit hashes in one flat array, and a sparse text x word
    matrix (CSR) for exact overlaps."""

    def __init__(self, texts: pl.Series) -> None:
        from scipy.sparse import csr_matrix

        words = texts.str.split(" ").list.unique()
        self.lengths: I64 = words.list.len().to_numpy().astype(np.int64)
        self.starts: I64 = np.concatenate(([0], np.cumsum(self.lengths)[:-1])).astype(np.int64)
        hashed = words.explode().hash(seed=_SEED)
        self.hashes: U64 = hashed.to_numpy().astype(np.uint64)
        ids = hashed.rank("dense").to_numpy().astype(np.int64) - 1
        indptr = np.concatenate(([0], np.cumsum(self.lengths)))
        self.matrix = csr_matrix((np.ones(len(ids), dtype=np.float32), ids, indptr),
                                 shape=(len(self.lengths), int(ids.max(initial=-1)) + 1))
        self.matrix.sort_indices()

    def __len__(self) -> int:
        return len(self.lengths)

    def band_keys(self, banding: Banding) -> list[U64]:
        """One 64-bit key per text and band: the band's ``rows`` minimum hashes combined."""
        salts, multipliers = _hash_family(banding.bands * banding.rows)
        keys = []
        with np.errstate(over="ignore"):
            for band in range(banding.bands):
                key = np.zeros(len(self), dtype=np.uint64)
                for i in range(band * banding.rows, (band + 1) * banding.rows):
                    permuted = (self.hashes ^ salts[i]) * multipliers[i]
                    key = (key ^ np.minimum.reduceat(permuted, self.starts)) * _GOLDEN
                keys.append(key)
        return keys

    def overlap(self, a: I64, b: I64) -> npt.NDArray[np.float64]:
        """For each pair (a[i], b[i]): shared distinct words / distinct words of the longer text.

        The shared words are the row-wise product of the two texts' rows of the word matrix:
        a merge of two sorted lists per pair, in scipy's C loops."""
        result = np.empty(len(a), dtype=np.float64)
        for lo in range(0, len(a), _VERIFY_CHUNK):
            pa, pb = a[lo:lo + _VERIFY_CHUNK], b[lo:lo + _VERIFY_CHUNK]
            shared = np.asarray(self.matrix[pa].multiply(self.matrix[pb]).sum(axis=1)).ravel()
            result[lo:lo + len(pa)] = shared / np.maximum(self.lengths[pa], self.lengths[pb])
        return result


def _distinct(values: I64) -> I64:
    """The distinct values, sorted (np.unique is ~30x slower than a sort here on numpy 2.4)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _chain_links(keys: U64) -> tuple[I64, I64]:
    """Texts with equal keys, linked in a chain: (first, second), (second, third), ..."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    return order[:-1][same].astype(np.int64), order[1:][same].astype(np.int64)


def near_duplicate_groups(texts: pl.Series, *, similarity: float, min_words: int) -> I64:
    """Group near-duplicate texts; returns one group number per text, -1 outside any group.

    ``texts`` are folded texts (words separated by single spaces); a null or a text of fewer
    than ``min_words`` words (counting repeats) is in no group. A group has two or more texts,
    identical or linked by a chain of pairs whose similarity (see the module docstring) reaches
    ``similarity``. Group numbers are arbitrary but stable for the same input.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(texts)
    words = texts.str.count_matches(" ").fill_null(-1) + 1
    eligible = (words >= min_words) & (texts.str.len_bytes().fill_null(0) > 0)
    frame = pl.DataFrame({"text": texts, "row": np.arange(n, dtype=np.int64)}).filter(eligible)
    labels = np.full(n, -1, dtype=np.int64)
    if frame.height < 2:
        return labels
    # Identical texts first: each distinct text is one node; its rows follow its label.
    distinct = frame.with_columns(pl.col("text").rank("dense").cast(pl.Int64).alias("node") - 1)
    unique = distinct.group_by("node").agg(pl.col("text").first()).sort("node")
    node_of_row = distinct["node"].to_numpy()
    nodes = unique.height
    component = np.arange(nodes, dtype=np.int64)
    if nodes > 1:
        sets = WordSets(unique["text"])
        firsts, seconds = [], []
        for keys in sets.band_keys(banding_for(similarity)):
            a, b = _chain_links(keys)
            firsts.append(a)
            seconds.append(b)
        a, b = np.concatenate(firsts), np.concatenate(seconds)
        low, high = np.minimum(a, b), np.maximum(a, b)
        codes = _distinct(low * nodes + high)
        a, b = codes // nodes, codes % nodes
        # The shorter text's word count bounds the overlap: skip pairs that cannot reach it.
        lengths = sets.lengths
        possible = np.minimum(lengths[a], lengths[b]) >= similarity * np.maximum(lengths[a],
                                                                                  lengths[b])
        a, b = a[possible], b[possible]
        keep = sets.overlap(a, b) >= similarity - 1e-12
        a, b = a[keep], b[keep]
        graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(nodes, nodes))
        _, component = connected_components(graph, directed=False)
        component = component.astype(np.int64)
    # A group needs two rows: a node alone whose text appears once is in no group.
    rows_per_component = np.bincount(component[node_of_row], minlength=nodes)
    grouped = rows_per_component[component[node_of_row]] >= 2
    labels[frame["row"].to_numpy()[grouped]] = component[node_of_row][grouped]
    return labels
