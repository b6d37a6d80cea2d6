"""Most Similar Group distance and position (methods.md §5), every figure of the example."""

from __future__ import annotations

import math

import pytest
from scipy.stats import poisson

from cdrp_lib.stats.enums import NotAssessedReason, PeerAverage, PeerLimitMethod, PeerPosition
from cdrp_lib.stats.peers import PeerMember, compare_with_peers, population_year
from cdrp_lib.stats.settings import MethodSettings

MSG = [
    PeerMember("A", 1650, 100_000),
    PeerMember("B", 2100, 150_000),
    PeerMember("C", 1200, 80_000),
    PeerMember("D", 1900, 120_000),
    PeerMember("E", 1500, 110_000),
]
POISSON_ONLY = MethodSettings(peer_overdispersion=False)


def test_pooled_average_distance_and_excess() -> None:
    r = compare_with_peers("A", MSG)
    assert r.average == pytest.approx(14.911, abs=5e-4)
    assert r.rate == pytest.approx(16.50)
    assert r.distance == pytest.approx(1.59, abs=5e-3)
    assert r.excess == pytest.approx(158.9, abs=0.05)
    assert r.distance_pct == pytest.approx(100 * 1.5892857 / 14.910714, abs=1e-4)


def test_unweighted_mean_and_sd_of_member_rates() -> None:
    r = compare_with_peers("A", MSG)
    assert r.member_mean == pytest.approx(14.994, abs=5e-4)
    assert r.member_sd == pytest.approx(1.205, abs=5e-4)
    unweighted = compare_with_peers("A", MSG, MethodSettings(peer_average=PeerAverage.UNWEIGHTED))
    assert unweighted.average == pytest.approx(14.994, abs=5e-4)


def test_poisson_only_limits_put_a_above_both() -> None:
    r = compare_with_peers("A", MSG, POISSON_ONLY)
    assert r.phi == 1.0
    assert r.limits is not None and r.outer_limits is not None
    assert (r.limits.lower, r.limits.upper) == pytest.approx((14.15, 15.67), abs=5e-3)
    assert (r.outer_limits.lower, r.outer_limits.upper) == pytest.approx((13.72, 16.10), abs=5e-3)
    assert r.rate is not None and r.rate > r.outer_limits.upper
    assert r.position is PeerPosition.ABOVE


def test_overdispersion_puts_a_in_line() -> None:
    r = compare_with_peers("A", MSG)
    assert r.phi == pytest.approx(8.83, abs=5e-3)
    assert r.limits is not None
    assert (r.limits.lower, r.limits.upper) == pytest.approx((12.66, 17.16), abs=5e-3)
    assert r.position is PeerPosition.IN_LINE
    assert not r.limits.exact


def test_two_sd_band() -> None:
    s = MethodSettings(peer_limits=PeerLimitMethod.TWO_SD)
    r = compare_with_peers("A", MSG, s)
    assert r.limits is not None
    assert (r.limits.lower, r.limits.upper) == pytest.approx((12.58, 17.40), abs=5e-3)
    assert r.limits.level is None and r.outer_limits is None
    assert r.limit_method is PeerLimitMethod.TWO_SD


def test_phi_needs_five_members() -> None:
    r = compare_with_peers("A", MSG[:4])
    assert r.phi == 1.0
    assert compare_with_peers("A", MSG, MethodSettings(min_members_for_phi=6)).phi == 1.0


def test_csp_missing_from_its_own_group_is_an_error() -> None:
    with pytest.raises(ValueError, match="'Z' is not in its own most similar group"):
        compare_with_peers("Z", MSG)
    with pytest.raises(ValueError, match="more than once"):
        compare_with_peers("A", [*MSG, PeerMember("B", 1, 1)])
    with pytest.raises(ValueError, match="negative"):
        compare_with_peers("A", [*MSG, PeerMember("F", -1, 1000)])


def test_missing_population_or_count_is_a_reason() -> None:
    no_pop = [PeerMember("A", 1650, None), *MSG[1:]]
    assert compare_with_peers("A", no_pop).reason is NotAssessedReason.NO_POPULATION
    no_count = [PeerMember("A", None, 100_000), *MSG[1:]]
    assert compare_with_peers("A", no_count).reason is NotAssessedReason.MISSING_MONTHS
    alone = compare_with_peers("A", MSG[:1])
    assert alone.reason is NotAssessedReason.NO_PEER_GROUP and alone.rate == pytest.approx(16.5)
    lonely = compare_with_peers("A", [MSG[0], PeerMember("B", None, 150_000)])
    assert lonely.reason is NotAssessedReason.INSUFFICIENT_DATA


def test_members_without_data_are_left_out_and_listed() -> None:
    r = compare_with_peers("A", [*MSG, PeerMember("F", 900, None)])
    assert r.members_excluded == ("F",)
    assert r.average == pytest.approx(14.911, abs=5e-4)


def test_all_zero_counts_do_not_raise() -> None:
    r = compare_with_peers("A", [PeerMember(m.id, 0, m.population) for m in MSG])
    assert r.position is PeerPosition.IN_LINE and r.z is None and r.phi == 1.0
    assert r.distance_pct is None


def test_exact_poisson_limits_below_ten_expected() -> None:
    small = [PeerMember("A", 3, 1000), PeerMember("B", 5, 1500)]
    r = compare_with_peers("A", small, POISSON_ONLY)
    assert r.expected == pytest.approx(3.2)
    assert r.limits is not None and r.limits.exact
    population, per = 1000, 1000
    upper_count = r.limits.upper * population / per
    # the upper limit is the smallest count with at least 97.5% of Poisson(3.2) at or below it
    assert poisson.cdf(upper_count, 3.2) >= 0.975 > poisson.cdf(upper_count - 1, 3.2)
    assert r.limits.lower == 0.0


def test_binomial_limits_for_proportions() -> None:
    dets = [PeerMember("A", 30, 100), PeerMember("B", 20, 100), PeerMember("C", 25, 100)]
    r = compare_with_peers("A", dets, POISSON_ONLY, per=100, binomial=True)
    p = 75 / 300
    half = MethodSettings().funnel_z * math.sqrt(100 * p * (1 - p))
    assert r.average == pytest.approx(25.0)
    assert r.limits is not None
    assert (r.limits.lower, r.limits.upper) == pytest.approx((25 - half, 25 + half))
    assert r.position is PeerPosition.IN_LINE


@pytest.mark.parametrize(("month", "year"), [("2025-03", 2024), ("2025-06", 2025),
                                              ("2025-05", 2024), ("2024-12", 2024)])
def test_population_year_holds_most_months(month: str, year: int) -> None:
    assert population_year(month) == year
