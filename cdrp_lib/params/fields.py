"""The scalar types every params file is written in, each with its own message.

A month, a financial year, an id, an LSOA code or a piece of text is checked
where it is read, by a pydantic ``BeforeValidator`` that raises the message an
analyst sees ("must be a month 'YYYY-MM', got the full date 2019-01-01 (YAML
reads YYYY-MM-DD as a date: write the month only)"), so the models in
:mod:`~cdrp_lib.params.targets` and :mod:`~cdrp_lib.params.models` only declare
which fields have which type.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from difflib import get_close_matches
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo

from cdrp_lib.periods import Month, financial_year_months
from cdrp_lib.validation import fail, show

MAX_PERCENT = 100.0
MAX_SOURCE_LAG_MONTHS = 36

#: The front page's theme id: every bulletin has it, whatever its theme list.
SUMMARY_THEME = "summary"
#: The theme list when params give none (no bulletin.yaml): the summary and the five crime
#: themes, as params/bulletin.yaml lists them.  Which themes are in force is params' choice
#: (bulletin.yaml, or a partnership's own `themes:`); this is only the fallback.
DEFAULT_THEMES: tuple[str, ...] = (
    SUMMARY_THEME, "violence", "acquisitive_crime", "asb", "domestic_abuse", "perception")
THEMES = DEFAULT_THEMES
#: The validation context key holding the theme ids in force (a tuple of str); without it a
#: theme id is checked for its form only.
THEMES_CONTEXT = "themes"
RagRating = Literal["G", "A", "R"]
RateUnit = Literal["percent", "per_1000", "per_100000"]
SurveyUnit = Literal["percent", "index"]
# What a measure's values are (issue 11): counts, a percentage of a denominator, a rate per
# population, a mean per twelve months (road casualties), or offences by a fixed cohort.
MeasureUnit = Literal["count", "percent", "per_1000", "per_100000", "mean_12_months",
                      "cohort_offences"]
# How often a source publishes a measure: a value per month, per quarter or per financial year.
Frequency = Literal["monthly", "quarterly", "annual"]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SOURCE_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
# A theme id names a notebook and a page file: letters, digits, single hyphens or underscores
# (the crime themes were written with underscores before themes came from params).
THEME_ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
LSOA_RE = re.compile(r"^[EW]01\d{6}$")


def _month_text(value: object) -> str:
    expected = "a month 'YYYY-MM'"
    if isinstance(value, date):
        raise fail(
            f"must be a month 'YYYY-MM', got the full date {value.isoformat()} "
            "(YAML reads YYYY-MM-DD as a date: write the month only)",
            expected, value.isoformat(),
        )
    if not isinstance(value, str):
        raise fail(f"must be a month 'YYYY-MM', got {show(value)}", expected, show(value))
    try:
        return str(Month.parse(value))
    except ValueError:
        raise fail(f"must be a month 'YYYY-MM', got {show(value)}", expected,
                    show(value)) from None


def financial_year_text(value: object) -> str:
    expected = "a financial year 'YYYY/YY' such as '2007/08'"
    if not isinstance(value, str):
        raise fail(f"must be a financial year 'YYYY/YY' such as '2007/08', got {show(value)}",
                    expected, show(value))
    try:
        financial_year_months(value)
    except ValueError:
        raise fail(f"must be a financial year 'YYYY/YY' such as '2007/08', got {show(value)}",
                    expected, show(value)) from None
    return value.strip()


def _non_empty_text(value: object) -> str:
    if not isinstance(value, str):
        raise fail(f"must be text, got {show(value)} (quote it in the YAML)", "text",
                    show(value))
    if not value.strip():
        raise fail("must not be empty", "non-empty text", repr(value))
    return value.strip()


def _slug_text(value: object) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise fail(
            f"must be a lower-case id of letters, digits and single hyphens such as "
            f"'calder-vale', got {show(value)}",
            "an id such as 'calder-vale'", show(value),
        )
    return value


def _source_text(value: object) -> str:
    if not isinstance(value, str) or not SOURCE_RE.match(value):
        raise fail(
            "must be a source id of lower-case letters, digits, single hyphens or "
            f"underscores such as 'fire' or 'road-safety', got {show(value)}",
            "a source id such as 'fire'", show(value),
        )
    return value


def nearest(wanted: str, known: Collection[str], n: int = 3) -> list[str]:
    """The known ids closest to a misspelt one (difflib), closest first."""
    return get_close_matches(wanted, sorted(set(known)), n=n, cutoff=0.6)


def theme_id_text(value: object) -> str:
    """A theme id's form: it becomes ``notebooks/<id>.ipynb`` and ``<id>.html``."""
    if not isinstance(value, str) or not THEME_ID_RE.match(value):
        raise fail(
            "must be a theme id of lower-case letters, digits and single hyphens or "
            f"underscores such as 'community-cohesion', got {show(value)}",
            "a theme id such as 'community-cohesion'", show(value))
    return value


def themes_in_force(info: ValidationInfo) -> tuple[str, ...] | None:
    """The theme ids the validation context says are in force, or None (form only)."""
    context = info.context
    if not isinstance(context, dict):
        return None
    ids = context.get(THEMES_CONTEXT)
    return tuple(ids) if ids is not None else None


def _theme_text(value: object, info: ValidationInfo) -> str:
    theme = theme_id_text(value)
    known = themes_in_force(info)
    if known is not None and theme not in known:
        near = nearest(theme, known)
        raise fail(
            f"must be a theme of the list in force ({', '.join(known)}), got {theme!r}"
            + (f" (nearest: {', '.join(near)})" if near else ""),
            "one of " + ", ".join(known), repr(theme))
    return theme


def _lsoa_text(value: object) -> str:
    if not isinstance(value, str) or not LSOA_RE.match(value.strip()):
        raise fail(f"must be an LSOA code such as 'E01027393', got {show(value)}",
                    "an LSOA code 'E01' or 'W01' and six digits", show(value))
    return value.strip()


MonthStr = Annotated[str, BeforeValidator(_month_text)]
FinancialYearStr = Annotated[str, BeforeValidator(financial_year_text)]
Text = Annotated[str, BeforeValidator(_non_empty_text)]
Slug = Annotated[str, BeforeValidator(_slug_text)]
LsoaCode = Annotated[str, BeforeValidator(_lsoa_text)]
#: Where a measure's figures come from (issue 11): any id bulletin.yaml ``sources:`` lists.
#: police, domestic_abuse and survey have their own files; every other source is read
#: from the partner agencies' ``series*.csv`` (cdrp_lib.sources.partner_series).
Source = Annotated[str, BeforeValidator(_source_text)]
#: A theme id; with the themes in force in the validation context (:data:`THEMES_CONTEXT`),
#: one of them.
Theme = Annotated[str, BeforeValidator(_theme_text)]
#: A theme id checked for its form only (a theme list's own ids).
ThemeId = Annotated[str, BeforeValidator(theme_id_text)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

#: The data.police.uk crime types a police measure may count, as the store names them
#: (slugs of all three category sets, methods section 10; the same set as
#: ``cdrp_lib.sources.police_uk.CRIME_TYPE_SLUGS``, which a test holds it to).
POLICE_CATEGORIES: frozenset[str] = frozenset({
    "anti-social-behaviour", "bicycle-theft", "burglary", "criminal-damage-arson", "drugs",
    "other-crime", "other-theft", "possession-of-weapons", "public-disorder-weapons",
    "public-order", "robbery", "shoplifting", "theft-from-the-person", "vehicle-crime",
    "violent-crime",
})
