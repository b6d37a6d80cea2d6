"""The bulletin's charts, drawn from the public view of Assessments: inline SVG, alt text and CSV.

Each function takes :class:`~cdrp_lib.public.PublicAssessment` objects (see
:func:`cdrp_lib.public.public_view`; an Assessment passed instead is viewed first)
and returns a frozen :class:`Chart`.  A chart draws what the view says and computes
no statistic, so it cannot disagree with the table and narrative beside it
(methods §12); its alt text states the finding in the same rounding as they do
(:mod:`cdrp_lib.stats.rounding`).  What is withheld by disclosure control (§9) is
the view's to decide: a chart only prints its marks.

Modules: :mod:`~cdrp_lib.charts.base` (the Chart, style, SVG output, axes, formatting),
:mod:`~cdrp_lib.charts.performance`, :mod:`~cdrp_lib.charts.control`,
:mod:`~cdrp_lib.charts.small_multiple`, :mod:`~cdrp_lib.charts.survey`,
:mod:`~cdrp_lib.charts.repeat` and :mod:`~cdrp_lib.charts.funnel`, one chart each.
"""

from __future__ import annotations

from cdrp_lib.charts.base import (
    STATUS_MARKERS,
    Chart,
    warm_up,
)
from cdrp_lib.charts.control import control_chart
from cdrp_lib.charts.funnel import funnel_chart
from cdrp_lib.charts.performance import performance_chart
from cdrp_lib.charts.repeat import repeat_rate_chart
from cdrp_lib.charts.small_multiple import small_multiple
from cdrp_lib.charts.survey import survey_chart
from cdrp_lib.charts.svg import DPI

__all__ = [
    "DPI",
    "STATUS_MARKERS",
    "Chart",
    "control_chart",
    "funnel_chart",
    "performance_chart",
    "repeat_rate_chart",
    "small_multiple",
    "survey_chart",
    "warm_up",
]
