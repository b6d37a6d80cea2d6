"""Whole monthly counts that sum exactly to a stated total: the replica's one arithmetic.

The replica of the model bulletin (:mod:`cdrp_lib.demo.replica`) must give the
bulletin's own baselines to the crime (913 vehicle crimes in 2007/08), so its
monthly figures are not Poisson draws around a level, as Demoshire's are, but a
total shared out over the months of a period: in proportion to a seasonal
factor times a little seeded noise, floored, and the remainder given one by one
to the months with the largest fractional parts (ties to the earlier month).
Same total, same weights: same months.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cdrp_lib.periods import Month

#: Spread of the month-to-month noise around the seasonal shape (a gamma's coefficient
#: of variation): enough for a control chart to have something to show.
NOISE_CV = 0.12


def share_out(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` as whole numbers in proportion to ``weights`` (largest remainder).

    >>> share_out(10, [1, 1, 1])
    [4, 3, 3]
    """
    if total < 0:
        raise ValueError(f"total must not be negative, got {total}")
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {list(weights)}")
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    left = total - int(base.sum())
    order = sorted(range(w.size), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return [int(x) for x in base]


def seasonal(months: Sequence[Month], amplitude: float, peak: int) -> list[float]:
    """``1 + amplitude * cos(2 pi (month - peak) / 12)`` per month: a yearly rhythm."""
    return [1 + amplitude * math.cos(2 * math.pi * (m.month - peak) / 12) for m in months]


def monthly(total: int, months: Sequence[Month], amplitude: float, peak: int,
            rng: np.random.Generator) -> list[int]:
    """``total`` over ``months`` with a season and seeded noise, summing exactly to it."""
    shape = 1 / NOISE_CV**2
    noise = rng.gamma(shape, 1 / shape, size=len(months))
    weights = [s * float(e) for s, e in zip(seasonal(months, amplitude, peak), noise, strict=True)]
    return share_out(total, weights)
