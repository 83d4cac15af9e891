"""Reference data the rules read: area codes (from ``phonenumbers``' data, pinned with the
package) and the calling-hours and holiday calendar (``compliance/data/*.json``, counsel's data,
updated yearly with ``manage.py load_compliance_calendar``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezones

DATA = Path(__file__).parent / "data"
TOLL_FREE = {"800", "833", "844", "855", "866", "877", "888"}

_STATE_NAMES = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "Washington D.C.": "DC",
    "Washington State": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Puerto Rico": "PR",
}


def _state_of(description: str) -> str:
    if description in _STATE_NAMES:
        return _STATE_NAMES[description]
    _, _, tail = description.rpartition(", ")
    return tail if len(tail) == 2 and tail.isupper() else ""


def area_code_rows() -> list[dict[str, Any]]:
    """Every US area code phonenumbers knows: its state (from a sample number's geocoded
    place) and its time zones."""
    rows = []
    for npa in range(200, 1000):
        code = str(npa)
        number = phonenumbers.parse(f"+1{code}2345678")
        if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(
            number
        ) not in ("US", "PR"):
            continue
        zones = [z for z in phone_timezones.time_zones_for_number(number) if z != "Etc/Unknown"]
        # Toll-free and other non-geographic codes (5XX) map to every zone of the plan.
        non_geographic = code in TOLL_FREE or len(zones) > 10
        state = "" if non_geographic else _state_of(geocoder.description_for_number(number, "en"))
        rows.append(
            {
                "npa": code,
                "state": state,
                "time_zones": [] if non_geographic else zones,
                "is_toll_free": non_geographic,
            }
        )
    return rows


def calling_window_rows(path: Path | None = None) -> list[dict[str, Any]]:
    rows = json.loads((path or DATA / "calling_windows.json").read_text())
    return [
        {
            "state": row["state"],
            "weekdays": sorted(row["weekdays"]),
            "start": dt.time.fromisoformat(row["start"]),
            "end": dt.time.fromisoformat(row["end"]),
            "on_holidays": row.get("on_holidays", True),
            "note": row.get("note", "")[:300],
        }
        for row in rows
    ]


def holiday_rows(path: Path | None = None) -> list[dict[str, Any]]:
    """One row per state and date (two holidays on one day share the row's name)."""
    rows = json.loads((path or DATA / "holidays.json").read_text())
    merged: dict[tuple[str, dt.date], str] = {}
    for row in rows:
        key = (row["state"], dt.date.fromisoformat(row["date"]))
        merged[key] = f"{merged[key]} / {row['name']}" if key in merged else row["name"]
    return [
        {"state": state, "date": date, "name": name[:100]}
        for (state, date), name in sorted(merged.items())
    ]
