"""Output check: how far a target's output is from the CPU reference."""

from __future__ import annotations

import math

import numpy as np

# Cosine similarity below this is flagged: fp16 and int8 paths stay well above it
# on sane models; a wrong kernel or garbage output falls far below.
COSINE_WARN = 0.99


def compare_arrays(name: str, got: np.ndarray, expected: np.ndarray) -> dict:
    got = np.asarray(got)
    expected = np.asarray(expected)
    result: dict = {"name": name, "shape": list(got.shape), "reference_shape": list(expected.shape),
                    "dtype": str(got.dtype)}
    if got.shape != expected.shape:
        result.update(ok=False, problem="shape differs from the CPU reference")
        return result
    if got.dtype.kind in "OUS" or expected.dtype.kind in "OUS":
        equal = bool(np.array_equal(got, expected))
        result.update(ok=equal, exact_match=equal)
        return result
    g = got.astype(np.float64).ravel()
    e = expected.astype(np.float64).ravel()
    finite = np.isfinite(g) & np.isfinite(e)
    nonfinite = int(g.size - finite.sum())
    diff = np.abs(g[finite] - e[finite])
    denom = float(np.linalg.norm(g[finite]) * np.linalg.norm(e[finite]))
    if denom > 0:
        cosine = float(np.dot(g[finite], e[finite]) / denom)
    else:  # both all-zero is a perfect match; one all-zero is not
        cosine = 1.0 if np.array_equal(g[finite], e[finite]) else 0.0
    result.update(
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        mean_abs_error=float(diff.mean()) if diff.size else 0.0,
        cosine_similarity=cosine,
        nonfinite_mismatch=nonfinite,
        ok=bool(cosine >= COSINE_WARN and nonfinite == 0 and math.isfinite(cosine)),
    )
    return result
