"""``cdrp assess``: one measure of one partnership for one month, as JSON or a short table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cdrp_lib.public import PublicAssessment

HELP = "assess one measure of one partnership for a month (figures, statuses, RAG, narrative)"
DEFAULT_STORE = Path("outputs/store.duckdb")
DEFAULT_PARAMS = Path("params")
LABEL_WIDTH = 22


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partnership", required=True, metavar="ID",
                        help="partnership id (a params file, or a district found in the data)")
    parser.add_argument("--measure", required=True, metavar="ID",
                        help="measure id from params/measures.yaml")
    parser.add_argument("--month", required=True, metavar="YYYY-MM",
                        help="bulletin month (each source is used up to its latest month "
                             "not after it)")
    parser.add_argument("--target", metavar="ID", default=None,
                        help="target id, when the partnership sets several on the measure "
                             "(default: its own area's target)")
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE,
                        help=f"the store written by `cdrp ingest` (default {DEFAULT_STORE})")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS,
                        help=f"params folder (default {DEFAULT_PARAMS})")
    parser.add_argument("--json", action="store_true",
                        help="print the Assessment as JSON instead of a table (as figures.json "
                             "publishes it: figures withheld by disclosure control are null)")


def run(args: argparse.Namespace) -> int:
    from cdrp_lib.assess import assess_partnership, cached_params
    from cdrp_lib.coverage import stale_measures_message
    from cdrp_lib.errors import NotFoundError
    from cdrp_lib.periods import Month
    from cdrp_lib.public import public_view
    from cdrp_lib.store import Store

    stale = stale_measures_message(args.store, args.params)
    if stale:
        print(stale, file=sys.stderr)
    month = str(Month.parse(args.month))
    with Store(args.store) as store:
        found = assess_partnership(store, args.params, args.partnership, month,
                                   measure=args.measure)
    if args.target is not None:
        chosen = [a for a in found if a.target_id == args.target]
        if not chosen:
            targets = ", ".join(a.target_id for a in found if a.target_id) or "none"
            raise NotFoundError(f"partnership {args.partnership!r} has no target "
                                f"{args.target!r} on {args.measure!r} (targets: {targets})")
    else:
        params = cached_params(args.params)[1].get(args.partnership)
        sub_area_targets = {t.id for t in params.targets if t.sub_area} if params else set()
        chosen = [a for a in found if a.target_id not in sub_area_targets] or found
    if not chosen:
        raise NotFoundError(f"nothing to assess for {args.measure!r} in {args.partnership!r}")
    assessment = public_view(chosen[0])
    if args.json:
        print(json.dumps(assessment.to_json(), indent=2, allow_nan=False))
    else:
        print(render_text(assessment))
    return 0


def _row(label: str, text: str) -> str:
    return f"  {label:<{LABEL_WIDTH}}{text}"


def render_text(a: PublicAssessment) -> str:
    """A short human-readable summary: the key figures, the rating and the narrative.

    Reads the public view (an Assessment passed instead is viewed first): a figure
    withheld by disclosure control prints as the suppression mark.
    """
    from cdrp_lib.periods import Month
    from cdrp_lib.public import public_view
    from cdrp_lib.stats.rag import NOT_ASSESSED_MARK
    from cdrp_lib.stats.rounding import fmt_number, fmt_pct, fmt_signed, fmt_signed_pct

    a = public_view(a)
    hidden = a.count_mark

    def shown(name: str, x: float | None, decimals: int = 0) -> str:
        return hidden if a.is_withheld(name) else fmt_number(x, decimals)

    def level(name: str, x: float | None) -> str:
        if a.is_withheld(name):
            return hidden
        return fmt_pct(x) if a.is_proportion else fmt_number(x)

    data_to = Month.parse(a.data_to).label if a.data_to else "no data"
    lines = [f"{a.measure_name}: {a.partnership_name}, {Month.parse(a.month).label} "
             f"(data to {data_to})" + ("  [SYNTHETIC]" if a.synthetic else "")]
    if a.target_text:
        baseline = level("baseline_value", a.baseline_value)
        lines.append(_row("Target", f"{a.target_text} (baseline {a.baseline_label}: "
                          f"{baseline})"))
    change = ""
    if a.change_12m is not None:
        unit = " pp" if a.is_proportion else ""
        change = f"; change {fmt_signed(a.change_12m, 1 if a.is_proportion else 0)}{unit}"
        if a.change_12m_pct is not None and not a.is_proportion:
            change += f", {fmt_signed_pct(a.change_12m_pct)}"
    if a.rolling_12 is not None or a.is_withheld("rolling_12") or a.survey_percent is None:
        lines.append(_row("Rolling 12 months", f"{level('rolling_12', a.rolling_12)} (previous "
                          f"{level('previous_rolling_12', a.previous_rolling_12)}{change})"))
    if a.trajectory_status is not None:
        lines.append(_row("Trajectory", f"{a.trajectory_status.words} (month "
                          f"{a.trajectory_month_index} of {a.trajectory_months}: limits "
                          f"{shown('trajectory_lower', a.trajectory_lower, 1)} to "
                          f"{shown('trajectory_upper', a.trajectory_upper, 1)})"))
    if a.past_month is not None:
        lines.append(_row("Past month", f"{a.past_month.words}: "
                          f"{level('month_value', a.month_value)} (expected "
                          f"{fmt_number(a.expected_low)} to {fmt_number(a.expected_high)})"))
    if ((a.trend_projection is not None or a.is_withheld("trend_projection"))
            and a.trend_method is not None):
        verdict = {True: "sufficient", False: "not sufficient", None: "no target"}[
            a.trend_sufficient]
        lines.append(_row(f"Trend ({a.trend_method.value})",
                          f"projected {level('trend_projection', a.trend_projection)}: "
                          f"{verdict}"))
    if a.peer_position is not None:
        lines.append(_row("Most similar group", f"{a.peer_position.words}: "
                          f"{shown('peer_rate', a.peer_rate, 1)} vs "
                          f"{shown('peer_average', a.peer_average, 1)}"
                          f" (phi {fmt_number(a.peer_phi, 2)})"))
    if a.survey_percent is not None:
        lines.append(_row("Survey", f"{fmt_pct(a.survey_percent)} ({fmt_pct(a.survey_ci_low)}"
                          f" to {fmt_pct(a.survey_ci_high)}), {a.survey_wave}"))
    if a.rag is not None:
        rating = a.rag.label + (f" (override: {a.rag_override_reason})"
                                if a.rag_override_reason else "")
    else:
        reason = a.not_assessed_reason.value if a.not_assessed_reason else "not assessed"
        rating = f"{NOT_ASSESSED_MARK} not assessed ({reason})"
    lines.append(_row("RAG", rating))
    lines.append("")
    lines.extend(f"  {sentence}" for sentence in a.narrative)
    return "\n".join(lines)
