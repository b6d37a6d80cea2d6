"""Most Similar Group (MSG) average, distance and position (methods.md §5).

``rate = 1000*R/pop``.  The MSG average is by default the *pooled* rate
``pbar = sum(R)/sum(pop)`` with the partnership itself included (as the
2004/05 Home Office assessments did); the unweighted mean of member rates is
an option.  Distance ``d = rate_A - 1000*pbar`` per 1,000, also as ``d%`` and
as "excess crimes" ``R_A - pbar*pop_A``.

Position comes from a funnel plot around ``pbar`` (Spiegelhalter 2005)::

    E = pbar*pop_A;  limits = E +/- z*sqrt(phi*E)   (as rates: *1000/pop_A)
    phi = max(1, mean over members of z_i^2) when k >= 5, else 1

No library draws funnel limits with a multiplicative overdispersion factor, so
this is written here.  Poisson-only limits are far too narrow across CSPs
(real differences between areas), hence ``phi``, which is always reported.
When ``E < 10`` the exact Poisson quantiles are used (PHE Fingertips: exact
below 10), widened about ``E`` by ``sqrt(phi)`` like the normal limits.
Proportion measures use binomial variance ``n*p*(1 - p)`` and quantiles.
"+/- 2 SD of member rates" (ignores population size) is available as an option.

A partnership missing from its own MSG list is a params error and raises; a
missing population or count is a reason, never an exception.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cdrp_lib.periods import Month
from cdrp_lib.stats.enums import NotAssessedReason, PeerAverage, PeerLimitMethod, PeerPosition
from cdrp_lib.stats.rolling import MONTHS_IN_YEAR, is_missing
from cdrp_lib.stats.settings import MethodSettings, two_sided_z

PER_THOUSAND = 1000
PER_HUNDRED = 100
TWO_SD_FACTOR = 2.0
PERCENT = 100

__all__ = [
    "PER_HUNDRED",
    "PER_THOUSAND",
    "TWO_SD_FACTOR",
    "Limits",
    "PeerMember",
    "PeerResult",
    "compare_with_peers",
    "funnel_curve",
    "population_year",
]


@dataclass(frozen=True)
class PeerMember:
    """One MSG member's 12-month count and population (or denominator); None if unknown."""

    id: str
    count: float | None
    population: float | None


@dataclass(frozen=True)
class Limits:
    """A band as rates (``lower``, ``upper``) at a confidence ``level`` (None for +/- 2 SD)."""

    lower: float
    upper: float
    level: float | None
    exact: bool = False


@dataclass(frozen=True)
class PeerResult:
    """Rate, MSG average, distance, limits and position, or the reason there are none."""

    csp: str
    rate: float | None = None
    average: float | None = None
    distance: float | None = None
    distance_pct: float | None = None
    excess: float | None = None
    expected: float | None = None
    z: float | None = None
    phi: float | None = None
    limits: Limits | None = None
    outer_limits: Limits | None = None
    member_mean: float | None = None
    member_sd: float | None = None
    position: PeerPosition | None = None
    average_method: PeerAverage = PeerAverage.POOLED
    limit_method: PeerLimitMethod = PeerLimitMethod.FUNNEL
    members_used: tuple[str, ...] = ()
    members_excluded: tuple[str, ...] = ()
    reason: NotAssessedReason | None = None


def population_year(last_month: str | Month) -> int:
    """The year holding most of the 12 months ending ``last_month`` (ONS mid-year estimate).

    A June end splits 6/6; the later year is used, since its mid-year estimate
    (30 June) falls inside the window.
    """
    end = last_month if isinstance(last_month, Month) else Month.parse(last_month)
    months_in_end_year = end.month
    return end.year if months_in_end_year >= MONTHS_IN_YEAR - months_in_end_year else end.year - 1


def _validate(csp: str, members: Sequence[PeerMember]) -> None:
    ids = [m.id for m in members]
    if csp not in ids:
        raise ValueError(f"partnership {csp!r} is not in its own most similar group "
                         f"({', '.join(ids) or 'empty'}); methods.md §5 requires it")
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"most similar group lists {', '.join(dupes)} more than once")
    for m in members:
        for field, value in (("count", m.count), ("population", m.population)):
            if value is not None and not is_missing(value) and value < 0:
                raise ValueError(f"{m.id}: {field} must not be negative, got {value!r}")


def _usable(m: PeerMember) -> bool:
    return (m.count is not None and not is_missing(m.count) and m.population is not None
            and not is_missing(m.population) and m.population > 0)


def _variance(expected: float, population: float, p: float, binomial: bool) -> float:
    return population * p * (1 - p) if binomial else expected


def _quantile(q: float, expected: float, population: float, p: float, binomial: bool) -> float:
    from scipy.stats import binom, poisson

    if binomial:
        return float(binom.ppf(q, round(population), p))
    return float(poisson.ppf(q, expected))


def _funnel(
    level: float, expected: float, population: float, p: float, phi: float,
    binomial: bool, exact_below: float, per: float,
) -> Limits:
    z = two_sided_z(level)
    var = _variance(expected, population, p, binomial)
    exact = 0 < expected < exact_below
    if exact:
        tail = (1 - level) / 2
        lo_q = _quantile(tail, expected, population, p, binomial)
        hi_q = _quantile(1 - tail, expected, population, p, binomial)
        root = math.sqrt(phi)
        lo, hi = expected + root * (lo_q - expected), expected + root * (hi_q - expected)
    else:
        half = z * math.sqrt(phi * var)
        lo, hi = expected - half, expected + half
    lo = max(0.0, lo)
    if binomial:
        hi = min(population, hi)
    return Limits(per * lo / population, per * hi / population, level, exact)


def funnel_curve(
    average: float, sizes: Sequence[float], settings: MethodSettings | None = None, *,
    phi: float = 1.0, per: float = PER_THOUSAND, binomial: bool = False,
) -> list[tuple[float, Limits, Limits]]:
    """The funnel plot's limits (methods §5) at each population in ``sizes``: for each,
    (size, inner limits at ``funnel_level``, outer at ``funnel_outer_level``), as rates.

    ``average`` is the group average as a rate (per ``per``), ``phi`` the group's
    overdispersion; the same limits :func:`compare_with_peers` gives one member,
    so a member drawn outside the curve is the one the table calls significant.

    >>> [(n, round(i.upper, 2)) for n, i, _ in funnel_curve(10.0, [1000, 100_000])]
    [(1000, 16.2), (100000, 10.62)]
    """
    s = settings or MethodSettings()
    p = average / per
    out = []
    for size in sizes:
        expected = p * size
        inner = _funnel(s.funnel_level, expected, size, p, phi, binomial,
                        s.exact_poisson_below, per)
        outer = _funnel(s.funnel_outer_level, expected, size, p, phi, binomial,
                        s.exact_poisson_below, per)
        out.append((size, inner, outer))
    return out


def compare_with_peers(
    csp: str,
    members: Sequence[PeerMember],
    settings: MethodSettings | None = None,
    per: float = PER_THOUSAND,
    binomial: bool = False,
) -> PeerResult:
    """Compare ``csp`` with its MSG (which must include it) by the settings' methods.

    Members with no count or population are left out of the average and listed
    in ``members_excluded``.  ``binomial=True`` treats counts as numerators of
    proportions over ``population`` (use ``per=100`` for percentages).

    >>> ms = [PeerMember("A", 1650, 100_000), PeerMember("B", 2100, 150_000),
    ...       PeerMember("C", 1200, 80_000), PeerMember("D", 1900, 120_000),
    ...       PeerMember("E", 1500, 110_000)]
    >>> r = compare_with_peers("A", ms)
    >>> round(r.average, 3), round(r.phi, 2), r.position.value
    (14.911, 8.83, 'in_line')
    """
    s = settings or MethodSettings()
    _validate(csp, members)
    base = PeerResult(csp, average_method=s.peer_average, limit_method=s.peer_limits)
    me = next(m for m in members if m.id == csp)
    if me.population is None or is_missing(me.population) or me.population <= 0:
        return replace(base, reason=NotAssessedReason.NO_POPULATION)
    if me.count is None or is_missing(me.count):
        return replace(base, reason=NotAssessedReason.MISSING_MONTHS)
    used = [m for m in members if _usable(m)]
    excluded = tuple(m.id for m in members if not _usable(m))
    count, pop = float(me.count), float(me.population)
    rate = per * count / pop
    base = replace(base, rate=rate, members_used=tuple(m.id for m in used),
                    members_excluded=excluded)
    if len(members) == 1:
        return replace(base, reason=NotAssessedReason.NO_PEER_GROUP)
    if len(used) < 2:
        return replace(base, reason=NotAssessedReason.INSUFFICIENT_DATA)

    counts = [float(m.count) for m in used]  # type: ignore[arg-type]
    pops = [float(m.population) for m in used]  # type: ignore[arg-type]
    rates = [c / p for c, p in zip(counts, pops, strict=True)]
    member_mean = statistics.fmean(rates)
    member_sd = statistics.stdev(rates)
    pbar = sum(counts) / sum(pops) if s.peer_average is PeerAverage.POOLED else member_mean
    average = per * pbar
    expected = pbar * pop
    distance = rate - average
    distance_pct = distance / average * PERCENT if average > 0 else None
    var_me = _variance(expected, pop, pbar, binomial)
    z = (count - expected) / math.sqrt(var_me) if var_me > 0 else None
    phi = 1.0
    if s.peer_overdispersion and len(used) >= s.min_members_for_phi:
        zs = [(c - pbar * p) / math.sqrt(v) for c, p in zip(counts, pops, strict=True)
              if (v := _variance(pbar * p, p, pbar, binomial)) > 0]
        if zs:
            phi = max(1.0, statistics.fmean(zi * zi for zi in zs))
    if s.peer_limits is PeerLimitMethod.TWO_SD:
        half = TWO_SD_FACTOR * member_sd
        limits = Limits(per * (member_mean - half), per * (member_mean + half), None)
        outer = None
    else:
        limits = _funnel(s.funnel_level, expected, pop, pbar, phi, binomial,
                         s.exact_poisson_below, per)
        outer = _funnel(s.funnel_outer_level, expected, pop, pbar, phi, binomial,
                        s.exact_poisson_below, per)
    position = (PeerPosition.ABOVE if rate > limits.upper
                else PeerPosition.BELOW if rate < limits.lower else PeerPosition.IN_LINE)
    return replace(
        base, average=average, distance=distance, distance_pct=distance_pct,
        excess=count - expected, expected=expected, z=z, phi=phi, limits=limits,
        outer_limits=outer, member_mean=per * member_mean, member_sd=per * member_sd,
        position=position,
    )
