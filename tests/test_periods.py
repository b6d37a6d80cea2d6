import pytest

from cdrp_lib.areas import district_from_lsoa_name, slugify
from cdrp_lib.periods import Month, financial_year_months, month_range


def test_month_arithmetic_and_labels() -> None:
    m = Month.parse("2025-03")
    assert str(m + 1) == "2025-04"
    assert str(m - 3) == "2024-12"
    assert m.label == "March 2025"
    assert m.financial_year == "2024/25"
    assert [str(x) for x in month_range("2024-11", "2025-02")] == [
        "2024-11", "2024-12", "2025-01", "2025-02"]


@pytest.mark.parametrize("bad", ["2025-13", "2025-1", "25-01", "", "2025/01"])
def test_month_parse_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse(bad)


def test_financial_year() -> None:
    assert tuple(map(str, financial_year_months("2024/25"))) == ("2024-04", "2025-03")
    with pytest.raises(ValueError):
        financial_year_months("2024/26")


def test_slugify_and_district() -> None:
    assert slugify("Hinckley and Bosworth") == "hinckley-and-bosworth"
    assert slugify("King's Lynn & West Norfolk") == "king-s-lynn-west-norfolk"
    assert district_from_lsoa_name("Kettering 001A") == "Kettering"
    assert district_from_lsoa_name("North Northamptonshire 012C") == "North Northamptonshire"
    assert district_from_lsoa_name("nonsense") is None
