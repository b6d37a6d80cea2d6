"""A corpus of malformed inputs, each named for what is wrong with it (issue 12).

Every case is ingested by `cdrp ingest` into a copy of a store that already holds
one good force month, and asserts three things: the exact line the analyst reads
about it (file names shown as ``IN/...``), the exit code, and that what the store
held before is unchanged (a store that is itself the malformed input must be left
byte for byte).  Cases are small files written here, so each failure names one rule.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from cdrp_lib.cli import EXIT_ERROR, EXIT_FAILED, EXIT_OK, EXIT_STORE, main
from cdrp_lib.sources import police_uk as pu

PROJECT = Path(__file__).resolve().parents[1]
HEADER_LINE = ",".join(pu.HEADER)
STREET = "2025-02-kent-street.csv"


def crime_id(short: str) -> str:
    """A Crime ID as published: 64 hex characters (the sha256 of a short name)."""
    return hashlib.sha256(short.encode()).hexdigest()


def row(short: str = "r", month: str = "2025-02", crime_type: str = "Burglary",
        lsoa: str = "E01000001", name: str = "Ashford 001A", latitude: str = "51.1",
        location: str = "On or near Park Road", outcome: str = "Under investigation",
        cid: str | None = None) -> str:
    """One street row in the published column order."""
    ident = crime_id(short) if cid is None else cid
    return (f"{ident},{month},Kent Police,Kent Police,0.8,{latitude},{location},{lsoa},{name},"
            f"{crime_type},{outcome},")


def text_file(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode(encoding))
    return build


def bytes_file(name: str, data: bytes) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        (folder / name).write_bytes(data)
    return build


def street_with(bad: str, name: str = STREET, eol: str = "\n") -> Callable[[Path], None]:
    """Three good rows with ``bad`` as line 4 (after the header and two good rows)."""
    rows = [HEADER_LINE, row("a"), row("b"), bad, row("c")]
    return text_file(name, eol.join(rows) + eol)


def street_file(name: str = STREET, month: str = "2025-02") -> Callable[[Path], None]:
    return text_file(name, "\n".join([HEADER_LINE, row("a", month), row("b", month)]) + "\n")


def zipped(members: dict[str, bytes]) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        with zipfile.ZipFile(folder / "download.zip", "w") as archive:
            for member, data in members.items():
                archive.writestr(member, data)
    return build


def both(*builders: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        for b in builders:
            b(folder)
    return build


def nothing(folder: Path) -> None:
    """An input folder with no file in it."""


@dataclass(frozen=True)
class Case:
    """One malformed input: how to make it, the line it must print, the exit code."""

    name: str
    build: Callable[[Path], None]
    line: str
    code: int = EXIT_OK
    rows: str | None = None           # the exact Rows line, where rows are the point
    store: Callable[[Path], None] | None = None    # makes the store itself malformed
    params: Callable[[Path], None] | None = None   # makes the params malformed
    extra: tuple[str, ...] = field(default=())     # further lines it must print


PROBLEM = f"IN/{STREET}, line 4"
FIELDS = f"{PROBLEM}: wrong number of fields: expected 12 fields, found "
ROWS_ONE_REJECTED = ("Rows: 4 read, 3 kept, 1 rejected, 0 repeated Crime IDs dropped "
                     "(first kept), 0 with no LSOA (force only)")
ROWS_ALL_KEPT = ("Rows: 4 read, 4 kept, 0 rejected, 0 repeated Crime IDs dropped "
                 "(first kept), 0 with no LSOA (force only)")
NAME = "malformed street file name: expected a street file named YYYY-MM-<force>-street.csv " \
       "(lower case, month 01-12), found "
UTF16 = "UTF-16 text: expected UTF-8 text, found UTF-16: save it as UTF-8 (CSV UTF-8 in Excel)"
OPEN_QUOTE = "quote never closed: expected a closing quote on the same line, found a quote " \
             "opened and never closed: "


def _latin1_row(folder: Path) -> None:
    rows = [HEADER_LINE, row("a"), row("b"), row("x", name="Ashf@rd"), row("c")]
    (folder / STREET).write_bytes(("\n".join(rows) + "\n").encode().replace(b"@", b"\xe9"))


def _many_bad_lines(folder: Path) -> None:
    (folder / STREET).write_text(HEADER_LINE + "\n" + "x\n" * 300 + row("a") + "\n")


def _alias_bomb(params: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    (params / "partnerships").mkdir()
    (params / "partnerships" / "bomb.yaml").write_text("\n".join(lines) + "\n")


def _self_alias(params: Path) -> None:
    (params / "partnerships").mkdir()
    (params / "partnerships" / "loop.yaml").write_text("id: loop\nname: Loop\nloop: &a [*a]\n")


def _params_not_utf8(params: Path) -> None:
    (params / "partnerships").mkdir()
    (params / "partnerships" / "cafe.yaml").write_bytes(b"id: cafe\nname: Caf\xe9\n")


def _store_bytes(data: bytes) -> Callable[[Path], None]:
    def make(store: Path) -> None:
        store.write_bytes(data)
    return make


def _store_truncated(store: Path) -> None:
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2])


def _store_foreign(store: Path) -> None:
    store.unlink()
    con = duckdb.connect(str(store))
    con.execute("CREATE TABLE orders (id INTEGER, total DOUBLE)")
    con.close()


def _store_partial(store: Path) -> None:
    store.unlink()
    con = duckdb.connect(str(store))
    con.execute("CREATE TABLE input_files (sha256 VARCHAR)")
    con.close()


CASES: list[Case] = [
    # -- rows: each rejected with its line and rule, the others kept, all accounted for
    Case("quote_never_closed_mid_file",
         street_with(row("x", location='"On or near Park Road')),
         f"{PROBLEM}: {OPEN_QUOTE}'\"On or near Park Road,E01000001,Ashford 001A,Burglary,Und...'",
         rows=ROWS_ONE_REJECTED),
    Case("quote_never_closed_on_the_last_line",
         text_file(STREET, "\n".join([HEADER_LINE, row("a"), row("b"), row("c"), row("x") + '"cut'])
                   + "\n"),
         f"IN/{STREET}, line 5: {OPEN_QUOTE}'\"cut'", rows=ROWS_ONE_REJECTED),
    Case("stray_quote_inside_a_text_field",
         street_with(row("x", location='On or near "Park Road')),
         f"{PROBLEM}: {OPEN_QUOTE}'\"Park Road,E01000001,Ashford 001A,Burglary,Under investig...'",
         rows=ROWS_ONE_REJECTED),
    Case("unquoted_comma_in_lsoa_name", street_with(row("x", name="Ashford, 001A")),
         FIELDS + "13 fields (an unquoted comma in a text column?)", rows=ROWS_ONE_REJECTED),
    Case("unquoted_comma_in_outcome", street_with(row("x", outcome="Under, investigation")),
         FIELDS + "13 fields (an unquoted comma in a text column?)", rows=ROWS_ONE_REJECTED),
    Case("unquoted_comma_in_location", street_with(row("x", location="On or near Park, Road")),
         FIELDS + "13 fields (an unquoted comma in a text column?)", rows=ROWS_ONE_REJECTED),
    Case("two_unquoted_commas", street_with(row("x", location="Park, Road, East")),
         FIELDS + "14 fields (an unquoted comma in a text column?)", rows=ROWS_ONE_REJECTED),
    Case("too_few_fields", street_with(row("x").rsplit(",", 2)[0]),
         FIELDS + "10 fields", rows=ROWS_ONE_REJECTED),
    Case("extra_field_with_text", street_with(row("x") + ",extra"),
         FIELDS + "13 fields (an unquoted comma in a text column?)", rows=ROWS_ONE_REJECTED),
    Case("tab_separated_row", street_with(row("x").replace(",", "\t")),
         FIELDS + "1 fields", rows=ROWS_ONE_REJECTED),
    Case("semicolon_separated_row", street_with(row("x").replace(",", ";")),
         FIELDS + "1 fields", rows=ROWS_ONE_REJECTED),
    Case("latin1_byte_in_lsoa_name", _latin1_row,
         f"{PROBLEM}, column 'LSOA name': bytes that are not UTF-8: expected UTF-8 text, "
         "found byte 0xe9 in 'Ashf\ufffdrd'", rows=ROWS_ONE_REJECTED),
    Case("month_with_a_slash", street_with(row("x", month="2025/02")),
         f"{PROBLEM}, column 'Month': unparseable month: expected a month YYYY-MM, "
         "found '2025/02'", rows=ROWS_ONE_REJECTED),
    Case("month_of_another_month", street_with(row("x", month="2025-03")),
         f"{PROBLEM}, column 'Month': row claims another month: expected 2025-02 (the month "
         "in the file name), found '2025-03'", rows=ROWS_ONE_REJECTED),
    Case("month_empty", street_with(row("x", month="")),
         f"{PROBLEM}, column 'Month': unparseable month: expected a month YYYY-MM, "
         "found nothing", rows=ROWS_ONE_REJECTED),
    Case("crime_type_misspelt", street_with(row("x", crime_type="Burglery")),
         f"{PROBLEM}, column 'Crime type': unknown crime type: expected a data.police.uk crime "
         "type (any of the 2010, 2011 and 2013 sets), found 'Burglery'", rows=ROWS_ONE_REJECTED),
    Case("crime_type_empty", street_with(row("x", crime_type="")),
         f"{PROBLEM}, column 'Crime type': unknown crime type: expected a data.police.uk crime "
         "type (any of the 2010, 2011 and 2013 sets), found nothing", rows=ROWS_ONE_REJECTED),
    Case("crime_type_in_lower_case", street_with(row("x", crime_type="burglary")),
         f"{PROBLEM}, column 'Crime type': unknown crime type: expected a data.police.uk crime "
         "type (any of the 2010, 2011 and 2013 sets), found 'burglary'", rows=ROWS_ONE_REJECTED),
    Case("every_field_empty", street_with("," * 11),
         f"{PROBLEM}, column 'Month': unparseable month: expected a month YYYY-MM, "
         "found nothing", rows=ROWS_ONE_REJECTED),
    Case("field_longer_than_2_mib", street_with(row("x", name="A" * (2**21 + 10))),
         f"{PROBLEM}: line too long: expected a record of at most 2,097,152 characters, "
         "found 2,097,329 characters", rows=ROWS_ONE_REJECTED),
    Case("windows_line_endings_and_a_bad_month",
         street_with(row("x", month="2025-13"), eol="\r\n"),
         f"{PROBLEM}, column 'Month': unparseable month: expected a month YYYY-MM, "
         "found '2025-13'", rows=ROWS_ONE_REJECTED),
    Case("blank_lines_before_a_bad_row",
         text_file(STREET, "\n".join([HEADER_LINE, row("a"), "", "", row("x", month="")]) + "\n"),
         f"IN/{STREET}, line 5, column 'Month': unparseable month: expected a month YYYY-MM, "
         "found nothing"),
    Case("quoted_field_spanning_two_lines_is_a_row",
         street_with(row("x", location='"On or near\nPark Road"')),
         "Rejects by rule: none", rows=ROWS_ALL_KEPT),
    Case("three_hundred_malformed_lines", _many_bad_lines,
         f"IN/{STREET}: wrong number of fields: expected 12 fields, found 297 more like this",
         rows="Rows: 301 read, 1 kept, 300 rejected, 0 repeated Crime IDs dropped (first kept), "
              "0 with no LSOA (force only)"),
    # -- values in kept rows: warned with their line
    Case("crime_id_too_short", street_with(row(cid="abc123")),
         f"{PROBLEM}, column 'Crime ID': malformed Crime ID: expected 64 hex characters, or none "
         "(anti-social behaviour), found 'abc123'", rows=ROWS_ALL_KEPT),
    Case("crime_id_not_hex", street_with(row(cid="z" * 64)),
         f"{PROBLEM}, column 'Crime ID': malformed Crime ID: expected 64 hex characters, or none "
         "(anti-social behaviour), found '" + "z" * 57 + "...'",
         rows=ROWS_ALL_KEPT),
    Case("latitude_as_text", street_with(row("x", latitude="N/A")),
         f"{PROBLEM}, column 'Latitude': latitude not a number: expected a number, or none, "
         "found 'N/A'", rows=ROWS_ALL_KEPT),
    Case("latitude_with_a_decimal_comma", street_with(row("x", latitude='"51,1"')),
         f"{PROBLEM}, column 'Latitude': latitude not a number: expected a number, or none, "
         "found '51,1'", rows=ROWS_ALL_KEPT),
    Case("lsoa_code_in_lower_case", street_with(row("x", lsoa="e01000001")),
         f"{PROBLEM}, column 'LSOA code': malformed LSOA code: expected E01 or W01 and 6 digits, "
         "or none, found 'e01000001'", rows=ROWS_ALL_KEPT),
    Case("lsoa_code_of_an_msoa", street_with(row("x", lsoa="E02000001")),
         f"{PROBLEM}, column 'LSOA code': malformed LSOA code: expected E01 or W01 and 6 digits, "
         "or none, found 'E02000001'", rows=ROWS_ALL_KEPT),
    Case("crime_id_repeated", street_with(row("a")),
         "Warnings: repeated Crime ID 1",
         rows="Rows: 4 read, 3 kept, 0 rejected, 1 repeated Crime IDs dropped (first kept), "
              "0 with no LSOA (force only)"),
    # -- whole files that cannot be read
    Case("utf16_little_endian_with_bom", text_file(STREET, HEADER_LINE + "\n" + row() + "\n",
                                                   "utf-16"),
         f"IN/{STREET}: {UTF16}", EXIT_FAILED),
    Case("utf16_big_endian_with_bom",
         bytes_file(STREET, b"\xfe\xff" + (HEADER_LINE + "\n" + row() + "\n").encode("utf-16-be")),
         f"IN/{STREET}: {UTF16}", EXIT_FAILED),
    Case("utf16_without_bom", text_file(STREET, HEADER_LINE + "\n" + row() + "\n", "utf-16-le"),
         f"IN/{STREET}: {UTF16}", EXIT_FAILED),
    Case("empty_file", text_file(STREET, ""),
         f"IN/{STREET}: empty file: expected a header and at least one row, found an empty file"),
    Case("whitespace_only", text_file(STREET, "  \n\n \n"),
         f"IN/{STREET}: empty file: expected a header and at least one row, found an empty file"),
    Case("header_only", text_file(STREET, HEADER_LINE + "\n"),
         f"IN/{STREET}: empty file: expected at least one row after the header, found a header "
         "only"),
    Case("header_column_renamed", text_file(STREET, HEADER_LINE.replace("LSOA name", "LSOA")
                                            + "\n" + row() + "\n"),
         f"IN/{STREET}, line 1, column 'LSOA name': wrong header: expected column 9 named "
         "'LSOA name' (the 12 data.police.uk columns), found 'LSOA'", EXIT_FAILED),
    Case("header_in_capitals", text_file(STREET, HEADER_LINE.upper() + "\n" + row() + "\n"),
         f"IN/{STREET}, line 1, column 'Crime ID': wrong header: expected column 1 named "
         "'Crime ID' (the 12 data.police.uk columns), found 'CRIME ID'", EXIT_FAILED),
    Case("header_missing", text_file(STREET, row() + "\n"),
         f"IN/{STREET}, line 1: missing header: expected the header line {HEADER_LINE}, found a "
         f"data row: {row()[:57]}...", EXIT_FAILED),
    Case("header_with_an_extra_column", text_file(STREET, HEADER_LINE + ",Notes\n" + row() + "\n"),
         f"IN/{STREET}, line 1, column 'Notes': wrong header: expected 12 columns, found 13 "
         "columns (extra 'Notes')", EXIT_FAILED),
    Case("semicolon_separated_file", text_file(STREET, HEADER_LINE.replace(",", ";") + "\n"),
         f"IN/{STREET}, line 1, column 'Crime ID': wrong header: expected column 1 named "
         "'Crime ID' (the 12 data.police.uk columns), found 'Crime ID;Month;Reported by;Falls "
         "within;Longitude;Latitud...'", EXIT_FAILED),
    Case("png_named_csv", bytes_file(STREET, b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
         f"IN/{STREET}: not CSV text: expected CSV text, found binary data (NUL bytes)",
         EXIT_FAILED),
    Case("gzip_named_csv", bytes_file(STREET, gzip.compress((HEADER_LINE + "\n").encode(),
                                                            mtime=0)),
         f"IN/{STREET}: not CSV text: expected CSV text, found gzip-compressed data: decompress "
         "it first", EXIT_FAILED),
    Case("workbook_named_csv", bytes_file(STREET, b"PK\x03\x04\x14\x00\x06\x00" + bytes(64)),
         f"IN/{STREET}: not CSV text: expected CSV text, found a zip archive or an Excel "
         "workbook: name it .zip, or save the sheet as CSV UTF-8", EXIT_FAILED),
    Case("nul_bytes_in_a_row", street_with(row("x", name="Ash\x00ford")),
         f"IN/{STREET}: not CSV text: expected CSV text, found binary data (NUL bytes)",
         EXIT_FAILED),
    # -- names: every skipped file named, near misses of a street name are errors
    Case("month_xx_in_name", street_file("2025-xx-kent-street.csv"),
         f"IN/2025-xx-kent-street.csv: {NAME}'2025-xx-kent-street.csv': month 2025-xx is not "
         "YYYY-MM", EXIT_FAILED),
    Case("month_13_in_name", street_file("2025-13-kent-street.csv"),
         f"IN/2025-13-kent-street.csv: {NAME}'2025-13-kent-street.csv': month 2025-13 is not "
         "01-12", EXIT_FAILED),
    Case("single_digit_month_in_name", street_file("2025-2-kent-street.csv"),
         f"IN/2025-2-kent-street.csv: {NAME}'2025-2-kent-street.csv': month 2025-2 is not "
         "YYYY-MM", EXIT_FAILED),
    Case("browser_copy_of_a_street_file", street_file("2025-02-kent-street (1).csv"),
         f"IN/2025-02-kent-street (1).csv: {NAME}'2025-02-kent-street (1).csv', a browser's or a "
         "copy's name: rename it to 2025-02-kent-street.csv", EXIT_FAILED),
    Case("windows_copy_of_a_street_file", street_file("2025-02-kent-street - Copy.csv"),
         f"IN/2025-02-kent-street - Copy.csv: {NAME}'2025-02-kent-street - Copy.csv', a browser's "
         "or a copy's name: rename it to 2025-02-kent-street.csv", EXIT_FAILED),
    Case("force_in_capitals", street_file("2025-02-Kent-street.csv"),
         f"IN/2025-02-Kent-street.csv: {NAME}'2025-02-Kent-street.csv', with capital letters: "
         "rename it to 2025-02-kent-street.csv", EXIT_FAILED),
    Case("underscore_before_street", street_file("2025-02-kent_street.csv"),
         f"IN/2025-02-kent_street.csv: {NAME}'2025-02-kent_street.csv'", EXIT_FAILED),
    Case("text_file", text_file("notes.txt", "hello\n"),
         "Ignored 1 (not a .csv or .zip file): IN/notes.txt"),
    Case("hidden_file", text_file(".DS_Store", "x"),
         "Ignored 1 (a hidden file (its name starts with a dot)): IN/.DS_Store"),
    Case("outcomes_file", text_file("2025-02-kent-outcomes.csv", "x\n"),
         "Ignored 1 (outcomes and stop-and-search files are not street crime): "
         "IN/2025-02-kent-outcomes.csv"),
    Case("unrecognised_csv", text_file("crimes.csv", "x\n"),
         "Ignored 1 (not a recognised input (YYYY-MM-<force>-street.csv, domestic_abuse*.csv, "
         "survey*.csv, population*.csv, series*.csv, lad-to-csp-to-pfa*.csv)): IN/crimes.csv"),
    Case("two_files_for_one_force_month",
         both(street_file(f"2025-02/{STREET}"), street_with(row("x"), name=STREET)),
         f"IN/2025-02-kent-street.csv: second file for one force and month: expected one file "
         f"for kent 2025-02, found two: this and IN/2025-02/{STREET}; IN/2025-02/{STREET} is "
         "used (2 rows kept), this file's 4 are not counted",
         rows="Rows: 6 read, 2 kept, 0 rejected, 0 repeated Crime IDs dropped (first kept), "
              "4 in a file another for its force and month replaced, 0 with no LSOA (force only)"),
    # -- folders and archives
    Case("empty_folder", nothing,
         "IN: empty folder: expected files to ingest, found an empty folder"),
    Case("corrupt_zip", bytes_file("download.zip", b"PK\x03\x04 truncated"),
         "IN/download.zip: unreadable file: expected a readable zip archive, found File is not "
         "a zip file", EXIT_FAILED),
    Case("zip_member_escaping_the_archive", zipped({"../../evil-street.csv": b"x"}),
         "IN/download.zip::../../evil-street.csv: unreadable file: expected a member path inside "
         "the archive, found '../../evil-street.csv'", EXIT_FAILED),
    Case("zip_member_with_a_browser_copy_name",
         zipped({"2025-02/2025-02-kent-street (1).csv": (HEADER_LINE + "\n" + row()).encode()}),
         f"IN/download.zip::2025-02/2025-02-kent-street (1).csv: {NAME}'2025-02-kent-street "
         "(1).csv', a browser's or a copy's name: rename it to 2025-02-kent-street.csv",
         EXIT_FAILED),
    Case("zip_member_in_utf16",
         zipped({f"2025-02/{STREET}": (HEADER_LINE + "\n" + row()).encode("utf-16")}),
         f"IN/download.zip::2025-02/{STREET}: {UTF16}", EXIT_FAILED),
    Case("zip_with_mac_resource_forks",
         zipped({f"__MACOSX/2025-02/._{STREET}": b"\x00\x05\x16\x07",
                 f"2025-02/{STREET}": (HEADER_LINE + "\n" + row()).encode()}),
         "Ignored 1 (a hidden file (its name starts with a dot)): "
         f"IN/download.zip::__MACOSX/2025-02/._{STREET}"),
    # -- local extracts
    Case("domestic_abuse_in_utf16", text_file("domestic_abuse.csv", "event_id,date\n1,2025-01-01\n",
                                              "utf-16"),
         f"IN/domestic_abuse.csv: {UTF16}"),
    Case("domestic_abuse_empty", text_file("domestic_abuse.csv", ""),
         "IN/domestic_abuse.csv: empty file: expected a header line and rows, found an empty "
         "file"),
    Case("domestic_abuse_quote_never_closed",
         text_file("domestic_abuse.csv", "event_id,date,kind,victim_id,lsoa_code,partnership,"
                   "marac_referral\nE1,\"2025-02-05,crime,V1,E01000001,,N\n"
                   + "".join(f"E{i},2025-02-05,crime,V{i},E01000001,,N\n" for i in range(2, 40))),
         "IN/domestic_abuse.csv, line 2: quote never closed: expected a closing quote within 20 "
         "lines, found a quote still open 20 lines later: 'E1,\"2025-02-05,crime,V1,E01000001,,N'",
         extra=("domestic-abuse: IN/domestic_abuse.csv: 38 rows kept",)),
    # -- the store itself: one line, exit 3, the file left as it was
    Case("store_of_random_bytes", street_file(), "", EXIT_STORE,
         store=_store_bytes(bytes(range(256)) * 1200)),
    Case("store_that_is_text", street_file(), "", EXIT_STORE,
         store=_store_bytes(b"this is not a database\n")),
    Case("store_truncated_to_half", street_file(), "", EXIT_STORE, store=_store_truncated),
    Case("store_of_another_application", street_file(), "", EXIT_STORE, store=_store_foreign),
    Case("store_with_one_cdrp_table", street_file(), "", EXIT_STORE, store=_store_partial),
    # -- params
    Case("params_alias_bomb", street_file(),
         "cdrp ingest: error: PARAMS/partnerships/bomb.yaml, line 2: YAML alias bomb: expected "
         "at most 100,000 values once aliases (*name) are expanded, found more than 100,000: "
         "aliases of aliases multiply them", EXIT_ERROR, params=_alias_bomb),
    Case("params_alias_of_itself", street_file(),
         "cdrp ingest: error: PARAMS/partnerships/loop.yaml, line 3: YAML alias bomb: expected "
         "at most 100,000 values once aliases (*name) are expanded, found more than 100,000: "
         "aliases of aliases multiply them", EXIT_ERROR, params=_self_alias),
    Case("params_not_utf8", street_file(),
         "cdrp ingest: error: PARAMS/partnerships/cafe.yaml, line 2: not UTF-8: expected UTF-8 "
         "text (save the file as UTF-8), found the byte 0xe9 (byte 10 of the line)", EXIT_ERROR,
         params=_params_not_utf8),
]

# The store's tables as the message lists them, written out: a table added to the schema
# changes what a user is told, so this test should notice.
_TABLES = ("input_files, police_counts, force_months, data_quality, partnerships, "
           "partnership_districts, partnership_forces, series, da_events, survey, "
           "population, partner_values, csp_lookup")
STORE_LINES = {
    "store_of_random_bytes": "cdrp ingest: error: cannot use the store STORE: IO Error: The file "
                             "\"STORE\" exists, but it is not a valid DuckDB database file! (a "
                             "corrupt or truncated store: restore it from a backup or ingest into "
                             "a new --store)",
    "store_that_is_text": "cdrp ingest: error: cannot use the store STORE: IO Error: The file "
                          "\"STORE\" exists, but it is not a valid DuckDB database file! (a "
                          "corrupt or truncated store: restore it from a backup or ingest into a "
                          "new --store)",
    "store_of_another_application": "cdrp ingest: error: STORE is not a cdrp store: a DuckDB "
                                    "database with orders; expected the tables " + _TABLES
                                    + " (pass another --store)",
    "store_with_one_cdrp_table": "cdrp ingest: error: STORE is not a cdrp store: a DuckDB "
                                 "database with input_files; expected the tables " + _TABLES
                                 + " (pass another --store)",
}


@pytest.fixture(scope="module")
def params(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """params with the repo's measures and no partnership files (districts only)."""
    folder = tmp_path_factory.mktemp("params")
    shutil.copy(PROJECT / "params" / "measures.yaml", folder / "measures.yaml")
    return folder


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory, params: Path) -> Path:
    """A store holding one good force month (kent 2025-01), made once for every case."""
    root = tmp_path_factory.mktemp("base")
    data = root / "data"
    data.mkdir()
    (data / "2025-01-kent-street.csv").write_text(
        "\n".join([HEADER_LINE, row("k1", "2025-01"), row("k2", "2025-01", "Drugs")]) + "\n")
    store = root / "store.duckdb"
    assert main(["ingest", str(data), "--store", str(store), "--params", str(params)]) == 0
    return store


def used_bytes(store: Path) -> int:
    """Bytes a store's used blocks need, after DuckDB's three header blocks."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute("SELECT block_size * used_blocks FROM pragma_database_size()").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]) + 3 * 4096


def previous_contents(store: Path) -> tuple[object, ...]:
    """What the base store held: its counts, force months and input files of 2025-01."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        return tuple(con.execute(sql).fetchall() for sql in (
            "SELECT * FROM police_counts WHERE month = '2025-01' ORDER BY ALL",
            "SELECT * FROM force_months WHERE month = '2025-01' ORDER BY ALL",
            "SELECT sha256, path, kind, rows FROM input_files WHERE path LIKE '%2025-01-kent%' "
            "ORDER BY ALL",
            "SELECT * FROM series WHERE month = '2025-01' ORDER BY ALL"))
    finally:
        con.close()


def test_the_corpus_is_at_least_sixty_distinct_cases() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_input_gives_its_line_and_leaves_the_store_as_it_was(
        case: Case, base_store: Path, params: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(base_store, store)
    before = previous_contents(store)
    if case.store is not None:
        case.store(store)
    store_bytes = store.read_bytes()
    case_params = params
    if case.params is not None:
        case_params = tmp_path / "params"
        shutil.copytree(params, case_params)
        case.params(case_params)
    inputs = tmp_path / "IN"
    inputs.mkdir()
    case.build(inputs)

    code = main(["ingest", str(inputs), "--store", str(store), "--params", str(case_params)])

    out, err = capsys.readouterr()
    shown = [line.strip().replace(str(inputs), "IN").replace(str(store), "STORE")
             .replace(str(case_params), "PARAMS") for line in (out + err).splitlines()]
    expected = STORE_LINES.get(case.name, case.line)
    if case.name == "store_truncated_to_half":
        expected = (f"cdrp ingest: error: the store STORE is truncated ({len(store_bytes):,} bytes "
                    f"of the {used_bytes(base_store):,} its used blocks need): restore it from a "
                    "backup or ingest into a new --store")
    assert expected in shown, "\n".join(shown)
    if case.rows is not None:
        assert case.rows in shown, "\n".join(shown)
    for line in case.extra:
        assert line in shown, "\n".join(shown)
    assert code == case.code, "\n".join(shown)
    if case.store is not None:
        assert store.read_bytes() == store_bytes  # a broken store is never written to
        assert out == ""  # one line, on stderr
    else:
        assert previous_contents(store) == before
