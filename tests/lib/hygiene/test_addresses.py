"""Addresses: exact examples, rural and box forms, fast path proven equal to scourgify."""

from __future__ import annotations

import random

from scourgify.address_constants import STREET_TYPE_ABBREVIATIONS

from cmplatform.lib.hygiene import addresses
from cmplatform.lib.hygiene.addresses import (
    AddressResult,
    StreetResult,
    normalize_address,
    standardize_street,
    standardize_street_with_library,
)


def test_spellings_of_one_address_share_one_key() -> None:
    for street in (
        "123 North Main Street Apt 4",
        "123 N MAIN ST APT 4",
        "123 N. Main St., Apt. 4",
        "123 n main st, apartment 4",
        "123  North  Main  Street\nApt 4",
    ):
        assert normalize_address(street, "Dallas", "tx", "75201-1234") == AddressResult(
            "123 N MAIN ST APT 4", "DALLAS", "TX", "75201", "1234",
            "123 N MAIN ST APT 4|75201", True, None,
        ), street  # fmt: skip


def test_units_directionals_and_suffixes() -> None:
    cases = {
        "123 N Main St": "123 N MAIN ST",
        "1200 NW 23rd St, Apt 4": "1200 NW 23RD ST APT 4",
        "55 Elm Ave #4": "55 ELM AVE # 4",
        "55 Elm Ave # 4": "55 ELM AVE # 4",
        "55 Elm Ave Unit 4B": "55 ELM AVE UNIT 4B",
        "55 Elm Ave Ste. 200": "55 ELM AVE STE 200",
        "55 Elm Ave Suite 200": "55 ELM AVE STE 200",
        "77 Oak Boulevard West": "77 OAK BLVD W",
        "9 Park Lane": "9 PARK LN",
        "400 Chisholm Trail": "400 CHISHOLM TRL",
        "12 Country Club Drive": "12 COUNTRY CLUB DR",
    }
    for raw, street in cases.items():
        assert standardize_street(raw) == StreetResult(street, True, None), raw


def test_po_boxes_rural_routes_and_highways() -> None:
    cases = {
        "PO Box 123": "PO BOX 123",
        "P.O. Box 123": "PO BOX 123",
        "P O Box 123": "PO BOX 123",
        "POB 123": "PO BOX 123",
        "Post Office Box 123": "PO BOX 123",
        "Box 123": "PO BOX 123",
        "RR 3 Box 120": "RR 3 BOX 120",
        "Rural Route 3 Box 120": "RR 3 BOX 120",
        "RR# 3 Box 120": "RR 3 BOX 120",
        "Rt 3 Box 120": "RR 3 BOX 120",
        "HC 65 Box 12": "HC 65 BOX 12",
        "HC65 BOX 12": "HC 65 BOX 12",
        "1234 County Road 120": "1234 COUNTY ROAD 120",
        "1234 CR 120": "1234 COUNTY ROAD 120",
        "1234 Co Rd 120": "1234 COUNTY ROAD 120",
        "1234 FM 1788": "1234 FM 1788",
        "1234 Farm to Market Road 1788": "1234 FM 1788",
        "1234 F.M. 1788": "1234 FM 1788",
        "1234 Hwy 80": "1234 HIGHWAY 80",
        "1234 State Hwy 80": "1234 STATE HIGHWAY 80",
    }
    for raw, street in cases.items():
        assert standardize_street(raw) == StreetResult(street, True, None), raw


def test_pasted_last_lines_and_care_of_are_dropped() -> None:
    assert normalize_address("123 Main St\r\nDallas TX 75201", "Dallas", "TX", "75201").street == (
        "123 MAIN ST"
    )
    assert normalize_address("123 Main St\nDallas, TX", "Dallas", "TX", "75201").street == (
        "123 MAIN ST"
    )
    assert standardize_street("C\\O 123 Main St").street == "123 MAIN ST"
    assert standardize_street("123 Main St\x1a").street == "123 MAIN ST"


def test_unparseable_lines_keep_their_text_and_get_a_deterministic_key() -> None:
    assert normalize_address(" Behind the  Feed Store ", "Pecos", "TX", "79772") == AddressResult(
        "Behind the Feed Store", "PECOS", "TX", "79772", None,
        "BEHIND THE FEED STORE|79772", False, "unparseable street",
    )  # fmt: skip
    assert normalize_address("", "Pecos", "TX", "79772") == AddressResult(
        "", "PECOS", "TX", "79772", None, "", False, "empty street"
    )


def test_city_state_and_zip() -> None:
    result = normalize_address("12 Elm St", "st. louis", "Missouri", "63101")
    assert (result.city, result.state, result.zip5) == ("SAINT LOUIS", "MO", "63101")
    result = normalize_address("12 Elm St", "Boston", "MA", "2116")
    assert (result.zip5, result.address_key) == ("02116", "12 ELM ST|02116")
    result = normalize_address("12 Elm St", "Boston", "MA", "21")
    assert (result.zip5, result.address_key, result.reason) == (
        None, "12 ELM ST|", "zip: too short"
    )  # fmt: skip


NAMES = (
    "Main", "Oak", "Elm", "Park", "Lake", "Hill", "Mill", "Pine", "Ridge", "Meadow", "Spring",
    "Country Club", "Saddle Club", "Chisholm Trail", "Martin Luther King", "Washington",
    "Texas", "Broadway", "Center", "Front", "Union", "Canyon", "Vista", "Valley", "Creek",
    "Bluff", "Prairie", "Ranch", "Forest", "River", "23rd", "1st", "2nd", "101st", "5",
    "42", "N", "West", "Court", "Avenue", "OK", "Via", "La", "El Camino", "Saint Andrews",
    "View", "Grove", "Harbor", "Haven", "Heights", "Island", "Meadows", "Orchard", "Point",
    "Springs", "Station", "Summit", "Village", "Glen", "Pine Hill", "Lake View", "Mill Creek",
)  # fmt: skip
DIRECTIONALS = ("N", "S", "E", "W", "NE", "SW", "North", "South", "Northwest", "N.", "S.E.")
UNITS = (
    "Apt 4", "Apt. 4", "Apartment 12B", "APT 3", "# 4", "#4", "Unit 7", "Suite 200",
    "Ste 200", "Ste. 210", "Lot 9", "Lot # 9", "Sp 3", "Rm 5", "Bldg 2", "Fl 3", "Trlr 8",
    "Unit A", "Apt 4-B", "Space 12",
)  # fmt: skip
STREET_TYPES = (
    "St", "Street", "St.", "Str", "Ave", "Avenue", "Av", "Ave.", "Rd", "Road", "Dr", "Drive",
    "Drv", "Ln", "Lane", "Ct", "Court", "Blvd", "Boulevard", "Cir", "Circle", "Cr", "Pl",
    "Place", "Trl", "Trail", "Tr", "Pkwy", "Parkway", "Pky", "Ter", "Terrace", "Terr", "Way",
    "Wy", "Loop", "Lp", "Hwy", "Expy", "Sq", "Xing", "Pike", "Row", "Run", "Walk",
)  # fmt: skip


def _random_street(rng: random.Random) -> str:
    parts = [str(rng.choice((rng.randint(1, 99), rng.randint(100, 9999), rng.randint(1, 99999))))]
    if rng.random() < 0.3:
        parts.append(rng.choice(DIRECTIONALS))
    parts.append(rng.choice(NAMES))
    if rng.random() < 0.93:
        parts.append(rng.choice((*STREET_TYPES, rng.choice(list(STREET_TYPE_ABBREVIATIONS)))))
    if rng.random() < 0.05:
        parts.append(rng.choice(DIRECTIONALS))
    line = " ".join(parts)
    if rng.random() < 0.25:
        line += rng.choice((", ", " ", "\n")) + rng.choice(UNITS)
    roll = rng.random()
    if roll < 0.3:
        line = line.upper()
    elif roll < 0.35:
        line = line.lower()
    return line


def test_fast_path_gives_exactly_the_scourgify_result_on_generated_streets() -> None:
    rng = random.Random(9)
    fast_path_used = 0
    for _ in range(2500):
        raw = _random_street(rng)
        if addresses._standardize_fast(addresses._pre_clean(raw, "", None, None).upper()):
            fast_path_used += 1
        assert standardize_street(raw) == standardize_street_with_library(raw), raw
    assert fast_path_used > 250
