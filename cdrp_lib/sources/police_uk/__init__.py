"""data.police.uk street-level crime files: discovery, validation and aggregation.

data.police.uk publishes one CSV per force per month, ``YYYY-MM-<force>-street.csv``,
in month folders inside a zip, and analysts also keep them flat or unzipped.  The
force and month come from the file name; the rows are validated against them.

Speed and memory matter because a national year is ~6 million rows: parsing,
validation and aggregation to LSOA x crime-type counts run in DuckDB's parallel CSV
reader, up to a GiB of files per scan (bounded memory), never row by row in Python.
Python only reads each file's bytes once, for its sha256, its header, its line
count and a UTF-8 check (DuckDB does not validate columns it does not project).  The
rare file that DuckDB cannot parse, or that holds bytes that are not UTF-8, goes
through a slow path that drops the bad records, reports each one, and hands DuckDB
a clean copy.

Two passes, the second over few files: one scan counts every file's rows by LSOA and
crime type and finds the Crime IDs that occur more than once in a file, keeping
nothing per row.  A file with a rejected row or a repeated Crime ID (a fifth of the
files in a national month) is read again in file order, its rows numbered as they
stream past, and only the rows of interest come back; a row's line is its index
plus 2 (the header is line 1), or comes from a line map for a clean copy.  "A
Crime ID repeated within a month is one crime" keeps the first valid such row in
that order, and the repeats are taken off the first scan's counts.

The package, along those seams: ``rules`` (columns, crime types, rule names),
``discovery`` (which files are street files, and why the others are not),
``checks`` (one read of each file's bytes, and the slow path), ``sql`` (the DuckDB
reader both passes share), ``reading`` (the first pass and each file's figures) and
``second_pass``.  Everything callers use is importable from here.
"""

from cdrp_lib.sources.encoding import RULE_NOT_TEXT, RULE_UTF16
from cdrp_lib.sources.police_uk.checks import (
    FileCheck,
    check_header,
    check_street_file,
)
from cdrp_lib.sources.police_uk.discovery import (
    Discovery,
    InputFile,
    StreetFile,
    discover,
    parse_street_name,
)
from cdrp_lib.sources.police_uk.reading import (
    COUNTS_COLUMNS,
    FileStats,
    StreetRead,
    read_street_files,
)
from cdrp_lib.sources.police_uk.rules import (
    CRIME_TYPE_SLUGS,
    CURRENT_SLUGS,
    DEFAULT_BATCH_BYTES,
    HEADER,
    LEGACY_SLUG,
    OTHER_POLICE_NAME,
    REJECT_RULES,
    RULE_BAD_CRIME_ID,
    RULE_BAD_LATITUDE,
    RULE_BAD_LSOA,
    RULE_BAD_MONTH,
    RULE_DUPLICATE,
    RULE_EMPTY,
    RULE_EMPTY_FOLDER,
    RULE_FIELDS,
    RULE_FILE_NAME,
    RULE_IGNORED,
    RULE_LONG_LINE,
    RULE_MISSING_HEADER,
    RULE_NO_LSOA,
    RULE_NOT_UTF8,
    RULE_OPEN_QUOTE,
    RULE_OTHER_MONTH,
    RULE_SAME_FORCE_MONTH,
    RULE_UNKNOWN_TYPE,
    RULE_UNREADABLE,
    RULE_WRONG_HEADER,
    SEVERITY_ERROR,
    SEVERITY_INFO,
    SEVERITY_WARNING,
    STREET_NAME,
)

__all__ = [
    "COUNTS_COLUMNS",
    "CRIME_TYPE_SLUGS",
    "CURRENT_SLUGS",
    "DEFAULT_BATCH_BYTES",
    "HEADER",
    "LEGACY_SLUG",
    "OTHER_POLICE_NAME",
    "REJECT_RULES",
    "RULE_BAD_CRIME_ID",
    "RULE_BAD_LATITUDE",
    "RULE_BAD_LSOA",
    "RULE_BAD_MONTH",
    "RULE_DUPLICATE",
    "RULE_EMPTY",
    "RULE_EMPTY_FOLDER",
    "RULE_FIELDS",
    "RULE_FILE_NAME",
    "RULE_IGNORED",
    "RULE_LONG_LINE",
    "RULE_MISSING_HEADER",
    "RULE_NOT_TEXT",
    "RULE_NOT_UTF8",
    "RULE_NO_LSOA",
    "RULE_OPEN_QUOTE",
    "RULE_OTHER_MONTH",
    "RULE_SAME_FORCE_MONTH",
    "RULE_UNKNOWN_TYPE",
    "RULE_UNREADABLE",
    "RULE_UTF16",
    "RULE_WRONG_HEADER",
    "SEVERITY_ERROR",
    "SEVERITY_INFO",
    "SEVERITY_WARNING",
    "STREET_NAME",
    "Discovery",
    "FileCheck",
    "FileStats",
    "InputFile",
    "StreetFile",
    "StreetRead",
    "check_header",
    "check_street_file",
    "discover",
    "parse_street_name",
    "read_street_files",
]



