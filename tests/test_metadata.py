from datetime import datetime, timezone

import pytest

from cleanwire.text.metadata import looks_like_title, parse_date_line, parse_published

UTC = timezone.utc


@pytest.mark.parametrize(
    "line, expected",
    [
        ("2015-05-22 15:26", datetime(2015, 5, 22, 15, 26, tzinfo=UTC)),
        ("2015-05-22T15:26:09", datetime(2015, 5, 22, 15, 26, 9, tzinfo=UTC)),
        ("May 22, 2015", datetime(2015, 5, 22, tzinfo=UTC)),
        ("Friday, May 22, 2015 at 3:26 pm", datetime(2015, 5, 22, 15, 26, tzinfo=UTC)),
        ("Published: 22 May 2015 15:26 GMT", datetime(2015, 5, 22, 15, 26, tzinfo=UTC)),
        ("22.05.2015", datetime(2015, 5, 22, tzinfo=UTC)),
        ("22. Mai 2015", datetime(2015, 5, 22, tzinfo=UTC)),
        ("Updated 3 décembre 2021", datetime(2021, 12, 3, tzinfo=UTC)),
        # Forms of real pages: a US date only month-first can read, a zone abbreviation
        # (converted to UTC), the time before the date, a.m./p.m.
        ("12/30/2019 05:03 AM EST", datetime(2019, 12, 30, 10, 3, tzinfo=UTC)),
        ("Updated 21:22, 6 OCT 2020", datetime(2020, 10, 6, 21, 22, tzinfo=UTC)),
        ("November 8 2023, 3:18 p.m.", datetime(2023, 11, 8, 15, 18, tzinfo=UTC)),
        ("22 May 2015 10:00 CEST", datetime(2015, 5, 22, 8, 0, tzinfo=UTC)),
        ("22 May 2015 15:26 +05:30", datetime(2015, 5, 22, 9, 56, tzinfo=UTC)),
        ("May 22, 2015 11:00 PM -04:00", datetime(2015, 5, 23, 3, 0, tzinfo=UTC)),
        ("22 May 2015 15:26 IST", datetime(2015, 5, 22, 15, 26, tzinfo=UTC)),  # India or Ireland: left as written
        ("22 May 2015 +05:00", datetime(2015, 5, 22, tzinfo=UTC)),  # a date alone stays that day
        ("Jan 20, 2020 10:00-12:00", datetime(2020, 1, 20, 10, 0, tzinfo=UTC)),  # a time range, not an offset
        ("2024-03-05T12:30:00-05:00", datetime(2024, 3, 5, 17, 30, tzinfo=UTC)),  # ISO 8601: the offset touches the time
        ("March 5, 2024 12:30-0500", datetime(2024, 3, 5, 17, 30, tzinfo=UTC)),
        ("22.05.2015 14:00 +99:99", datetime(2015, 5, 22, 14, 0, tzinfo=UTC)),  # no such offset
        ("Mon 20 Jan 2020 06.05 GMT Last modified on Mon 20 Jan 2020 07.42 GMT", datetime(2020, 1, 20, 6, 5, tzinfo=UTC)),
    ],
)
def test_date_lines(line, expected):
    assert parse_date_line(line) == expected


@pytest.mark.parametrize(
    "line",
    ["2015-05-22 and then some text", "The meeting on May 22, 2015 was long", "31.02.2015", "Tags: politics", "",
     "22 May 2015 first", "12:30 the council met", "13/13/2019", "May 22, 2015 modified the law so that"],
)
def test_not_date_lines(line):
    assert parse_date_line(line) is None


def test_titles():
    assert looks_like_title("IS group seizes last Iraq border crossing held by Syrian regime")
    assert looks_like_title("ISIS seizes Iraq-Syria border post, consolidating 'caliphate'")
    assert not looks_like_title("Multimedia · User Galleries · News in Pictures")
    assert not looks_like_title("This is a sentence that ends with a full stop.")
    assert not looks_like_title("Home")
    assert not looks_like_title("2015-05-22 15:26")


@pytest.mark.parametrize("value, expected", [
    ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00+00:00"),
    ("5 March 2024", "2024-03-05T00:00:00+00:00"),
    (1709632800, "2024-03-05T10:00:00+00:00"),
    ("1709632800", "2024-03-05T10:00:00+00:00"),
    (1709632800000, "2024-03-05T10:00:00+00:00"),
    ("0001-01-01T00:00:00Z", None),  # a placeholder, not a date: it would make its page everyone's original
    ("2024-13-45", None), (12, None), (True, None), ("", None), (None, None), ("soon", None),
])
def test_parse_published_reads_iso_dates_date_lines_and_unix_time(value, expected):
    parsed = parse_published(value)
    assert (parsed.isoformat() if parsed else None) == expected
