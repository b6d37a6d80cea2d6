"""data.police.uk street files: discovery, every validation rule, deduplication, counting.

Fixtures are tiny CSVs written in tmp_path in the published format; each test
makes one rule fire (or proves a row is kept) and checks the file, line and column
the problem names.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from cdrp_lib.errors import PROBLEMS_PER_RULE, InputError, Problem, ProblemLog
from cdrp_lib.sources import police_uk as pu

HEADER_LINE = ",".join(pu.HEADER)


def crime_id_of(short: str) -> str:
    """A Crime ID as published (64 hex characters) standing for a short test name."""
    return hashlib.sha256(short.encode()).hexdigest() if short else ""


def row(crime_id: str = "", month: str = "2025-01", lsoa: str = "E01000001",
        name: str = "Kettering 001A", crime_type: str = "Burglary") -> str:
    """One street row in the published column order."""
    crime_id = crime_id_of(crime_id)
    return (f"{crime_id},{month},Northamptonshire Police,Northamptonshire Police,-0.7,52.4,"
            f"On or near High Street,{lsoa},{name},{crime_type},Under investigation,")


def write(path: Path, rows: Sequence[str], header: str = HEADER_LINE, eol: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((eol.join([header, *rows]) + eol).encode("utf-8"))
    return path


def street(tmp_path: Path, name: str = "2025-01-northamptonshire-street.csv",
           rows: Sequence[str] = (), **kw: str) -> pu.StreetFile:
    path = write(tmp_path / name, rows, **kw)
    parsed = pu.parse_street_name(name)
    assert parsed is not None
    return pu.StreetFile(str(path), path, force=parsed[1], month=parsed[0])


def read(tmp_path: Path, files: Sequence[pu.StreetFile], batch_bytes: int = 2**26
         ) -> tuple[pu.StreetRead, dict[tuple[str, str, str, str], int]]:
    """Check and read ``files``; the counts as {(force, month, lsoa_code, crime_type): n}."""
    con = duckdb.connect()
    checks = [pu.check_street_file(f, tmp_path / "scratch") for f in files]
    result = pu.read_street_files(con, iter(checks), tmp_path / "scratch",
                                  batch_bytes=batch_bytes)
    counts = {(f, m, c, t): int(n) for f, m, c, t, n in con.execute(
        "SELECT force, month, lsoa_code, crime_type, sum(n) FROM street_counts "
        "GROUP BY ALL").fetchall()}
    return result, counts


def only(problems: Sequence[Problem], rule: str) -> list[Problem]:
    return [p for p in problems if p.rule == rule]


# --------------------------------------------------------------------------- names and discovery

def test_street_file_names_give_month_and_force() -> None:
    assert pu.parse_street_name("2019-01-avon-and-somerset-street.csv") == (
        "2019-01", "avon-and-somerset")
    assert pu.parse_street_name("2019-01-kent-outcomes.csv") is None
    assert pu.parse_street_name("street.csv") is None


def test_discovers_month_folders_flat_folders_and_zips(tmp_path: Path) -> None:
    write(tmp_path / "months" / "2025-01" / "2025-01-kent-street.csv", [row()])
    write(tmp_path / "months" / "2025-02" / "2025-02-kent-street.csv", [row(month="2025-02")])
    write(tmp_path / "flat" / "2025-03-kent-street.csv", [row(month="2025-03")])
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2025-04/2025-04-essex-street.csv", HEADER_LINE + "\n" + row(month="2025-04"))
        z.writestr("2025-04/2025-04-essex-outcomes.csv", "x\n")
        z.writestr("2025-04/2025-04-essex-stop-and-search.csv", "x\n")
    found = pu.discover([tmp_path / "months", tmp_path / "flat", archive], tmp_path / "x")
    assert [(f.force, f.month) for f in found.street] == [
        ("kent", "2025-01"), ("kent", "2025-02"), ("kent", "2025-03"), ("essex", "2025-04")]
    zipped = found.street[-1]
    assert zipped.name == f"{archive}::2025-04/2025-04-essex-street.csv"
    assert zipped.path.read_text().startswith("Crime ID")  # extracted to disk for DuckDB
    assert sorted(name.rsplit("-", 1)[-1] for name, _ in found.ignored) == [
        "outcomes.csv", "search.csv"]
    assert not found.problems


def test_discovery_reports_missing_paths_corrupt_zips_and_bad_month_names(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    write(tmp_path / "2025-13-kent-street.csv", [row()])
    found = pu.discover([tmp_path / "nowhere", tmp_path / "broken.zip",
                         tmp_path / "2025-13-kent-street.csv"], tmp_path / "x")
    rules = {p.file.rsplit("/", 1)[-1]: p.rule for p in found.problems}
    assert rules == {"nowhere": pu.RULE_UNREADABLE, "broken.zip": pu.RULE_UNREADABLE,
                     "2025-13-kent-street.csv": pu.RULE_FILE_NAME}
    assert not found.street


# --------------------------------------------------------------------------- file-level rules

def test_wrong_header_names_the_column(tmp_path: Path) -> None:
    sf = street(tmp_path, rows=[row()], header=HEADER_LINE.replace("LSOA name", "LSOA"))
    check = pu.check_street_file(sf, tmp_path)
    assert not check.usable
    (problem,) = check.problems
    assert (problem.rule, problem.line, problem.column) == (pu.RULE_WRONG_HEADER, 1, "LSOA name")
    assert problem.found == "'LSOA'"


def test_extra_header_column_is_a_wrong_header(tmp_path: Path) -> None:
    check = pu.check_street_file(street(tmp_path, rows=[row()], header=HEADER_LINE + ",Extra"),
                                 tmp_path)
    assert [p.rule for p in check.problems] == [pu.RULE_WRONG_HEADER]
    assert check.problems[0].column == "Extra"


def test_missing_header_is_reported(tmp_path: Path) -> None:
    check = pu.check_street_file(street(tmp_path, rows=[row()], header=row("abc")), tmp_path)
    assert not check.usable
    assert [(p.rule, p.line) for p in check.problems] == [(pu.RULE_MISSING_HEADER, 1)]


@pytest.mark.parametrize("content", [b"", HEADER_LINE.encode() + b"\n"])
def test_empty_file_is_reported_and_read_as_no_rows(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "2025-01-kent-street.csv"
    path.write_bytes(content)
    check = pu.check_street_file(pu.StreetFile(str(path), path, "kent", "2025-01"), tmp_path)
    assert check.usable and check.empty
    assert [p.rule for p in check.problems] == [pu.RULE_EMPTY]


def test_bytes_that_are_not_utf8_reject_that_row_only(tmp_path: Path) -> None:
    path = tmp_path / "2025-01-kent-street.csv"
    good = row("a1").encode()
    bad = row("a2", name="Kettering 00\xff").encode("latin-1")
    path.write_bytes(b"\n".join([HEADER_LINE.encode(), good, bad, row("a3").encode()]) + b"\n")
    sf = pu.StreetFile(str(path), path, "kent", "2025-01")
    result, counts = read(tmp_path, [sf])
    (problem,) = only(result.problems, pu.RULE_NOT_UTF8)
    assert (problem.line, problem.column) == (3, "LSOA name")
    assert "0xff" in problem.found
    assert counts == {("kent", "2025-01", "E01000001", "burglary"): 2}
    assert result.stats[0].rejected == 1 and result.stats[0].kept == 2


def test_row_with_wrong_number_of_fields_is_rejected_and_lines_stay_exact(tmp_path: Path) -> None:
    sf = street(tmp_path, rows=[row("a1"), row("a2") + ",extra", row("a3", month="2024-12")])
    result, counts = read(tmp_path, [sf])
    fields = only(result.problems, pu.RULE_FIELDS)
    assert [(p.line, p.found) for p in fields] == [
        (3, "13 fields (an unquoted comma in a text column?)")]
    # the row after the dropped one is still named by its own line
    assert [p.line for p in only(result.problems, pu.RULE_OTHER_MONTH)] == [4]
    assert sum(counts.values()) == 1


# --------------------------------------------------------------------------- row rules

def test_row_claiming_another_month_is_rejected(tmp_path: Path) -> None:
    sf = street(tmp_path, rows=[row("a1"), row("a2", month="2025-02")])
    result, counts = read(tmp_path, [sf])
    (problem,) = result.problems
    assert (problem.rule, problem.line, problem.column) == (pu.RULE_OTHER_MONTH, 3, "Month")
    assert problem.found == "'2025-02'" and "2025-01" in problem.expected
    assert sum(counts.values()) == 1


@pytest.mark.parametrize("month", ["Jan 2025", "2025-13", ""])
def test_unparseable_month_is_rejected(tmp_path: Path, month: str) -> None:
    result, counts = read(tmp_path, [street(tmp_path, rows=[row("a1"), row("a2", month=month)])])
    (problem,) = result.problems
    assert (problem.rule, problem.line) == (pu.RULE_BAD_MONTH, 3)
    assert sum(counts.values()) == 1


def test_unknown_crime_type_is_rejected(tmp_path: Path) -> None:
    sf = street(tmp_path, rows=[row("a1"), row("a2", crime_type="Jaywalking")])
    result, counts = read(tmp_path, [sf])
    (problem,) = result.problems
    assert (problem.rule, problem.line, problem.column, problem.found) == (
        pu.RULE_UNKNOWN_TYPE, 3, "Crime type", "'Jaywalking'")
    assert counts == {("northamptonshire", "2025-01", "E01000001", "burglary"): 1}


def test_row_breaking_two_rules_reports_both(tmp_path: Path) -> None:
    result, _ = read(tmp_path, [street(tmp_path, rows=[row("a", month="x", crime_type="?")])])
    assert sorted(p.rule for p in result.problems) == sorted(
        [pu.RULE_BAD_MONTH, pu.RULE_UNKNOWN_TYPE])
    assert result.stats[0].rejected == 1


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    a = street(tmp_path, "2025-01-kent-street.csv", rows=[row("a", month="2025-02"), row("b")])
    b = street(tmp_path, "2025-01-essex-street.csv", rows=[row("c", crime_type="X"), row("d")])
    result, counts = read(tmp_path, [a, b])
    assert {(Path(p.file).name, p.rule) for p in result.problems} == {
        ("2025-01-kent-street.csv", pu.RULE_OTHER_MONTH),
        ("2025-01-essex-street.csv", pu.RULE_UNKNOWN_TYPE)}
    assert sum(counts.values()) == 2


# --------------------------------------------------------------------------- repeats, ASB, LSOA

def test_repeated_crime_id_keeps_the_first_row_in_file_order(tmp_path: Path) -> None:
    rows = [row("dup", lsoa="E01000009", name="Corby 009A"), row("other"),
            row("dup", lsoa="E01000002", name="Kettering 002A"),
            row("dup", lsoa="E01000003", name="Kettering 003A")]
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert counts == {("northamptonshire", "2025-01", "E01000009", "burglary"): 1,
                      ("northamptonshire", "2025-01", "E01000001", "burglary"): 1}
    repeats = only(result.problems, pu.RULE_DUPLICATE)
    assert [(p.line, p.severity) for p in repeats] == [(4, "warning"), (5, "warning")]
    assert "kept line 2" in repeats[0].expected
    assert result.stats[0].duplicates == 2 and result.stats[0].kept == 2


def test_repeat_of_a_rejected_row_is_kept(tmp_path: Path) -> None:
    """The first *valid* row of a Crime ID is the one counted."""
    rows = [row("dup", crime_type="Nonsense"), row("dup", lsoa="E01000002")]
    _, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert counts == {("northamptonshire", "2025-01", "E01000002", "burglary"): 1}


def test_asb_rows_are_never_deduplicated(tmp_path: Path) -> None:
    rows = [row("", crime_type="Anti-social behaviour")] * 3
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert counts == {("northamptonshire", "2025-01", "E01000001", "anti-social-behaviour"): 3}
    assert not only(result.problems, pu.RULE_DUPLICATE)


def test_same_crime_id_in_two_forces_files_counts_in_each(tmp_path: Path) -> None:
    a = street(tmp_path, "2025-01-kent-street.csv", rows=[row("same")])
    b = street(tmp_path, "2025-01-essex-street.csv", rows=[row("same")])
    _, counts = read(tmp_path, [a, b])
    assert sorted(k[0] for k in counts) == ["essex", "kent"]


def test_rows_with_no_lsoa_are_kept_for_the_force(tmp_path: Path) -> None:
    rows = [row("a", lsoa="", name=""), row("b", lsoa="", name=""), row("c")]
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert counts[("northamptonshire", "2025-01", "", "burglary")] == 2
    assert result.stats[0].no_lsoa == 2
    (info,) = only(result.problems, pu.RULE_NO_LSOA)
    assert info.severity == "info"


# --------------------------------------------------------------------------- formats and types

def test_crlf_files_read_like_lf(tmp_path: Path) -> None:
    _, lf = read(tmp_path, [street(tmp_path, "2025-01-kent-street.csv", rows=[row("a")])])
    sf = street(tmp_path, "2025-01-essex-street.csv", rows=[row("a"), row("b")], eol="\r\n")
    result, crlf = read(tmp_path / "b", [sf])
    assert not [p for p in result.problems if p.severity == "error"]
    assert crlf == {("essex", "2025-01", "E01000001", "burglary"): 2}
    assert lf == {("kent", "2025-01", "E01000001", "burglary"): 1}


def test_every_category_set_maps_to_its_slug(tmp_path: Path) -> None:
    names = list(pu.CRIME_TYPE_SLUGS)
    rows = [row(f"id{i}", crime_type=name) for i, name in enumerate(names)]
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert not result.problems
    by_slug = {k[3]: n for k, n in counts.items()}
    assert by_slug["violent-crime"] == 2  # Violent crime (2010-13) + Violence and sexual offences
    assert by_slug["public-disorder-weapons"] == 1  # the legacy slug, kept apart
    assert set(by_slug) == pu.CURRENT_SLUGS | {pu.LEGACY_SLUG}
    assert len(pu.CURRENT_SLUGS) == 14


def test_quoted_field_spanning_lines_keeps_line_numbers_exact(tmp_path: Path) -> None:
    multi = row("a").replace("On or near High Street", '"On or near\nHigh Street"')
    sf = street(tmp_path, rows=[multi, row("b", month="2024-01")])
    result, counts = read(tmp_path, [sf])
    assert [p.line for p in result.problems] == [4]
    assert sum(counts.values()) == 1


def test_lines_are_exact_across_files_and_batches(tmp_path: Path) -> None:
    """rowid order is file order even with several files per batch and several batches."""
    files = []
    for i, force in enumerate(["aa", "bb", "cc", "dd"]):
        rows = [row(f"{force}{j}") for j in range(200)]
        rows[50 + i] = row("bad", crime_type="Nope")
        files.append(street(tmp_path, f"2025-01-{force}-street.csv", rows=rows))
    result, counts = read(tmp_path, files, batch_bytes=50_000)  # 2 files a batch
    assert [(Path(p.file).name[8:10], p.line) for p in result.problems] == [
        ("aa", 52), ("bb", 53), ("cc", 54), ("dd", 55)]
    assert sum(counts.values()) == 4 * 199


def test_later_file_for_one_force_and_month_replaces_the_earlier(tmp_path: Path) -> None:
    first = street(tmp_path / "a", rows=[row("x"), row("y")])
    second = street(tmp_path / "b", rows=[row("z")])
    _, counts = read(tmp_path, [first, second])
    assert counts == {("northamptonshire", "2025-01", "E01000001", "burglary"): 1}


# --------------------------------------------------------------------------- one scan, many files

def test_each_row_is_checked_against_its_own_files_month_in_one_scan(tmp_path: Path) -> None:
    jan = street(tmp_path, "2025-01-kent-street.csv", rows=[row("a"), row("b")])
    feb = street(tmp_path, "2025-02-kent-street.csv",
                 rows=[row("c", month="2025-02"), row("d", month="2025-01")])
    result, counts = read(tmp_path, [jan, feb])  # both in one batch
    (problem,) = result.problems
    assert (Path(problem.file).name, problem.rule, problem.line) == (
        "2025-02-kent-street.csv", pu.RULE_OTHER_MONTH, 3)
    assert "2025-02" in problem.expected and problem.found == "'2025-01'"
    assert counts == {("kent", "2025-01", "E01000001", "burglary"): 2,
                      ("kent", "2025-02", "E01000001", "burglary"): 1}


def test_blank_lines_keep_line_numbers_exact(tmp_path: Path) -> None:
    sf = street(tmp_path, rows=[row("a"), "", row("b"), "", "", row("c", crime_type="Nope")])
    result, counts = read(tmp_path, [sf])
    assert [(p.rule, p.line) for p in result.problems] == [(pu.RULE_UNKNOWN_TYPE, 7)]
    assert sum(counts.values()) == 2


@pytest.mark.parametrize("batch_bytes", [1, 2**30])
def test_file_ending_in_an_unterminated_quote_rejects_that_line_whatever_the_batch(
        tmp_path: Path, batch_bytes: int) -> None:
    """DuckDB reads such a last row differently with other files in its scan; the slow
    path rejects the line with the open quote, whatever the batch."""
    before = street(tmp_path, "2025-01-essex-street.csv", rows=[row("e1"), row("e2")])
    path = tmp_path / "2025-01-kent-street.csv"
    path.write_bytes(("\n".join([HEADER_LINE, row("k1"), row("k2"), row("k1") + '"cut'])
                      + "\n").encode())
    cut = pu.StreetFile(str(path), path, force="kent", month="2025-01")
    after = street(tmp_path, "2025-01-surrey-street.csv", rows=[row("s1")])
    result, counts = read(tmp_path, [before, cut, after], batch_bytes=batch_bytes)
    assert counts == {("essex", "2025-01", "E01000001", "burglary"): 2,
                      ("kent", "2025-01", "E01000001", "burglary"): 2,
                      ("surrey", "2025-01", "E01000001", "burglary"): 1}
    (open_quote,) = only(result.problems, pu.RULE_OPEN_QUOTE)
    assert (Path(open_quote.file).name, open_quote.line) == ("2025-01-kent-street.csv", 4)
    assert open_quote.found == "a quote opened and never closed: '\"cut'"
    kent = next(s for s in result.stats if s.force == "kent")
    assert (kent.rows, kent.kept, kent.rejected, kent.duplicates) == (3, 2, 1, 0)


def test_check_counts_lines_and_spots_an_unterminated_last_quote(tmp_path: Path) -> None:
    path = tmp_path / "2025-01-kent-street.csv"
    path.write_bytes((HEADER_LINE + "\r\n" + row("a") + "\r\n" + row("b")).encode())
    check = pu.check_street_file(pu.StreetFile(str(path), path, "kent", "2025-01"), tmp_path)
    assert (check.lines, check.unterminated) == (2, False)  # no newline after the last row
    path.write_bytes((HEADER_LINE + "\n" + row("a") + '\n"On or near\n').encode())
    check = pu.check_street_file(pu.StreetFile(str(path), path, "kent", "2025-01"), tmp_path)
    assert (check.lines, check.unterminated) == (2, True)
    path.write_bytes((HEADER_LINE + "\n" + row("a") + '"On or near\n').encode())
    check = pu.check_street_file(pu.StreetFile(str(path), path, "kent", "2025-01"), tmp_path)
    assert check.line_map == ()  # its fields do not balance: the slow path, which rejects it
    assert [(p.rule, p.line) for p in check.problems] == [(pu.RULE_OPEN_QUOTE, 2)]


def test_clean_copies_of_two_identical_files_never_share_a_path(tmp_path: Path) -> None:
    """Files are checked in parallel: two copies of one broken file must not write one copy."""
    rows = [row("a1"), row("a2", name="Kettering 00\xff")]
    data = (HEADER_LINE + "\n" + "\n".join(rows) + "\n").encode("latin-1")
    checks = []
    for folder in ("x", "y"):
        path = tmp_path / folder / "2025-01-kent-street.csv"
        path.parent.mkdir()
        path.write_bytes(data)
        checks.append(pu.check_street_file(pu.StreetFile(str(path), path, "kent", "2025-01"),
                                           tmp_path / "scratch"))
    assert checks[0].read_path != checks[1].read_path
    assert checks[0].read_path.read_bytes() == checks[1].read_path.read_bytes()
    assert [c.line_map for c in checks] == [(2,), (2,)]


def test_file_duckdb_cannot_read_even_after_the_slow_path_is_reported_not_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should DuckDB still reject the clean copy, the file is named and nothing of it counted."""
    bad = street(tmp_path, "2025-01-kent-street.csv", rows=[row("a"), row("b") + ",extra"])
    good = street(tmp_path, "2025-01-essex-street.csv", rows=[row("c")])
    real_clean_copy = pu.checks._clean_copy

    def still_broken(sf: pu.StreetFile, sha: str, data: bytes, scratch: Path) -> pu.FileCheck:
        cleaned = real_clean_copy(sf, sha, data, scratch)
        return pu.FileCheck(sf, sha, cleaned.size, True, False, sf.path, 2, cleaned.problems,
                            (2, 3), 0)  # hands DuckDB the broken original again

    monkeypatch.setattr(pu.reading, "_clean_copy", still_broken)
    monkeypatch.setattr(pu.checks, "_clean_copy", still_broken)
    result, counts = read(tmp_path, [bad, good])
    unreadable = only(result.problems, pu.RULE_UNREADABLE)
    assert [Path(p.file).name for p in unreadable] == ["2025-01-kent-street.csv"]
    assert "Found: 13" in unreadable[0].found
    kent = next(s for s in result.stats if s.force == "kent")
    assert kent.kept == 0
    assert counts == {("essex", "2025-01", "E01000001", "burglary"): 1}


def test_repeats_and_rejects_are_exact_when_files_are_read_again_in_several_scans(
        tmp_path: Path) -> None:
    """The second pass splits its files into one scan per DuckDB thread; lines stay exact."""
    files = []
    for i, force in enumerate(["aa", "bb", "cc", "dd", "ee"]):
        rows = [row(f"{force}{j}") for j in range(30)]
        rows[3 + i] = row(f"{force}0", lsoa="E01000002", name="Kettering 002A")  # repeat
        rows[20] = row("x", crime_type="Nope")
        rows[25] = row("", crime_type="Anti-social behaviour")
        files.append(street(tmp_path, f"2025-01-{force}-street.csv", rows=rows))
    con = duckdb.connect()
    con.execute("SET threads = 3")
    checks = [pu.check_street_file(f, tmp_path / "scratch") for f in files]
    result = pu.read_street_files(con, iter(checks), tmp_path / "scratch")
    repeats = [(Path(p.file).name[8:10], p.line, p.expected) for p in
               only(result.problems, pu.RULE_DUPLICATE)]
    assert repeats == [(force, 5 + i, "one row per Crime ID (kept line 2)")
                       for i, force in enumerate(["aa", "bb", "cc", "dd", "ee"])]
    assert [p.line for p in only(result.problems, pu.RULE_UNKNOWN_TYPE)] == [22] * 5
    assert [(s.rows, s.kept, s.rejected, s.duplicates) for s in result.stats] == [
        (30, 28, 1, 1)] * 5
    counts = dict(con.execute("SELECT force || ' ' || lsoa_code || ' ' || crime_type, n "
                              "FROM street_counts").fetchall())
    assert counts["aa E01000001 burglary"] == 27 and "aa E01000002 burglary" not in counts
    assert counts["ee E01000001 anti-social-behaviour"] == 1


def test_second_pass_reading_other_rows_than_the_first_is_an_error(tmp_path: Path) -> None:
    """Both passes must read a file alike; if not, the ingest stops rather than guess."""
    sf = street(tmp_path, rows=[row("a"), row("a"), row("b")])
    con = duckdb.connect()
    check = pu.check_street_file(sf, tmp_path)
    pu.read_street_files(con, iter([check]), tmp_path)  # leaves its groups in the connection
    scanned = pu.sql._Scanned(0, 0, check, True)
    with pytest.raises(InputError, match="another number of rows"):
        pu.second_pass._second_pass(con, [scanned], {0: 2})  # the first pass read 3


# --------------------------------------------------------------------------- issue 12: inputs

def test_a_file_of_malformed_lines_holds_a_bounded_number_of_problems(tmp_path: Path) -> None:
    """300,000 bad lines peaked at 3.5 GB, one message each: now 100 per rule and a count."""
    sf = street(tmp_path, rows=["x"] * 300_000 + [row("a")])
    check = pu.check_street_file(sf, tmp_path / "scratch")
    fields = only(list(check.problems), pu.RULE_FIELDS)
    assert len(fields) == PROBLEMS_PER_RULE + 1
    summary = fields[-1]
    assert summary.count == 300_000 - PROBLEMS_PER_RULE
    assert summary.found == (f"{300_000 - PROBLEMS_PER_RULE:,} more like this, the last at "
                             f"line 300001 (the first {PROBLEMS_PER_RULE} are listed)")
    assert (check.dropped, check.line_map) == (300_000, (300_002,))


def test_problem_log_counts_past_its_cap_per_file_and_rule() -> None:
    log = ProblemLog(limit=2)
    for line in range(2, 7):
        log.add(Problem("a.csv", "r", "x", "y", line=line))
    log.add(Problem("b.csv", "r", "x", "y", line=2))
    problems = log.problems()
    assert [(p.file, p.line, p.count) for p in problems] == [
        ("a.csv", 2, 1), ("a.csv", 3, 1), ("b.csv", 2, 1), ("a.csv", None, 3)]
    assert problems[-1].found == "3 more like this, the last at line 6 (the first 2 are listed)"


def test_a_quote_never_closed_rejects_its_line_and_reading_goes_on(tmp_path: Path) -> None:
    rows = [row(f"r{i}") for i in range(199)]
    rows[48] = rows[48].replace("On or near", '"On or near')
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    (stats,) = result.stats
    assert (stats.rows, stats.kept, stats.rejected) == (199, 198, 1)
    assert [(p.rule, p.line) for p in result.problems] == [(pu.RULE_OPEN_QUOTE, 50)]
    assert sum(counts.values()) == 198


def test_a_quoted_field_may_span_lines_but_not_more_than_the_limit(tmp_path: Path) -> None:
    spanning = row("s").replace("On or near High Street", '"On or near\nHigh Street"')
    too_long = row("t").replace("On or near High Street",
                                '"On' + "\n" * pu.checks.RECORD_MAX_LINES + 'near"')
    sf = street(tmp_path, rows=[spanning, too_long, row("u")])
    result, _ = read(tmp_path, [sf])
    (stats,) = result.stats
    # the open quote's line is rejected; the lines it would have swallowed are read
    # on their own (blank lines, then a line whose quote is never closed either)
    end = 4 + pu.checks.RECORD_MAX_LINES
    assert [(p.rule, p.line) for p in result.problems] == [
        (pu.RULE_OPEN_QUOTE, 4), (pu.RULE_OPEN_QUOTE, end)]
    assert (stats.rows, stats.kept, stats.rejected) == (4, 2, 2)


def test_the_field_count_is_checked_before_duckdb_reads_a_13th_empty_field(
        tmp_path: Path) -> None:
    """DuckDB takes 13 fields whose last is empty as 12: a comma in the outcome was silent."""
    sf = street(tmp_path, rows=[row("a"), row("b").replace("Under investigation",
                                                             "Under, investigation")])
    result, counts = read(tmp_path, [sf])
    assert [(p.rule, p.line, p.found) for p in result.problems] == [
        (pu.RULE_FIELDS, 3, "13 fields (an unquoted comma in a text column?)")]
    assert sum(counts.values()) == 1


def test_a_comma_inside_quotes_is_not_a_field(tmp_path: Path) -> None:
    sf = street(tmp_path, rows=[row("a", name='"Kettering, 001A"')])
    check = pu.check_street_file(sf, tmp_path)
    assert check.read_path == sf.path  # the fast path: nothing to clean
    result, counts = read(tmp_path, [sf])
    assert not result.problems and sum(counts.values()) == 1


@pytest.mark.parametrize(("data", "found"), [
    (("\n".join([HEADER_LINE, row("a")]) + "\n").encode("utf-16"), "UTF-16: save it as UTF-8"),
    (("\n".join([HEADER_LINE, row("a")]) + "\n").encode("utf-16-le"), "UTF-16: save it as UTF-8"),
    (("\n".join([HEADER_LINE, row("a")]) + "\n").encode("utf-16-be"), "UTF-16: save it as UTF-8"),
    (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip-compressed data"),
])
def test_a_file_that_is_not_utf8_text_says_what_it_is(tmp_path: Path, data: bytes,
                                                       found: str) -> None:
    path = tmp_path / "2025-01-kent-street.csv"
    path.write_bytes(data)
    check = pu.check_street_file(pu.StreetFile(str(path), path, "kent", "2025-01"), tmp_path)
    (problem,) = check.problems
    assert not check.usable and found in problem.found
    assert problem.rule != pu.RULE_WRONG_HEADER


@pytest.mark.parametrize(("name", "found"), [
    ("2021-xx-kent-street.csv", "month 2021-xx is not YYYY-MM"),
    ("2021-13-kent-street.csv", "month 2021-13 is not 01-12"),
    ("2021-01-kent-street (1).csv", "rename it to 2021-01-kent-street.csv"),
    ("2021-01-Kent-street.csv", "with capital letters: rename it to 2021-01-kent-street.csv"),
    ("2021-01-kent-street - Copy.csv", "rename it to 2021-01-kent-street.csv"),
])
def test_a_street_name_that_almost_matches_is_an_error_not_a_skip(
        tmp_path: Path, name: str, found: str) -> None:
    write(tmp_path / "in" / name, [row()])
    result = pu.discover([tmp_path / "in"], tmp_path / "x")
    (problem,) = result.problems
    assert (problem.rule, problem.severity) == (pu.RULE_FILE_NAME, "error")
    assert found in problem.found
    assert not result.street and not result.other and not result.ignored


def test_every_skipped_file_is_named_with_why(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for name in ("notes.txt", ".DS_Store", "2021-01-kent-outcomes.csv"):
        write(folder / name, ["x"])
    (tmp_path / "empty").mkdir()
    result = pu.discover([folder, tmp_path / "empty"], tmp_path / "x")
    assert sorted((Path(n).name, why) for n, why in result.ignored) == [
        (".DS_Store", "a hidden file (its name starts with a dot)"),
        ("2021-01-kent-outcomes.csv", "outcomes and stop-and-search files are not street crime"),
        ("notes.txt", "not a .csv or .zip file")]
    (empty,) = result.problems
    assert (Path(empty.file).name, empty.rule, empty.severity) == (
        "empty", pu.RULE_EMPTY_FOLDER, "warning")


def test_odd_values_in_kept_rows_are_warned_with_their_lines(tmp_path: Path) -> None:
    rows = [row("a"), row("b"), row("c", lsoa="E1000001"),
            row("d").replace("-0.7,52.4", "-0.7,N/A"), row("", crime_type="Anti-social behaviour")]
    rows[1] = rows[1].replace(crime_id_of("b"), "abc")
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert sorted((p.line, p.rule, p.column, p.severity) for p in result.problems) == [
        (3, pu.RULE_BAD_CRIME_ID, "Crime ID", "warning"),
        (4, pu.RULE_BAD_LSOA, "LSOA code", "warning"),
        (5, pu.RULE_BAD_LATITUDE, "Latitude", "warning")]
    assert sum(counts.values()) == 5  # all kept; an ASB row without a Crime ID is fine


def test_a_crime_id_of_64_characters_not_all_ascii_is_warned(tmp_path: Path) -> None:
    """64 characters but 65 bytes (an accented letter): not the 64 hex digits published."""
    accented = crime_id_of("a")[:63] + "\u00e9"
    rows = [row("a").replace(crime_id_of("a"), accented), row("b")]
    result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
    assert [(p.line, p.rule) for p in result.problems] == [(2, pu.RULE_BAD_CRIME_ID)]
    assert sum(counts.values()) == 2


def test_a_repeat_with_an_odd_value_is_still_a_repeat(tmp_path: Path) -> None:
    """A row with a value to warn about is hashed apart in the first pass (sql.ODD_ROW):
    its file's second pass must still find its Crime ID repeated, either way round."""
    odd_latitude = row("dup", lsoa="E01000002").replace("-0.7,52.4", "-0.7,N/A")
    for rows, by_lsoa, dropped_line, odd_line in (
            ([row("dup"), odd_latitude, row("x")], {"E01000001": 2}, 3, 3),
            ([odd_latitude, row("x"), row("dup")], {"E01000001": 1, "E01000002": 1}, 4, 2)):
        result, counts = read(tmp_path, [street(tmp_path, rows=rows)])
        (repeat,) = only(result.problems, pu.RULE_DUPLICATE)
        assert repeat.line == dropped_line
        assert [p.line for p in only(result.problems, pu.RULE_BAD_LATITUDE)] == [odd_line]
        assert {k[2]: n for k, n in counts.items()} == by_lsoa
        assert (result.stats[0].kept, result.stats[0].duplicates) == (2, 1)


def test_the_lean_second_pass_finds_what_the_full_one_finds(tmp_path: Path) -> None:
    """A file with nothing but repeats is read again by a leaner query: same findings."""
    rows = [row("a", lsoa="", name=""), row("b", crime_type="Anti-social behaviour"),
            row("a", lsoa="", name="", crime_type="Vehicle crime"), row("c"),
            row("b", lsoa="E01000007", name="Corby 007A", crime_type="Drugs"), row("a")]
    sf = street(tmp_path, rows=rows)
    con = duckdb.connect()
    check = pu.check_street_file(sf, tmp_path)
    pu.read_street_files(con, iter([check]), tmp_path)  # leaves its groups in the connection
    scanned = [pu.sql._Scanned(0, 0, check, True)]
    full = pu.second_pass._second_pass(con, scanned, {0: 6})
    lean = pu.second_pass._second_pass(con, scanned, {0: 6}, repeats_only={0})
    assert lean == full
    assert [d[:2] for d in full[0].dropped] == [(2, 0), (4, 1), (5, 0)]
    assert {d[2] for d in full[0].dropped} == {
        ("", "", pu.sql._SLUGS.index("vehicle-crime")),
        ("E01000007", "Corby 007A", pu.sql._SLUGS.index("drugs")),
        ("E01000001", "Kettering 001A", pu.sql._SLUGS.index("burglary"))}


def test_a_row_of_empty_fields_is_rejected_on_either_path(tmp_path: Path) -> None:
    """DuckDB reads ',,,' as a row; the slow path (here for a bad byte) must not skip it."""
    empty = "," * 11
    fast = street(tmp_path / "fast", rows=[row("a"), empty])
    slow = street(tmp_path / "slow", rows=[row("a"), empty, row("b", name="Caf@")])
    slow.path.write_bytes(slow.path.read_bytes().replace(b"@", b"\xe9"))
    for sf in (fast, slow):
        result, _ = read(tmp_path, [sf])
        assert (pu.RULE_BAD_MONTH, 3) in [(p.rule, p.line) for p in result.problems]
