"""Title and publication date of a plain-text article.

Scraped text keeps the headline as its first line and often a dateline or date line
near the top (``2015-05-22 15:26``, ``May 22, 2015``, ``Published: 22 May 2015 …``).
These functions recognise such lines; they never guess from the body.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["MONTH_NAMES", "PUBLISHED_YEARS", "looks_like_title", "parse_date_line", "parse_published", "parse_timestamp"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "january jan januar janvier enero gennaio janeiro",
            "february feb februar février fevrier febrero febbraio fevereiro",
            "march mar märz maerz mars marzo março",
            "april apr avril abril aprile",
            "may mai mayo maggio maio",
            "june jun juni juin junio giugno junho",
            "july jul juli juillet julio luglio julho",
            "august aug août aout agosto",
            "september sep sept septembre septiembre settembre setembro",
            "october oct oktober octobre octubre ottobre outubro",
            "november nov novembre noviembre novembro",
            "december dec dezember décembre decembre diciembre dicembre dezembro",
        ],
        start=1,
    )
    for name in names.split()
}
MONTH_NAMES = frozenset(_MONTHS)
"""Month names and abbreviations in English, German, French, Spanish, Italian and Portuguese."""
_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
_TIME = r"(?:[ ,T]+(?:at\s+|um\s+|à\s+)?(?P<hour>\d{1,2})[:h.](?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?"
_PREFIX = r"^(?:(?:published|posted|updated|last updated|date|veröffentlicht|publié le|publicado)\s*:?\s*(?:on\s+)?)?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
# A time may also come first ("Updated 21:22, 6 OCT 2020").
_LEADING_TIME = r"(?:(?P<lead_hour>\d{1,2}):(?P<lead_minute>\d{2})\s*(?P<lead_ampm>[ap]\.?m\.?)?,?\s+)?"
_DATE_PATTERNS = [
    re.compile(_PREFIX + _LEADING_TIME + _WEEKDAY + r"(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})" + _TIME, re.I),
    re.compile(_PREFIX + _LEADING_TIME + _WEEKDAY + r"(?P<day>\d{1,2})[./](?P<mon>\d{1,2})[./](?P<year>\d{4})" + _TIME, re.I),
    re.compile(_PREFIX + _LEADING_TIME + _WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\.?\s+" + _MONTH + r",?\s+(?P<year>\d{4})" + _TIME,
               re.I),
    re.compile(_PREFIX + _LEADING_TIME + _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME,
               re.I),
]
# After the date: a time-zone name (UTC, GMT, an upper-case abbreviation such as EST or
# CEST, an offset) and separators, nothing else.
_ZONE = r"^[\s|·•,\-–—]*(?:(?P<zone>utc|gmt|(?-i:[A-Z]{2,4}T)|[+-]\d{2}:?\d{2})\b)?[\s|·•,\-–—]*"
_TRAILER = re.compile(_ZONE + "$", re.I)
# A second date after the first ("... GMT Last modified on Mon 20 Jan 2020 07.42 GMT": a
# dump joins the two lines); the first is the publication.
_SECOND_DATE = re.compile(_ZONE + r"(?:last modified|last updated|updated|modified)(?:\s+on)?\s+(?P<rest>\S.*)$", re.I)


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 date or time (``2026-11-22``, ``2026-11-22T08:15:00Z``, with or
    without an offset), timezone-aware (UTC when it has no zone); None when ``value``
    is empty or not ISO 8601."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# Publication dates outside these years are taken as wrong (a placeholder such as
# 0001-01-01 would otherwise make its page the original of every copy).  The window is
# fixed, not relative to today, so that the same input gives the same output every run.
PUBLISHED_YEARS = range(1900, 2200)
_EPOCH_DIGITS = re.compile(r"^\d{9,13}(?:\.\d+)?$")


def parse_published(value) -> datetime | None:
    """A publication date given as an ISO 8601 string, a date line (``parse_date_line``)
    or Unix time in seconds or milliseconds (a number, or a string of 9 to 13 digits);
    None when it is none of these or its year is outside 1900-2199."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and _EPOCH_DIGITS.match(value.strip())):
        seconds = float(value)
        if not 1e8 <= seconds < 1e14:  # as for strings: 9 to 13 digits
            return None
        seconds = seconds / 1000 if seconds >= 1e11 else seconds  # milliseconds
        try:
            parsed = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        parsed = parse_timestamp(value) or parse_date_line(value)
    else:
        return None
    return parsed if parsed is not None and parsed.year in PUBLISHED_YEARS else None


def parse_date_line(line: str) -> datetime | None:
    """Return the date and time of a line that is essentially a date, else None.

    The line must start with the date (optionally after ``Published:``/``Updated``
    and a weekday) and hold nothing after it but a time and a time-zone name.
    Recognised forms: ``2015-05-22 15:26``, ``22.05.2015``, ``22/05/2015``,
    ``22 May 2015``, ``May 22, 2015`` (English, German, French, Spanish, Italian and
    Portuguese month names), with the time before or after the date.  The result is
    timezone-aware, in UTC: a time with an offset (``+05:00``) or a zone name that names
    one zone (``EST``, ``CEST``) is converted, a time without one (or with an ambiguous
    name such as ``IST``) is taken as UTC, and a date without a time stays that day.  Day-first is assumed for
    numeric dates with ``.`` or ``/`` unless only month-first can be (``12/30/2019``).
    """
    line = line.strip()
    if len(line) > 80:
        return None
    for pattern in _DATE_PATTERNS:
        m = pattern.match(line)
        if m is None:
            continue
        trailer = _TRAILER.match(line[m.end():])
        if not trailer:
            trailer = _SECOND_DATE.match(line[m.end():])
            if trailer is None or parse_date_line(trailer.group("rest")) is None:
                continue
        parts = m.groupdict()
        month = int(parts["mon"]) if parts.get("mon") else _MONTHS[parts["month"].lower().rstrip(".")]
        day = int(parts["day"])
        if parts.get("mon") and month > 12 >= day:  # 12/30/2019 can only be month first
            day, month = month, day
        if parts.get("lead_hour") and not parts.get("hour"):
            parts.update(hour=parts["lead_hour"], minute=parts["lead_minute"], ampm=parts["lead_ampm"])
        hour = int(parts["hour"] or 0)
        if parts.get("ampm"):
            hour = hour % 12 + (12 if parts["ampm"].lower().startswith("p") else 0)
        zone = timedelta(0)
        if parts["hour"] and trailer.group("zone"):  # a date alone stays that day
            # "10:00-12:00" is a time range, not an offset; "12:30:00-05:00" (ISO 8601),
            # "12:30-0500" and "12:30 -05:00" are offsets.
            at = m.end() + trailer.start("zone")
            name = trailer.group("zone")
            time_range = (name[0] == "-" and ":" in name and not parts["second"] and not line[at - 1:at].isspace())
            zone = timedelta(0) if time_range else _zone_offset(name)
        try:
            return datetime(
                int(parts["year"]), month, day, hour,
                int(parts["minute"] or 0), int(parts["second"] or 0), tzinfo=timezone.utc,
            ) - zone
        except (ValueError, OverflowError):
            return None
    return None


# Abbreviations that name one zone only (IST, BST and CST name several, and stay UTC).
_ZONE_HOURS = {"EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8,
               "HST": -10, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "JST": 9, "KST": 9,
               "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13}


def _zone_offset(zone: str | None) -> timedelta:
    """The UTC offset a time-zone name or ``+05:00`` gives; zero for UTC, GMT, none
    or an ambiguous name."""
    if not zone:
        return timedelta(0)
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes >= 60:  # no such zone: a typo or not an offset at all
            return timedelta(0)
        offset = timedelta(hours=hours, minutes=minutes)
        return -offset if zone[0] == "-" else offset
    return timedelta(hours=_ZONE_HOURS.get(zone.upper(), 0))


_SENTENCE_END = re.compile(r"[.:;]$")
_SEPARATORS = re.compile(r"\s[|·•»›]\s")


def looks_like_title(line: str) -> bool:
    """True when ``line`` reads like a headline: 2 to 30 words, not ending like a
    sentence or a label (``.``, ``:``, ``;``), no menu separators, not a date."""
    words = line.split()
    return (
        2 <= len(words) <= 30
        and not _SENTENCE_END.search(line)
        and not _SEPARATORS.search(line)
        and parse_date_line(line) is None
    )
