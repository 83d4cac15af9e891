"""The six legacy sources: their layout (file, columns, key) and how one record is spelled.

A :class:`SourceDef` turns (household, person, record RNG) into one row tuple in the column
order of its file. Writers (``writers.py``) only serialise those tuples.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator

from . import reference, render
from .people import NICKNAMES, Household, Person, Pool, day
from .render import (
    CASE_UPPER,
    FIRST_LAST,
    FIRST_MIDDLE_LAST,
    FIRST_MIDDLE_LAST_COMMA,
    LAST_FIRST_MIDDLE,
    LAST_FIRST_MIDDLE_NO_COMMA,
    LAST_SUFFIX_FIRST_MIDDLE,
    TITLE_FIRST_LAST,
    Style,
    apply_case,
    choose_case_mode,
    current_address,
    current_cell,
    current_landline,
    missing,
    whitespace,
)


def _iso_date(ordinal: int) -> str:
    """``YYYY-MM-DD`` of a proleptic ordinal."""
    date = dt.date.fromordinal(ordinal)
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def _us_date(ordinal: int) -> str:
    """``MM/DD/YYYY`` of a proleptic ordinal."""
    date = dt.date.fromordinal(ordinal)
    return f"{date.month:02d}/{date.day:02d}/{date.year:04d}"


def _clock_time(seconds: int) -> str:
    """``HH:MM:SS`` of a number of seconds after midnight."""
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _numbered_keys(start: int) -> Iterator[int]:
    """``start + 1``, ``start + 2``, ...: the keys of a file nobody deleted rows from."""
    return itertools.count(start + 1)


def _keys_with_gaps(
    rng: random.Random, start: int, consecutive_share: float, largest_step: int
) -> Iterator[int]:
    """Increasing keys after ``start`` with the gaps of deleted rows.

    The next key is one higher with probability ``consecutive_share``, otherwise 2 to
    ``largest_step`` higher.
    """
    key = start
    while True:
        key += 1 if rng.random() < consecutive_share else 2 + int(rng.random() * (largest_step - 1))
        yield key


class SourceDef:
    """One legacy source: its file layout and how it spells a record.

    The layout attributes are the fields of ``generator.DemoSource`` except ``rows``; the
    manifest entry of a source is built from them by name.
    """

    name: str
    kind: str
    file: str
    format: str  # mysql_dump | sqlite | delimited | xlsx
    key_column: str
    columns: tuple[str, ...]
    table: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    bom: bool = False
    line_terminator: str | None = None
    quoting: str | None = None
    date_format: str | None = None
    notes: str = ""
    style: Style

    def keys(self, rng: random.Random) -> Iterator[int | str]:
        """The record keys, in file order (an endless iterator)."""
        raise NotImplementedError

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        """One record of ``person`` as this source spells it, in the order of ``columns``."""
        raise NotImplementedError


def _phones(
    rng: random.Random, household: Household, person: Person, when: int, style: Style
) -> tuple[str | None, str | None]:
    """(landline, cell) as written, each possibly missing."""
    landline = current_landline(household, when)
    cell = current_cell(person, when)
    if landline and rng.random() >= style.missing_phone:
        written_landline = render.phone(rng, landline, style)
    else:
        written_landline = None
    if cell and rng.random() >= style.missing_phone:
        written_cell = render.phone(rng, cell, style)
    else:
        written_cell = None
    return written_landline, written_cell


def _noisy(rng: random.Random, text: str, style: Style) -> str:
    """``text``, now and then with stray whitespace."""
    return whitespace(rng, text) if rng.random() < style.extra_whitespace else text


# ---------------------------------------------------------------------------------------------
# 1. legacy MySQL CRM


class _OwnersStyle(Style):
    upper = 0.86
    lower = 0.0
    strip_accents = 0.75
    null_share = 0.6
    plus4 = 0.30
    state_full = 0.01
    missing_phone = 0.10
    missing_email = 0.15
    phone_styles = Pool(range(10), (40, 25, 5, 1, 20, 2, 2, 0, 3, 2))


_LEGACY_LAYOUTS = Pool(
    (
        LAST_FIRST_MIDDLE,
        LAST_SUFFIX_FIRST_MIDDLE,
        LAST_FIRST_MIDDLE_NO_COMMA,
        FIRST_MIDDLE_LAST,
        FIRST_MIDDLE_LAST_COMMA,
        FIRST_LAST,
        TITLE_FIRST_LAST,
    ),
    (58, 6, 12, 14, 3, 6, 1),
)


class LegacyOwners(SourceDef):
    """The MySQL 5.7 CRM dump: one upper-case full-name column with title-record tails."""

    name = "legacy_owners"
    kind = "mysql_dump"
    file = "legacy_owners.sql"
    format = "mysql_dump"
    table = "owners"
    encoding = "utf-8"
    key_column = "owner_id"
    columns = (
        "owner_id",
        "owner_name",
        "mail_addr1",
        "mail_city",
        "mail_state",
        "mail_zip",
        "county",
        "phone_1",
        "phone_2",
        "email",
        "lead_status",
        "created_at",
        "updated_at",
    )
    date_format = "%Y-%m-%d %H:%M:%S"
    notes = (
        "mysqldump of a MySQL 5.7 CRM, utf8mb4. owner_name is one full-name column, mostly "
        "upper case 'LAST, FIRST M [SFX]', sometimes 'FIRST M LAST JR', with mineral-title tails "
        "(ET UX, ET AL, TRUSTEE, ESTATE, 'ESTATE OF ...'). Missing values are NULL or ''. "
        "owner_id has AUTO_INCREMENT gaps. updated_at is sometimes '0000-00-00 00:00:00' or "
        "NULL. Rare control characters (CR/LF, NUL, Ctrl-Z, backslash) inside strings."
    )
    style = _OwnersStyle()
    _lead_status_pool = Pool(reference.LEAD_STATUSES, reference.LEAD_STATUS_WEIGHTS)

    def keys(self, rng: random.Random) -> Iterator[int]:
        return _keys_with_gaps(rng, start=100_000, consecutive_share=0.93, largest_step=7)

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        style = self.style
        created = day(2006, 1, 1) + int(rng.random() * 4748)
        created_second = int(rng.random() * 86400)
        # squared: most records were touched soon after they were created, few years later
        updated = min(created + int(rng.random() ** 2 * 1600), day(2019, 6, 28))
        updated_second = int(rng.random() * 86400)
        if updated == created and updated_second < created_second:
            created_second, updated_second = updated_second, created_second
        when = updated
        case_mode = choose_case_mode(rng, style)
        name = render.full_name(rng, person, style, _LEGACY_LAYOUTS)
        roll = rng.random()
        if roll < 0.02:
            tails = reference.OWNER_NAME_TAILS
            name += tails[int(rng.random() * len(tails))]
        elif roll < 0.023:
            name = "Estate of " + name
        elif roll < 0.027 and person.first in NICKNAMES:
            nickname = NICKNAMES[person.first][0]
            name = name.replace(person.first, f'{person.first} "{nickname}"', 1)
        elif roll < 0.029:
            name += "\0"  # NUL left behind by an old import
        name = _noisy(rng, apply_case(name, case_mode), style)
        address = current_address(household, when)
        if rng.random() < style.missing_address:
            street = city = state = zip_code = county = missing(rng, style)
            if rng.random() < 0.5:  # street missing, city / state / ZIP still there
                city = address.location.city.upper()
                state = address.location.state
                zip_code = address.zip5
        else:
            street = render.street_line(rng, address, style)
            roll = rng.random()
            if roll < 0.003:
                street = "C\\O " + street  # c/o typed with a backslash
            elif roll < 0.005:
                street += "\x1a"  # Ctrl-Z from a DOS-era file
            elif roll < 0.009:  # the whole address pasted into line 1 (Windows line break)
                location = address.location
                street = f"{street}\r\n{location.city} {location.state} {address.zip5}"
            elif roll < 0.011:
                street = f"{street}\n{address.location.city}, {address.location.state}"
            street = _noisy(rng, apply_case(street, case_mode), style)
            city = apply_case(render.city(rng, address, style), case_mode)
            state = render.state(rng, address, style)
            zip_code = render.zip_code(rng, address, style)
            # counties came from the upper-case title records, whatever the rest of the row did
            county = apply_case(
                render.county(rng, address), CASE_UPPER if rng.random() < 0.8 else case_mode
            )
            if rng.random() < 0.04:
                county = missing(rng, style)
        landline, cell = _phones(rng, household, person, when, style)
        if landline is None:
            phone_1, phone_2 = cell, None
        elif rng.random() < 0.8:
            phone_1, phone_2 = landline, cell
        else:
            phone_1, phone_2 = cell, landline
        if phone_2 is None and rng.random() < 0.5:
            phone_2 = ""
        email = render.email(rng, household, person, style)
        if email is None and rng.random() < 0.4:
            email = ""
        roll = rng.random()
        if roll < 0.05:
            status = None
        elif roll < 0.08:
            status = ""
        else:
            status = self._lead_status_pool.pick(rng)
        created_at = f"{_iso_date(created)} {_clock_time(created_second)}"
        roll = rng.random()
        if roll < 0.02:
            updated_at = None
        elif roll < 0.023:
            updated_at = "0000-00-00 00:00:00"  # MySQL's "zero date" from a lax old sql_mode
        else:
            updated_at = f"{_iso_date(updated)} {_clock_time(updated_second)}"
        return (
            key,
            name,
            street,
            city,
            state,
            zip_code,
            county,
            phone_1,
            phone_2,
            email,
            status,
            created_at,
            updated_at,
        )


# ---------------------------------------------------------------------------------------------
# 2. legacy SQLite contacts


class _ContactsStyle(Style):
    upper = 0.15
    lower = 0.02
    strip_accents = 0.4
    null_share = 0.5
    plus4 = 0.2
    missing_phone = 0.08
    missing_email = 0.06
    phone_styles = Pool(range(10), (30, 30, 10, 3, 15, 3, 2, 2, 3, 2))


class LegacyContacts(SourceDef):
    """The SQLite contacts table: split, mostly title-case name columns."""

    name = "legacy_contacts"
    kind = "sqlite"
    file = "legacy_contacts.sqlite"
    format = "sqlite"
    table = "contacts"
    encoding = "utf-8"
    key_column = "id"
    columns = (
        "id",
        "FirstName",
        "MiddleName",
        "LastName",
        "Suffix",
        "Address",
        "City",
        "State",
        "Zip",
        "HomePhone",
        "CellPhone",
        "Email",
        "LastModified",
    )
    date_format = "%Y-%m-%dT%H:%M:%S"
    notes = (
        "Split name columns, Title case mostly (15% upper). MiddleName full, initial, 'A.' or "
        "missing; FirstName sometimes carries the middle initial ('John A') and LastName the "
        "suffix ('Smith Jr'). Missing values are NULL or ''. id has gaps."
    )
    style = _ContactsStyle()

    def keys(self, rng: random.Random) -> Iterator[int]:
        return _keys_with_gaps(rng, start=0, consecutive_share=0.97, largest_step=4)

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        style = self.style
        when = day(2010, 1, 1) + int(rng.random() * 4383)
        case_mode = choose_case_mode(rng, style)
        first, middle, last, suffix = render.name_parts(rng, person, style)
        # typed into the wrong column: initial after the first name, suffix after the last
        if middle and rng.random() < 0.05:
            first, middle = f"{first} {middle[0]}", ""
        if suffix and rng.random() < 0.08:
            last, suffix = f"{last} {suffix}", ""
        first = _noisy(rng, apply_case(first, case_mode), style)
        last = _noisy(rng, apply_case(last, case_mode), style)
        middle = apply_case(middle, case_mode) if middle else missing(rng, style)
        suffix = apply_case(suffix, case_mode) if suffix else missing(rng, style)
        address = current_address(household, when)
        if rng.random() < style.missing_address:
            street = city = state = zip_code = missing(rng, style)
            if rng.random() < 0.5:
                city = render.city(rng, address, style)
                state = address.location.state
                zip_code = address.zip5
        else:
            street = _noisy(
                rng, apply_case(render.street_line(rng, address, style), case_mode), style
            )
            city = apply_case(render.city(rng, address, style), case_mode)
            state = render.state(rng, address, style)
            zip_code = render.zip_code(rng, address, style)
        landline, cell = _phones(rng, household, person, when, style)
        email = render.email(rng, household, person, style)
        if email is None:
            email = missing(rng, style)
        stamp = f"{_iso_date(when)}T{_clock_time(int(rng.random() * 86400))}"
        # the missing phones are drawn here, after the time stamp: keep this order (same bytes)
        return (
            key,
            first,
            middle,
            last,
            suffix,
            street,
            city,
            state,
            zip_code,
            landline if landline is not None else missing(rng, style),
            cell if cell is not None else missing(rng, style),
            email,
            stamp,
        )


# ---------------------------------------------------------------------------------------------
# 3. mail campaign CSV


class _MailStyle(Style):
    upper = 0.10
    strip_accents = 0.5
    null_share = 0.0
    plus4 = 0.45
    missing_address = 0.02
    missing_phone = 0.20
    missing_email = 0.10


# the 2024 mail drops went out on these days
_MAIL_DROPS = tuple(day(2024, 1, 9) + 14 * drop for drop in range(26))


class MailCampaign(SourceDef):
    """The 2024 mail campaign CSV: quoted commas, embedded newlines and nicknames in quotes."""

    name = "campaign_mail_2024"
    kind = "mail_csv"
    file = "campaign_mail_2024.csv"
    format = "delimited"
    delimiter = ","
    encoding = "utf-8"
    line_terminator = "\r\n"
    quoting = "minimal"
    key_column = "record_id"
    columns = (
        "record_id",
        "First Name",
        "Last Name",
        "Mailing Address",
        "City",
        "State",
        "ZIP",
        "County",
        "Phone",
        "Email",
        "Mailed On",
    )
    date_format = "%m/%d/%Y"
    notes = (
        "RFC 4180 CSV, QUOTE_MINIMAL: addresses with ', Apt 4' / ', Suite 200' are quoted, a "
        "few addresses have an embedded newline before the unit and a few first names an "
        "embedded quoted nickname ('Robert \"Bob\"'). Last Name may carry the suffix "
        "('Smith Jr'); First Name may carry the middle initial. record_id like 'M24-0000001'."
    )
    style = _MailStyle()

    def keys(self, rng: random.Random) -> Iterator[str]:
        return (f"M24-{number:07d}" for number in _numbered_keys(start=0))

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        style = self.style
        when = _MAIL_DROPS[int(rng.random() * len(_MAIL_DROPS))]
        case_mode = choose_case_mode(rng, style)
        first, middle, last, suffix = render.name_parts(rng, person, style)
        if middle and rng.random() < 0.12:
            first = f"{first} {middle[0]}"
        elif rng.random() < 0.01 and person.first in NICKNAMES:
            nicknames = NICKNAMES[person.first]
            first = f'{person.first} "{nicknames[int(rng.random() * len(nicknames))]}"'
        if suffix and rng.random() < 0.6:
            last = f"{last} {suffix}"
        first = _noisy(rng, apply_case(first, case_mode), style)
        last = _noisy(rng, apply_case(last, case_mode), style)
        address = current_address(household, when)
        if rng.random() < style.missing_address:
            street = city = state = zip_code = county = ""
        else:
            roll = rng.random()
            unit_separator = ", " if roll < 0.65 else "\n" if roll < 0.8 else " "
            street = _noisy(
                rng,
                apply_case(render.street_line(rng, address, style, unit_separator), case_mode),
                style,
            )
            city = apply_case(render.city(rng, address, style), case_mode)
            state = render.state(rng, address, style)
            zip_code = render.zip_code(rng, address, style)
            county = render.county(rng, address) if rng.random() < 0.85 else ""
        landline, cell = _phones(rng, household, person, when, style)
        phone = cell if cell is not None and (landline is None or rng.random() < 0.6) else landline
        email = render.email(rng, household, person, style) or ""
        return (
            key,
            first,
            last,
            street,
            city,
            state,
            zip_code,
            county,
            phone or "",
            email,
            _us_date(when),
        )


# ---------------------------------------------------------------------------------------------
# 4. SMS campaign TSV (cp1252)


class _SmsStyle(Style):
    upper = 0.12
    strip_accents = 0.08
    curly_apostrophe = 0.6
    nickname = 0.15
    null_share = 0.0
    plus4 = 0.1
    missing_address = 0.22
    missing_phone = 0.04
    phone_styles = Pool(range(10), (10, 20, 5, 10, 35, 5, 0, 10, 3, 2))


_SMS_LAYOUTS = Pool(
    (
        LAST_FIRST_MIDDLE,
        LAST_SUFFIX_FIRST_MIDDLE,
        LAST_FIRST_MIDDLE_NO_COMMA,
        FIRST_MIDDLE_LAST,
        FIRST_MIDDLE_LAST_COMMA,
        TITLE_FIRST_LAST,
        FIRST_LAST,
    ),
    (30, 5, 5, 30, 7, 8, 15),
)


class SmsCampaign(SourceDef):
    """The 2025 SMS campaign: cp1252 TSV without quoting, one mixed-layout name column."""

    name = "campaign_sms_2025"
    kind = "sms_tsv"
    file = "campaign_sms_2025.txt"
    format = "delimited"
    delimiter = "\t"
    encoding = "cp1252"
    line_terminator = "\r\n"
    quoting = "none"
    key_column = "record_id"
    columns = ("record_id", "Name", "Cell", "Address", "City", "St", "Zip", "Texted")
    date_format = "%m/%d/%Y %H:%M"
    notes = (
        "Tab-delimited, cp1252 (Windows-1252): accented names (José, Peña, Müller) and the "
        "curly apostrophe (O\u2019Brien, byte 0x92); NOT valid UTF-8. No quoting at all: fields "
        "never contain tabs or newlines but may contain a literal '\"' mid-field. Name is one "
        "full-name column in mixed layouts ('Garcia, José M', 'Mary Ellen O\u2019Brien', "
        "'ROBERT SMITH JR', 'Mr. Robert Smith'). Cell is sometimes a landline or empty."
    )
    style = _SmsStyle()

    def keys(self, rng: random.Random) -> Iterator[int]:
        return _numbered_keys(start=2_500_000)

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        style = self.style
        when = day(2025, 1, 6) + int(rng.random() * 175)
        case_mode = choose_case_mode(rng, style)
        name = _noisy(
            rng, apply_case(render.full_name(rng, person, style, _SMS_LAYOUTS), case_mode), style
        )
        landline, cell = _phones(rng, household, person, when, style)
        # the list vendor filled an empty cell column from the landline
        if cell is None and rng.random() < 0.5:
            cell = landline
        address = current_address(household, when)
        if rng.random() < style.missing_address:
            street = city = state = zip_code = ""
            if rng.random() < 0.5:
                city = render.city(rng, address, style)
                state = address.location.state
                zip_code = address.zip5
        else:
            street = _noisy(
                rng, apply_case(render.street_line(rng, address, style), case_mode), style
            )
            city = apply_case(render.city(rng, address, style), case_mode)
            state = render.state(rng, address, style)
            zip_code = render.zip_code(rng, address, style)
        seconds = 8 * 3600 + int(rng.random() * 12 * 3600)  # texts go out 8:00 to 20:00
        texted = f"{_us_date(when)} {seconds // 3600:02d}:{seconds // 60 % 60:02d}"
        return (key, name, cell or "", street, city, state, zip_code, texted)


# ---------------------------------------------------------------------------------------------
# 5. call-center export (UTF-8 with BOM, semicolons)


class _CallStyle(Style):
    upper = 0.20
    strip_accents = 0.3
    null_share = 0.0
    state_full = 0.15
    zip_lost_zero = 0.5
    plus4 = 0.15
    missing_address = 0.25
    missing_phone = 0.10
    missing_email = 0.08


_CALL_LAYOUTS = Pool(
    (
        LAST_FIRST_MIDDLE,
        FIRST_MIDDLE_LAST,
        FIRST_LAST,
        TITLE_FIRST_LAST,
        LAST_FIRST_MIDDLE_NO_COMMA,
    ),
    (25, 40, 15, 10, 10),
)


class CallCampaign(SourceDef):
    """The 2025 call-center export: UTF-8 with BOM, semicolons, full state names."""

    name = "campaign_calls_2025"
    kind = "call_csv"
    file = "campaign_calls_2025.csv"
    format = "delimited"
    delimiter = ";"
    encoding = "utf-8-sig"
    bom = True
    line_terminator = "\n"
    quoting = "minimal"
    key_column = "RecordID"
    columns = (
        "RecordID",
        "Owner Name",
        "Phone Number",
        "Mobile",
        "Email Address",
        "Street",
        "Town",
        "State",
        "Postal Code",
        "Last Called",
    )
    date_format = "%Y-%m-%dT%H:%M:%S"
    notes = (
        "UTF-8 with BOM (the first header is '\\ufeffRecordID' to a naive reader), "
        "semicolon-delimited, LF line ends. State is sometimes the full name ('Oklahoma'). "
        "Postal Code lost its leading zero for about half of the New England ZIPs ('2116'). "
        "RecordID like 'CL25-000001'."
    )
    style = _CallStyle()

    def keys(self, rng: random.Random) -> Iterator[str]:
        return (f"CL25-{number:06d}" for number in _numbered_keys(start=0))

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        style = self.style
        when = day(2025, 2, 3) + int(rng.random() * 270)
        case_mode = choose_case_mode(rng, style)
        name = _noisy(
            rng, apply_case(render.full_name(rng, person, style, _CALL_LAYOUTS), case_mode), style
        )
        landline, cell = _phones(rng, household, person, when, style)
        main_phone = landline if landline is not None else cell
        # identity, not "landline is None": two junk phone values can be the very same object
        mobile = cell if cell is not None and (main_phone is not cell or rng.random() < 0.5) else ""
        email = render.email(rng, household, person, style) or ""
        address = current_address(household, when)
        if rng.random() < style.missing_address:
            street = town = state = zip_code = ""
        else:
            street = _noisy(
                rng, apply_case(render.street_line(rng, address, style), case_mode), style
            )
            town = apply_case(render.city(rng, address, style), case_mode)
            state = render.state(rng, address, style)
            zip_code = render.zip_code(rng, address, style)
        # calls are made 8:00 to 18:00
        called = f"{_iso_date(when)}T{_clock_time(8 * 3600 + int(rng.random() * 10 * 3600))}"
        return (key, name, main_phone or "", mobile, email, street, town, state, zip_code, called)


# ---------------------------------------------------------------------------------------------
# 6. purchased lead list (xlsx)


class _LeadStyle(Style):
    upper = 0.05
    strip_accents = 0.4
    null_share = 1.0
    plus4 = 0.2
    missing_phone = 0.12
    missing_email = 0.05
    phone_styles = Pool(range(10), (25, 20, 5, 3, 40, 2, 0, 0, 3, 2))


class LeadList(SourceDef):
    """The purchased Q3 lead list: xlsx with numeric ZIP / phone cells and real date cells."""

    name = "lead_list_q3"
    kind = "xlsx"
    file = "lead_list_q3.xlsx"
    format = "xlsx"
    sheet = "Leads"
    key_column = "record_id"
    columns = (
        "record_id",
        "first_name",
        "last_name",
        "suffix",
        "address",
        "city",
        "state",
        "zip",
        "phone",
        "email",
        "source_date",
    )
    notes = (
        "Written with openpyxl; sheet 'Leads' (header in row 1) then a text-only sheet 'Notes'. "
        "record_id is a number. zip is a number in ~40% of rows (New England ZIPs then lose "
        "their leading zero), phone a number in ~20% of rows; source_date is a real Excel date "
        "cell. Empty cells for missing values."
    )
    style = _LeadStyle()

    def keys(self, rng: random.Random) -> Iterator[int]:
        return _numbered_keys(start=0)

    def row(
        self, rng: random.Random, key: int | str, household: Household, person: Person
    ) -> tuple:
        style = self.style
        when = day(2025, 7, 1) + int(rng.random() * 92)
        case_mode = choose_case_mode(rng, style)
        first, _middle, last, suffix = render.name_parts(rng, person, style)
        first = _noisy(rng, apply_case(first, case_mode), style)
        last = _noisy(rng, apply_case(last, case_mode), style)
        address = current_address(household, when)
        if rng.random() < style.missing_address:
            street = city = state = zip_code = None
        else:
            street = _noisy(
                rng, apply_case(render.street_line(rng, address, style), case_mode), style
            )
            city = apply_case(render.city(rng, address, style), case_mode)
            state = render.state(rng, address, style)
            zip_code = render.zip_code(rng, address, style)
            # the vendor's spreadsheet turned some ZIPs and phones into numbers
            if zip_code.isdigit() and rng.random() < 0.4:
                zip_code = int(zip_code)
        landline, cell = _phones(rng, household, person, when, style)
        phone = cell if cell is not None and (landline is None or rng.random() < 0.5) else landline
        if phone is not None and phone.isdigit() and rng.random() < 0.6:
            phone = int(phone)
        email = render.email(rng, household, person, style)
        return (
            key,
            first,
            last,
            suffix or None,
            street,
            city,
            state,
            zip_code,
            phone,
            email,
            dt.date.fromordinal(when),
        )


SOURCES: dict[str, SourceDef] = {
    source.kind: source
    for source in (
        LegacyOwners(),
        LegacyContacts(),
        MailCampaign(),
        SmsCampaign(),
        CallCampaign(),
        LeadList(),
    )
}
