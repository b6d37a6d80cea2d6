"""Telling a file that is not UTF-8 text at all (UTF-16, gzip, a workbook) by its bytes.

Shared by the street files and the local extracts, and free of pandas and DuckDB so
that the rule names can be imported anywhere.
"""

from __future__ import annotations

RULE_UTF16 = "UTF-16 text"
RULE_NOT_TEXT = "not CSV text"
UTF16_FOUND = "UTF-16: save it as UTF-8 (CSV UTF-8 in Excel)"


def not_text(data: bytes) -> tuple[str, str, str] | None:
    """``(rule, expected, found)`` when ``data`` is not UTF-8 text at all, else None.

    Decoded as UTF-8, a UTF-16 file is every other character NUL and a gzip or a
    workbook is noise: the header would be reported as wrong, quoting garbled text,
    instead of saying what the file is.  UTF-16 is told by its byte-order mark or,
    without one, by NULs at every other byte of the first line.
    """
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return RULE_UTF16, "UTF-8 text", UTF16_FOUND
    if b"\x00" not in head:
        return None
    if head.startswith(b"\x1f\x8b"):
        return RULE_NOT_TEXT, "CSV text", "gzip-compressed data: decompress it first"
    if head.startswith(b"PK\x03\x04"):
        return (RULE_NOT_TEXT, "CSV text", "a zip archive or an Excel workbook: name it .zip, "
                "or save the sheet as CSV UTF-8")
    line = head.split(b"\n", 1)[0]
    for parity in (0, 1):  # UTF-16 LE has NUL at odd bytes, BE at even bytes
        nuls = line[1 - parity::2].count(0)
        if len(line) >= 8 and nuls >= 0.9 * (len(line) // 2):
            return RULE_UTF16, "UTF-8 text", UTF16_FOUND
    return RULE_NOT_TEXT, "CSV text", "binary data (NUL bytes)"
