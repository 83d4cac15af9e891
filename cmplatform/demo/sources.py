"""The six legacy sources: their layout (file, columns, key) and how one record is spelled.

A :class:`SourceDef` turns (household, person, record RNG) into one row tuple in the column
order of its file. Writers (``writers.py``) only serialise those tuples.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from . import reference, render
from .people import NICKNAMES, Household, Person, Pool, day
from .render import (
    FL,
    FML,
    FML_COMMA,
    LFM,
    LFM_NOCOMMA,
    LSFM,
    TFL,
    Style,
    apply_case,
    case,
    current_address,
    current_cell,
    current_landline,
    missing,
    whitespace,
)

_FROMORD = dt.date.fromordinal


def _ymd(d: int) -> str:
    x = _FROMORD(d)
    return f"{x.year:04d}-{x.month:02d}-{x.day:02d}"


def _mdy(d: int) -> str:
    x = _FROMORD(d)
    return f"{x.month:02d}/{x.day:02d}/{x.year:04d}"


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class SourceDef:
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

    def keys(self, r: random.Random) -> Iterator[int | str]:
        raise NotImplementedError

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        raise NotImplementedError


def _phones(
    r: random.Random, h: Household, p: Person, when: int, st: Style
) -> tuple[str | None, str | None]:
    """(landline, cell) as written, each possibly missing."""
    land = current_landline(h, when)
    cell = current_cell(p, when)
    land_s = render.phone(r, land, st) if land and r.random() >= st.missing_phone else None
    cell_s = render.phone(r, cell, st) if cell and r.random() >= st.missing_phone else None
    return land_s, cell_s


def _noisy(r: random.Random, s: str, st: Style) -> str:
    return whitespace(r, s) if r.random() < st.ws else s


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


_LEGACY_LAYOUTS = Pool((LFM, LSFM, LFM_NOCOMMA, FML, FML_COMMA, FL, TFL), (58, 6, 12, 14, 3, 6, 1))


class LegacyOwners(SourceDef):
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
    _status = Pool(reference.LEAD_STATUSES, reference.LEAD_STATUS_WEIGHTS)

    def keys(self, r: random.Random) -> Iterator[int]:
        k = 100_000
        while True:
            k += 1 if r.random() < 0.93 else 2 + int(r.random() * 6)
            yield k

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        st = self.style
        created = day(2006, 1, 1) + int(r.random() * 4748)
        created_s = int(r.random() * 86400)
        updated = min(created + int(r.random() ** 2 * 1600), day(2019, 6, 28))
        updated_s = int(r.random() * 86400)
        if updated == created and updated_s < created_s:
            created_s, updated_s = updated_s, created_s
        when = updated
        cm = case(r, st)
        name = render.full_name(r, p, st, _LEGACY_LAYOUTS)
        u = r.random()
        if u < 0.02:
            name += reference.OWNER_NAME_TAILS[int(r.random() * len(reference.OWNER_NAME_TAILS))]
        elif u < 0.023:
            name = "Estate of " + name
        elif u < 0.027 and p.first in NICKNAMES:
            nick = NICKNAMES[p.first][0]
            name = name.replace(p.first, f'{p.first} "{nick}"', 1)
        elif u < 0.029:
            name += "\0"  # NUL left behind by an old import
        name = _noisy(r, apply_case(name, cm), st)
        a = current_address(h, when)
        if r.random() < st.missing_address:
            addr = city = state = zip_ = county = missing(r, st)
            if r.random() < 0.5:  # street missing, city / state / ZIP still there
                city, state, zip_ = a.loc.city.upper(), a.loc.state, a.zip5
        else:
            addr = render.street_line(r, a, st)
            u = r.random()
            if u < 0.003:
                addr = "C\\O " + addr  # c/o typed with a backslash
            elif u < 0.005:
                addr += "\x1a"  # Ctrl-Z from a DOS-era file
            elif u < 0.009:  # the whole address pasted into line 1 (Windows line break)
                addr = f"{addr}\r\n{a.loc.city} {a.loc.state} {a.zip5}"
            elif u < 0.011:
                addr = f"{addr}\n{a.loc.city}, {a.loc.state}"
            addr = _noisy(r, apply_case(addr, cm), st)
            city = apply_case(render.city(r, a, st), cm)
            state = render.state(r, a, st)
            zip_ = render.zip_code(r, a, st)
            county = apply_case(render.county(r, a), 1 if r.random() < 0.8 else cm)
            if r.random() < 0.04:
                county = missing(r, st)
        land, cell = _phones(r, h, p, when, st)
        if land is None:
            phone_1, phone_2 = cell, None
        elif r.random() < 0.8:
            phone_1, phone_2 = land, cell
        else:
            phone_1, phone_2 = cell, land
        if phone_2 is None and r.random() < 0.5:
            phone_2 = ""
        email = render.email(r, h, p, st)
        if email is None and r.random() < 0.4:
            email = ""
        u = r.random()
        status = None if u < 0.05 else "" if u < 0.08 else self._status.pick(r)
        created_at = f"{_ymd(created)} {_hms(created_s)}"
        u = r.random()
        if u < 0.02:
            updated_at = None
        elif u < 0.023:
            updated_at = "0000-00-00 00:00:00"
        else:
            updated_at = f"{_ymd(updated)} {_hms(updated_s)}"
        return (
            key,
            name,
            addr,
            city,
            state,
            zip_,
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

    def keys(self, r: random.Random) -> Iterator[int]:
        k = 0
        while True:
            k += 1 if r.random() < 0.97 else 2 + int(r.random() * 3)
            yield k

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        st = self.style
        when = day(2010, 1, 1) + int(r.random() * 4383)
        cm = case(r, st)
        first, middle, last, suffix = render.name_parts(r, p, st)
        if middle and r.random() < 0.05:
            first, middle = f"{first} {middle[0]}", ""
        if suffix and r.random() < 0.08:
            last, suffix = f"{last} {suffix}", ""
        first = _noisy(r, apply_case(first, cm), st)
        last = _noisy(r, apply_case(last, cm), st)
        middle = apply_case(middle, cm) if middle else missing(r, st)
        suffix = apply_case(suffix, cm) if suffix else missing(r, st)
        a = current_address(h, when)
        if r.random() < st.missing_address:
            addr = city = state = zip_ = missing(r, st)
            if r.random() < 0.5:
                city, state, zip_ = render.city(r, a, st), a.loc.state, a.zip5
        else:
            addr = _noisy(r, apply_case(render.street_line(r, a, st), cm), st)
            city = apply_case(render.city(r, a, st), cm)
            state = render.state(r, a, st)
            zip_ = render.zip_code(r, a, st)
        land, cell = _phones(r, h, p, when, st)
        email = render.email(r, h, p, st)
        if email is None:
            email = missing(r, st)
        stamp = f"{_ymd(when)}T{_hms(int(r.random() * 86400))}"
        return (
            key,
            first,
            middle,
            last,
            suffix,
            addr,
            city,
            state,
            zip_,
            land if land is not None else missing(r, st),
            cell if cell is not None else missing(r, st),
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
_MAIL_DROPS = tuple(day(2024, 1, 9) + 14 * i for i in range(26))


class MailCampaign(SourceDef):
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

    def keys(self, r: random.Random) -> Iterator[str]:
        k = 0
        while True:
            k += 1
            yield f"M24-{k:07d}"

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        st = self.style
        when = _MAIL_DROPS[int(r.random() * len(_MAIL_DROPS))]
        cm = case(r, st)
        first, middle, last, suffix = render.name_parts(r, p, st)
        if middle and r.random() < 0.12:
            first = f"{first} {middle[0]}"
        elif r.random() < 0.01 and p.first in NICKNAMES:
            nick = NICKNAMES[p.first][int(r.random() * len(NICKNAMES[p.first]))]
            first = f'{p.first} "{nick}"'
        if suffix and r.random() < 0.6:
            last = f"{last} {suffix}"
        first = _noisy(r, apply_case(first, cm), st)
        last = _noisy(r, apply_case(last, cm), st)
        a = current_address(h, when)
        if r.random() < st.missing_address:
            addr = city = state = zip_ = county = ""
        else:
            u = r.random()
            sep = ", " if u < 0.65 else "\n" if u < 0.8 else " "
            addr = _noisy(r, apply_case(render.street_line(r, a, st, sep), cm), st)
            city = apply_case(render.city(r, a, st), cm)
            state = render.state(r, a, st)
            zip_ = render.zip_code(r, a, st)
            county = render.county(r, a) if r.random() < 0.85 else ""
        land, cell = _phones(r, h, p, when, st)
        phone = cell if cell is not None and (land is None or r.random() < 0.6) else land
        email = render.email(r, h, p, st) or ""
        return (key, first, last, addr, city, state, zip_, county, phone or "", email, _mdy(when))


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


_SMS_LAYOUTS = Pool((LFM, LSFM, LFM_NOCOMMA, FML, FML_COMMA, TFL, FL), (30, 5, 5, 30, 7, 8, 15))


class SmsCampaign(SourceDef):
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

    def keys(self, r: random.Random) -> Iterator[int]:
        k = 2_500_000
        while True:
            k += 1
            yield k

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        st = self.style
        when = day(2025, 1, 6) + int(r.random() * 175)
        cm = case(r, st)
        name = _noisy(r, apply_case(render.full_name(r, p, st, _SMS_LAYOUTS), cm), st)
        land, cell = _phones(r, h, p, when, st)
        if cell is None and r.random() < 0.5:
            cell = land
        a = current_address(h, when)
        if r.random() < st.missing_address:
            addr = city = state = zip_ = ""
            if r.random() < 0.5:
                city, state, zip_ = render.city(r, a, st), a.loc.state, a.zip5
        else:
            addr = _noisy(r, apply_case(render.street_line(r, a, st), cm), st)
            city = apply_case(render.city(r, a, st), cm)
            state = render.state(r, a, st)
            zip_ = render.zip_code(r, a, st)
        secs = 8 * 3600 + int(r.random() * 12 * 3600)
        texted = f"{_mdy(when)} {secs // 3600:02d}:{secs // 60 % 60:02d}"
        return (key, name, cell or "", addr, city, state, zip_, texted)


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


_CALL_LAYOUTS = Pool((LFM, FML, FL, TFL, LFM_NOCOMMA), (25, 40, 15, 10, 10))


class CallCampaign(SourceDef):
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

    def keys(self, r: random.Random) -> Iterator[str]:
        k = 0
        while True:
            k += 1
            yield f"CL25-{k:06d}"

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        st = self.style
        when = day(2025, 2, 3) + int(r.random() * 270)
        cm = case(r, st)
        name = _noisy(r, apply_case(render.full_name(r, p, st, _CALL_LAYOUTS), cm), st)
        land, cell = _phones(r, h, p, when, st)
        main = land if land is not None else cell
        mobile = cell if cell is not None and (main is not cell or r.random() < 0.5) else ""
        email = render.email(r, h, p, st) or ""
        a = current_address(h, when)
        if r.random() < st.missing_address:
            street = town = state = zip_ = ""
        else:
            street = _noisy(r, apply_case(render.street_line(r, a, st), cm), st)
            town = apply_case(render.city(r, a, st), cm)
            state = render.state(r, a, st)
            zip_ = render.zip_code(r, a, st)
        called = f"{_ymd(when)}T{_hms(8 * 3600 + int(r.random() * 10 * 3600))}"
        return (key, name, main or "", mobile, email, street, town, state, zip_, called)


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

    def keys(self, r: random.Random) -> Iterator[int]:
        k = 0
        while True:
            k += 1
            yield k

    def row(self, r: random.Random, key: int | str, h: Household, p: Person) -> tuple:
        st = self.style
        when = day(2025, 7, 1) + int(r.random() * 92)
        cm = case(r, st)
        first, _middle, last, suffix = render.name_parts(r, p, st)
        first = _noisy(r, apply_case(first, cm), st)
        last = _noisy(r, apply_case(last, cm), st)
        a = current_address(h, when)
        if r.random() < st.missing_address:
            addr = city = state = zip_ = None
        else:
            addr = _noisy(r, apply_case(render.street_line(r, a, st), cm), st)
            city = apply_case(render.city(r, a, st), cm)
            state = render.state(r, a, st)
            zip_ = render.zip_code(r, a, st)
            if zip_.isdigit() and r.random() < 0.4:
                zip_ = int(zip_)
        land, cell = _phones(r, h, p, when, st)
        phone = cell if cell is not None and (land is None or r.random() < 0.5) else land
        if phone is not None and phone.isdigit() and r.random() < 0.6:
            phone = int(phone)
        email = render.email(r, h, p, st)
        return (
            key,
            first,
            last,
            suffix or None,
            addr,
            city,
            state,
            zip_,
            phone,
            email,
            _FROMORD(when),
        )


SOURCES: dict[str, SourceDef] = {
    s.kind: s
    for s in (
        LegacyOwners(),
        LegacyContacts(),
        MailCampaign(),
        SmsCampaign(),
        CallCampaign(),
        LeadList(),
    )
}
