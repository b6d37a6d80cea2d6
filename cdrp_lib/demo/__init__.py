"""SYNTHETIC demo data in the real input formats: a county, or a whole fictional country.

``cdrp demo-data`` writes :func:`write_demo` (Demoshire: one force, up to 44
districts) or, with ``--national``, :func:`write_national` (several forces, a
few hundred partnerships, multi-district CSPs and one force with a publication
gap).  Both are built from the same parts: :mod:`~cdrp_lib.demo.common` (crime
types, districts, LSOA codes), :mod:`~cdrp_lib.demo.police` (street files of one
force) and :mod:`~cdrp_lib.demo.partners` (domestic abuse and survey extracts).
"""

from cdrp_lib.demo.common import MIN_MONTHS, District, gap_index, lsoa_code, lsoa_name
from cdrp_lib.demo.county import (
    DEMO_FORCE,
    DISTRICT_NAMES,
    FORCE_NAME,
    MAX_PARTNERSHIPS,
    TOWN_CENTRE_LSOAS,
    DemoManifest,
    digest,
    write_demo,
)

__all__ = [
    "DEMO_FORCE", "DISTRICT_NAMES", "FORCE_NAME", "MAX_PARTNERSHIPS", "MIN_MONTHS",
    "TOWN_CENTRE_LSOAS", "DemoManifest", "District", "digest", "gap_index", "lsoa_code",
    "lsoa_name", "write_demo",
]
