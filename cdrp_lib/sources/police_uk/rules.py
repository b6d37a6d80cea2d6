"""The published columns, the crime types of all three category sets, and the rules.

Every name a report, the store's data_quality table or a test quotes is defined here once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from cdrp_lib.sources.encoding import RULE_NOT_TEXT, RULE_UTF16

HEADER: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
    "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)

# Crime type names of all three category sets (methods section 10) -> data.police.uk slug.
# Dec 2010-Aug 2011 had 6 types, Sep 2011-Apr 2013 11, May 2013- 14.  Renamed types keep
# their slug (Violent crime -> violent-crime); Public disorder and weapons keeps the
# legacy slug, which the continuous-series measure joins to its two successors.
CRIME_TYPE_SLUGS: Mapping[str, str] = MappingProxyType({
    "Anti-social behaviour": "anti-social-behaviour",
    "Burglary": "burglary",
    "Robbery": "robbery",
    "Vehicle crime": "vehicle-crime",
    "Violent crime": "violent-crime",
    "Other crime": "other-crime",
    "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs",
    "Other theft": "other-theft",
    "Public disorder and weapons": "public-disorder-weapons",
    "Shoplifting": "shoplifting",
    "Violence and sexual offences": "violent-crime",
    "Public order": "public-order",
    "Possession of weapons": "possession-of-weapons",
    "Bicycle theft": "bicycle-theft",
    "Theft from the person": "theft-from-the-person",
})
CURRENT_SLUGS: frozenset[str] = frozenset(CRIME_TYPE_SLUGS.values()) - {"public-disorder-weapons"}
LEGACY_SLUG = "public-disorder-weapons"

STREET_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9]+(?:-[a-z0-9]+)*)-street\.csv$")
# Published beside the street files; not crime counts, so skipped with a note.
OTHER_POLICE_NAME = re.compile(r"^\d{4}-\d{2}-[a-z0-9-]+-(?:outcomes|stop-and-search)\.csv$")
_MONTH_VALUE = r"[0-9]{4}-(0[1-9]|1[0-2])"
_MONTH_RE = re.compile(rf"^{_MONTH_VALUE}$")

# Rules, as they appear in the report and the store's data_quality table.
RULE_UNREADABLE = "unreadable file"
RULE_FILE_NAME = "malformed street file name"
RULE_MISSING_HEADER = "missing header"
RULE_WRONG_HEADER = "wrong header"
RULE_EMPTY = "empty file"
RULE_NOT_UTF8 = "bytes that are not UTF-8"
RULE_FIELDS = "wrong number of fields"
RULE_OPEN_QUOTE = "quote never closed"
#: Lines one quoted record may span; a quote still open after them was never closed.
#: data.police.uk records are one line each, so this only leaves room for hand edits;
#: the local extracts follow the same rule (cdrp_lib.sources.local_csv).
RECORD_MAX_LINES = 20
RULE_LONG_LINE = "line too long"
RULE_BAD_MONTH = "unparseable month"
RULE_OTHER_MONTH = "row claims another month"
RULE_UNKNOWN_TYPE = "unknown crime type"
RULE_DUPLICATE = "repeated Crime ID"
RULE_NO_LSOA = "rows with no LSOA"
RULE_SAME_FORCE_MONTH = "second file for one force and month"
RULE_IGNORED = "ignored file"
RULE_EMPTY_FOLDER = "empty folder"
# Warnings: the row is kept, but the value is not what data.police.uk publishes.
RULE_BAD_LSOA = "malformed LSOA code"
RULE_BAD_CRIME_ID = "malformed Crime ID"
RULE_BAD_LATITUDE = "latitude not a number"
REJECT_RULES: tuple[str, ...] = (
    RULE_UNREADABLE, RULE_FILE_NAME, RULE_MISSING_HEADER, RULE_WRONG_HEADER, RULE_EMPTY,
    RULE_NOT_UTF8, RULE_UTF16, RULE_NOT_TEXT, RULE_FIELDS, RULE_OPEN_QUOTE, RULE_LONG_LINE,
    RULE_BAD_MONTH, RULE_OTHER_MONTH, RULE_UNKNOWN_TYPE,
)

SEVERITY_ERROR = "error"      # a row or file was rejected
SEVERITY_WARNING = "warning"  # reported; the data was still used (repeats, gaps)
SEVERITY_INFO = "info"        # counted for the record (rows with no LSOA)

# CSV bytes per DuckDB scan.  It bounds memory (peak 0.56 GB measured for a 977 MB
# scan, whatever the input), and larger scans keep every core busy for longer
# between the serial steps.
DEFAULT_BATCH_BYTES = 2**30
_READ_CHUNK = 8 * 2**20

