"""No statistic raises on short, gappy or all-zero data: it returns a reason instead.

Exceptions are for programmer errors only (negative counts, a CSP missing from its
own peer group); real series are short at the start of a force's publication, have
publication gaps, and are all zero for rare crimes in small areas.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdrp_lib.stats.comparison import compare_series
from cdrp_lib.stats.enums import PastMonthMethod, Polarity, TrendMethod
from cdrp_lib.stats.expected import past_month
from cdrp_lib.stats.peers import PeerMember, compare_with_peers
from cdrp_lib.stats.rag import measure_rag
from cdrp_lib.stats.rolling import rolling_at, rolling_sums
from cdrp_lib.stats.settings import MethodSettings
from cdrp_lib.stats.spc import spc_chart
from cdrp_lib.stats.trajectory import assess_trajectory, count_target, target_achieved
from cdrp_lib.stats.trend import ets_projection, long_term_trend

gappy = st.lists(st.one_of(st.none(), st.integers(0, 40)), max_size=48)
zeros = st.integers(0, 48).map(lambda n: [0] * n)
series = st.one_of(gappy, zeros)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(values=series, polarity=st.sampled_from(list(Polarity)),
       method=st.sampled_from([PastMonthMethod.POISSON_Z, PastMonthMethod.XMR,
                               PastMonthMethod.EXACT_BINOMIAL]),
       trend=st.sampled_from([TrendMethod.OLS, TrendMethod.THEIL_SEN,
                              TrendMethod.YEAR_ON_YEAR]),
       m=st.integers(-3, 40))
def test_no_statistic_raises_on_short_gappy_or_zero_series(
    values: list[int | None], polarity: Polarity, method: PastMonthMethod,
    trend: TrendMethod, m: int,
) -> None:
    s = MethodSettings(past_month_method=method, trend_method=trend, min_months=6)
    rolling_sums(values)
    current = rolling_at(values)
    target = count_target(int(current.value or 0), "0.05")
    traj = assess_trajectory(current.value, target, m, 36, missing=current.reason)
    achieved = (None if current.value is None
                else target_achieved(current.value, target, polarity))
    x, prior = (values[-1], values[:-1]) if values else (None, [])
    past = past_month(x, prior, s)
    compare_series(values, test=True)
    tr = long_term_trend(values, 12, target.target, polarity, s)
    spc_chart(values, polarity, target=0)
    rag = measure_rag(polarity, target_achieved=achieved, trajectory=traj.status,
                      trend_sufficient=tr.sufficient)
    peers = compare_with_peers("A", [PeerMember("A", current.value, 1000),
                                     PeerMember("B", 0, 2000), PeerMember("C", None, None)])
    # whatever was not computed says why
    assert (traj.status is None) == (traj.reason is not None)
    assert (past.label is None) == (past.reason is not None)
    assert (rag.rating is None) == (rag.reason is not None)
    assert (peers.position is None) == (peers.reason is not None)


@settings(deadline=None, max_examples=15)
@given(values=st.one_of(
    st.lists(st.integers(0, 5), min_size=36, max_size=40),
    st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=30, max_size=40),
))
def test_ets_never_raises(values: list[int | None]) -> None:
    r = ets_projection(values, 12, 10, Polarity.LOWER_IS_BETTER)
    assert (r.projection is None) == (r.reason is not None)


@settings(deadline=None, max_examples=15)
@given(x=st.one_of(st.none(), st.integers(0, 30)),
       prior=st.lists(st.one_of(st.none(), st.integers(0, 30)), max_size=14))
def test_e_test_never_raises(x: int | None, prior: list[int | None]) -> None:
    past_month(x, prior, MethodSettings(past_month_method=PastMonthMethod.E_TEST))
