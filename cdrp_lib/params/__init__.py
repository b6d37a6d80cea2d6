"""Params: measures, partnerships, targets and bulletin defaults, loaded from YAML and validated.

Configuration is read once at the top (CLI or notebook parameters cell) and
passed down as plain typed, frozen objects.  Every validation failure names the
file, the YAML line, the dotted key (``targets[2].baseline.start``) and the
problem in one style ("`polarity` must be one of 'lower_is_better',
'higher_is_better', got 'down'"), and every problem in every file is reported
at once, so an analyst fixes the params in one pass.

Layout of a params folder::

    measures.yaml                  every measure (id, theme, source, polarity)
    bulletin.yaml                  bulletin-wide defaults (themes, methods, suppression)
    partnerships/<id>.yaml         one partnership: area, population, peers, targets
    reference/*.csv                LSOA code -> district lookups (boundary changes)
    commentary/<id>/<YYYY-MM>.yaml the month's commentary (cdrp_lib.commentary)

Months are strings ``YYYY-MM`` everywhere (PyYAML's safe loader keeps
``2019-01`` a string; a full date such as ``2019-01-01`` is rejected with a
message saying so).  Financial years are written ``2007/08``.

Decisions worth knowing:

* **Peers.**  ``peers`` lists the partnership's most similar group (the
  partnership itself is always included and must not be listed).  A peer is
  accepted when it is a partnership in ``partnerships/`` or a well-formed
  automatic district id (``slugify(name) == id``, e.g. ``hinckley-and-bosworth``).
  Whether an automatic district really exists depends on the data ingested, so
  that is checked where the store is at hand (assessment reports a missing peer
  as not assessed), not here.
* **Sub-areas.**  A partnership whose ``area.parent`` is set is a sub-area (a
  town centre, a ward); its parent must be a partnership in ``partnerships/``
  that is not itself a sub-area.  An area given only by LSOAs needs an explicit
  population: the store holds populations by district.  A target may name a
  sub-area (``sub_area: {name, partnership}``); without ``partnership`` the
  sub-area's LSOAs are not defined and the target cannot be computed.
* **Measure-less targets.**  Only ``kind: monitor`` targets may omit
  ``measure``: plans set targets on things no public or local extract holds
  (first-time entrants, re-offending cohorts, fires); they are kept, with the
  reason and the plan's own wording, so the bulletin can list them.

The package is split by what each part does: :mod:`~cdrp_lib.params.fields`
(the scalar types and their messages), :mod:`~cdrp_lib.params.targets` and
:mod:`~cdrp_lib.params.models` (the shapes of the files),
:mod:`~cdrp_lib.params.files` (reading a file and finding a key's line),
:mod:`~cdrp_lib.params.lookup` (LSOA lookups), :mod:`~cdrp_lib.params.checks`
(rules across keys and files) and :mod:`~cdrp_lib.params.loaders` (``load_*``).
Import from ``cdrp_lib.params``: every public name is here.  ``Polarity``
belongs to the statistics (:mod:`cdrp_lib.stats.enums`) and the
pydantic-to-Problem conversion to :mod:`cdrp_lib.validation`; they are
re-exported because params has always offered them.
"""

from __future__ import annotations

from cdrp_lib.params.fields import (
    DEFAULT_THEMES,
    MAX_PERCENT,
    MAX_SOURCE_LAG_MONTHS,
    SUMMARY_THEME,
    THEME_ID_RE,
    THEMES,
    THEMES_CONTEXT,
    FinancialYearStr,
    Frequency,
    LsoaCode,
    MeasureUnit,
    MonthStr,
    RagRating,
    RateUnit,
    Slug,
    Source,
    SurveyUnit,
    Text,
    Theme,
    ThemeId,
)
from cdrp_lib.params.files import (
    BULLETIN_FILE,
    DEFAULT_PARAMS_DIR,
    MEASURES_FILE,
    PARTNERSHIPS_DIR,
)

# The YAML machinery under the public names other params-layer readers use
# (cdrp_lib.commentary): one way to read, parse and place a problem in a params file.
from cdrp_lib.params.files import line_finder as yaml_line_finder
from cdrp_lib.params.files import parse_yaml as parse_params_yaml
from cdrp_lib.params.files import read_text as read_params_text
from cdrp_lib.params.loaders import (
    load_bulletin,
    load_measures,
    load_partnership,
    load_partnerships,
    load_partnerships_apart,
    method_settings,
)
from cdrp_lib.params.lookup import (
    LOOKUP_COMMENT,
    LOOKUP_HEADER,
    read_lsoa_lookup,
)
from cdrp_lib.params.models import (
    DEFAULT_THEME_PARAMS,
    FIRST_POPULATION_YEAR,
    GENERIC_THEME_NOTEBOOK,
    LAST_POPULATION_YEAR,
    AreaParams,
    BulletinParams,
    Measure,
    OutcomeParams,
    Partnership,
    PopulationParams,
    SourceParams,
    SuppressionParams,
    ThemeParams,
    ordered_themes,
    themes_in_force,
)
from cdrp_lib.params.targets import (
    TARGET_DEFAULT_KEYS,
    TARGET_KINDS,
    Baseline,
    CeilingTarget,
    ImprovementTarget,
    IncreaseTarget,
    LevelTarget,
    MaintenanceTarget,
    MilestonesTarget,
    MonitorTarget,
    Period,
    RagOverride,
    RateTarget,
    ReductionTarget,
    SetTarget,
    SubArea,
    SurveyTarget,
    Target,
    TargetRounding,
)
from cdrp_lib.stats.enums import (
    Polarity,
)
from cdrp_lib.validation import (
    ParamsProblem,
    problems_from_validation,
)

__all__ = [
    "BULLETIN_FILE",
    "DEFAULT_PARAMS_DIR",
    "DEFAULT_THEMES",
    "DEFAULT_THEME_PARAMS",
    "FIRST_POPULATION_YEAR",
    "GENERIC_THEME_NOTEBOOK",
    "LAST_POPULATION_YEAR",
    "LOOKUP_COMMENT",
    "LOOKUP_HEADER",
    "MAX_PERCENT",
    "MAX_SOURCE_LAG_MONTHS",
    "MEASURES_FILE",
    "PARTNERSHIPS_DIR",
    "SUMMARY_THEME",
    "TARGET_DEFAULT_KEYS",
    "TARGET_KINDS",
    "THEMES",
    "THEMES_CONTEXT",
    "THEME_ID_RE",
    "AreaParams",
    "Baseline",
    "BulletinParams",
    "CeilingTarget",
    "FinancialYearStr",
    "Frequency",
    "ImprovementTarget",
    "IncreaseTarget",
    "LevelTarget",
    "LsoaCode",
    "MaintenanceTarget",
    "Measure",
    "MeasureUnit",
    "MilestonesTarget",
    "MonitorTarget",
    "MonthStr",
    "OutcomeParams",
    "ParamsProblem",
    "Partnership",
    "Period",
    "Polarity",
    "PopulationParams",
    "RagOverride",
    "RagRating",
    "RateTarget",
    "RateUnit",
    "ReductionTarget",
    "SetTarget",
    "Slug",
    "Source",
    "SourceParams",
    "SubArea",
    "SuppressionParams",
    "SurveyTarget",
    "SurveyUnit",
    "Target",
    "TargetRounding",
    "Text",
    "Theme",
    "ThemeId",
    "ThemeParams",
    "load_bulletin",
    "load_measures",
    "load_partnership",
    "load_partnerships",
    "load_partnerships_apart",
    "method_settings",
    "ordered_themes",
    "parse_params_yaml",
    "problems_from_validation",
    "read_lsoa_lookup",
    "read_params_text",
    "themes_in_force",
    "yaml_line_finder",
]
