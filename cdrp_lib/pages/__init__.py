"""Bulletin pages, part by part: what a notebook calls.

:func:`open_bulletin` opens one partnership's bulletin for one month (params
read once, the store read-only, every measure assessed once);
:meth:`Bulletin.theme` and :meth:`Bulletin.summary` give its pages, and each page
gives its parts (header, targets at a glance, one section per target, monitoring
indicators, comparison with similar areas, footer...).  A part displays itself
in JupyterLab as it is published, registers its CSV downloads, and gives its
public figures as a DataFrame (``.frame()``); ``page.write()`` writes the CSVs
and the figures JSON the batch publishes.
"""

from cdrp_lib.pages.bulletin import Bulletin, BulletinConfig, open_bulletin
from cdrp_lib.pages.part import (
    DATA_DIR,
    FRONT_PAGE,
    SITE_INDEX,
    Download,
    Part,
    publishable_html,
)
from cdrp_lib.pages.paths import project_root, resolve_path
from cdrp_lib.pages.summary import SummaryPage
from cdrp_lib.pages.theme import TargetSection, ThemePage

__all__ = [
    "DATA_DIR",
    "FRONT_PAGE",
    "SITE_INDEX",
    "Bulletin",
    "BulletinConfig",
    "Download",
    "Part",
    "SummaryPage",
    "TargetSection",
    "ThemePage",
    "open_bulletin",
    "project_root",
    "publishable_html",
    "resolve_path",
]
