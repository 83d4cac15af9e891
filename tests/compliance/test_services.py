"""Opt-outs, SMS replies, the point-of-use decision, merges and channel exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from cmplatform.core.models import Address, AuditLog, Person, PhoneNumber, Touchpoint
from compliance import tags
from compliance.models import ComplianceEvaluation, Consent, RegistryCoverage, Suppression
from compliance.scrub import scrub_all
from compliance.selectors import ChannelList, channel_export, golden_pages, status_counts
from compliance.services import (
    ComplianceError,
    may_contact,
    normalize_reply,
    sms_reply_record,
    suppression_create,
    suppression_lift,
    suppression_review_decide,
)
from dedupe.services import person_unmerge, persons_merge
from tests.factories import email_create, person_create, phone_create, user_create

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# A Tuesday, in November (standard time): 17:00 UTC is 11:00 in New York, 09:00 in Denver.
MIDDAY = dt.datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_registry() -> None:
    """Registry data of today for every area code and state list the tests use."""
    today = dt.date.today()
    for npa in ("208", "212", "305", "432", "786"):
        RegistryCoverage.objects.create(kind="federal", scope=npa, as_of=today, full_list_on=today)
    for state in ("CO", "FL", "IN", "LA", "MA", "MO", "OK", "PA", "TN", "TX", "WY"):
        RegistryCoverage.objects.create(kind="state", scope=state, as_of=today, full_list_on=today)


def person_with(*numbers: str, state: str = "TX", **fields: Any) -> Person:
    person = person_create(state=state, **fields)
    for number in numbers:
        phone_create(person, number, number)
    return person


def consent(person: Person, channel: str = "sms") -> None:
    Consent.objects.create(
        person=person,
        channel=channel,
        obtained_at=MIDDAY - dt.timedelta(days=3),
        evidence="signed web form 2026-11-21",
    )


def status(person: Person, channel: str) -> str:
    person.refresh_from_db()
    return getattr(person, f"{channel}_status")


def test_reply_normalisation_matches_whole_messages_only() -> None:
    assert normalize_reply("  Stop! ") == "STOP"
    assert normalize_reply("opt-out") == "OPTOUT"
    assert normalize_reply("Opt out.") == "OPT OUT"
    assert normalize_reply("stop sending me these") == "STOP SENDING ME THESE"


def test_stop_reply_suppresses_sms_at_once_and_start_restores_it() -> None:
    person = person_with("+14325550100")
    consent(person)
    scrub_all()
    assert may_contact(person_id=person.pk, channel="sms", at=MIDDAY).decision == "ALLOW"

    outcome = sms_reply_record(phone="(432) 555-0100", body="Stop.", received_at=MIDDAY)
    assert outcome.action == "opt_out"
    assert "unsubscribed" in outcome.auto_reply
    decision = may_contact(person_id=person.pk, channel="sms", at=MIDDAY)
    assert (decision.decision, decision.tags[0]) == ("BLOCK", "OPTED_OUT")
    # Revoke-all (the default): the same number is not called either.
    assert status(person, "call") == "OPTED_OUT"
    assert AuditLog.objects.filter(object_type__icontains="suppression").count() == 1

    assert sms_reply_record(phone="+14325550100", body="START").action == "opt_in"
    assert may_contact(person_id=person.pk, channel="sms", at=MIDDAY).decision == "ALLOW"
    lifted = Suppression.objects.get()
    assert (lifted.is_active, lifted.lifted_reason) == (False, "Re-opt-in by SMS reply 'START'")


def test_channel_scoped_stop_when_revoke_all_is_off(settings: Any) -> None:
    settings.COMPLIANCE_REVOKE_ALL = False
    person = person_with("+14325550100")
    sms_reply_record(phone="+14325550100", body="STOP")
    assert (status(person, "sms"), status(person, "call")) == ("OPTED_OUT", "CLEAR")


def test_start_without_a_prior_stop_does_nothing() -> None:
    person_with("+14325550100")
    assert sms_reply_record(phone="+14325550100", body="yes").action == "none"
    assert Suppression.objects.count() == 0


def test_free_text_revocation_is_suppressed_and_waits_for_review() -> None:
    person = person_with("+14325550100", "+14325550109")
    email_create(person, "pat@example.com")
    reviewer = user_create("reviewer", "operator")
    # A curly apostrophe, as phones type it.
    outcome = sms_reply_record(phone="+14325550100", body="Please don\u2019t text me again")
    assert outcome.action == "revocation_review"
    # One request: the number and the person holding it, every channel, every number.
    assert [status(person, c) for c in ("call", "sms", "email")] == ["REVOKED_CONSENT"] * 3
    rows = Suppression.objects.order_by("pk")
    assert [(r.identifier_type, r.review) for r in rows] == [
        ("phone", "pending"),
        ("person", "pending"),
    ]
    assert len({r.request for r in rows}) == 1
    suppression = rows[0]
    with pytest.raises(ComplianceError, match="waits for review"):
        suppression_lift(suppression=suppression, reason="customer called back")
    assert status(person, "sms") == "REVOKED_CONSENT"

    suppression_review_decide(suppression=suppression, keep=False, by=reviewer, note="a joke")
    assert [(r.review, r.is_active) for r in Suppression.objects.order_by("pk")] == [
        ("released", False),
        ("released", False),
    ]
    assert [status(person, c) for c in ("call", "sms", "email")] == ["CLEAR"] * 3


@pytest.mark.parametrize(
    "body",
    [
        "Remove my number",
        "Revoke consent",
        "please cancel",
        "opt me out",
        "No more texting",
        "\uff33\uff34\uff2f\uff30 it",
    ],
)
def test_free_text_revocations_in_many_words(body: str) -> None:
    person_with("+14325550100")
    assert sms_reply_record(phone="+14325550100", body=body).action == "revocation_review"


def test_wrong_number_suppresses_the_number_not_the_person() -> None:
    person = person_with("+14325550100", "+14325550109")
    sms_reply_record(phone="+14325550100", body="wrong number")
    assert list(Suppression.objects.values_list("identifier_type", flat=True)) == ["phone"]
    assert status(person, "call") == "CLEAR"  # the other number is still theirs
    assert PhoneNumber.objects.get(e164="+14325550100").compliance_flags & tags.CALL_CLEAR == 0


def test_help_reply_identifies_the_sender() -> None:
    person_with("+14325550100")
    outcome = sms_reply_record(phone="+14325550100", body="help")
    assert (outcome.action, outcome.auto_reply) == (
        "help",
        "Mineral rights offers. Reply STOP to unsubscribe.",
    )


def test_invalid_reply_number_is_an_error_that_writes_nothing() -> None:
    with pytest.raises(ComplianceError, match="not a valid phone number"):
        sms_reply_record(phone="+1 555-555-0123", body="STOP")
    assert Suppression.objects.count() == 0


def test_sms_needs_written_consent() -> None:
    person = person_with("+14325550100")
    scrub_all()
    decision = may_contact(person_id=person.pk, channel="sms", at=MIDDAY)
    assert (decision.decision, decision.tags) == ("BLOCK", ["WIRELESS_NO_CONSENT"])


def test_consent_for_one_number_covers_that_number_only() -> None:
    person = person_with("+14325550100", "+14325550101")
    Consent.objects.create(
        person=person,
        channel="sms",
        phone="+14325550101",
        evidence="web form",
        obtained_at=MIDDAY - dt.timedelta(days=1),
    )
    Consent.objects.create(
        person=person,
        channel="sms",
        evidence="signed later",
        obtained_at=MIDDAY + dt.timedelta(days=1),
    )
    scrub_all()
    decision = may_contact(person_id=person.pk, channel="sms", at=MIDDAY)
    assert (decision.decision, decision.evidence["numbers"]) == ("ALLOW", ["+14325550101"])


def test_registry_data_ageing_blocks_at_the_point_of_use_without_a_rescrub() -> None:
    person = person_with("+14325550100")
    scrub_all()
    assert may_contact(person_id=person.pk, channel="call", at=MIDDAY).decision == "ALLOW"
    # Time passes: 32 days after the last list, with no scrub in between.
    later = dt.datetime.combine(dt.date.today() + dt.timedelta(days=32), dt.time(17), UTC)
    decision = may_contact(person_id=person.pk, channel="call", at=later)
    assert (decision.decision, decision.tags) == ("BLOCK", ["DNC_DATA_STALE"])
    assert decision.evidence["stale_registry_data"] == ["state:TX", "federal:432"]


def test_a_number_added_since_the_scrub_is_not_used() -> None:
    person = person_with("+14325550100")
    scrub_all()
    PhoneNumber.objects.filter(person=person).update(compliance_flags=0)  # as if just added
    decision = may_contact(person_id=person.pk, channel="call", at=MIDDAY)
    assert (decision.decision, decision.tags) == ("BLOCK", ["NO_CONTACT_POINT"])
    result = ChannelList("call")
    channel_export(
        pages=golden_pages(Person.objects.all()), result=result, writer=csv.writer(io.StringIO())
    )
    assert (result.exported, dict(result.suppressed)) == (0, {"STALE_STATUS": 1})


def test_florida_cap_holds_across_two_numbers_of_one_person(settings: Any) -> None:
    settings.COMPLIANCE_MAX_CALLS_24H = 5  # the company default is looser than Florida's law
    floridian = person_with("+13055550100", "+17865550100", state="FL")
    texan = person_with("+14325550101", state="TX")
    scrub_all()
    for person in (floridian, texan):
        for hours in (1, 2, 3):
            Touchpoint.objects.create(
                person=person,
                channel="call",
                status="no_answer",
                occurred_at=MIDDAY - dt.timedelta(hours=hours),
                metadata={"number": "+13055550100" if hours == 1 else "+17865550100"},
            )
    decision = may_contact(person_id=floridian.pk, channel="call", at=MIDDAY)
    assert (decision.decision, decision.tags) == ("DEFER", ["FREQ_CAPPED"])
    # The oldest of the three attempts leaves the 24-hour window first.
    assert decision.next_allowed_at == MIDDAY - dt.timedelta(hours=3) + dt.timedelta(hours=24)
    assert may_contact(person_id=texan.pk, channel="call", at=MIDDAY).decision == "ALLOW"


def test_cap_counts_attempts_on_merged_duplicates(settings: Any) -> None:
    settings.COMPLIANCE_MAX_CALLS_24H = 5  # so only Florida's cap of 3 can defer
    golden = person_with("+13055550100", state="FL")
    duplicate = person_with(
        "+17865550100", state="FL", merged_into=golden, is_duplicate=True, is_original=False
    )
    scrub_all()
    for hours in (1, 2, 3):
        Touchpoint.objects.create(
            person=duplicate,
            channel="call",
            status="answered",
            occurred_at=MIDDAY - dt.timedelta(hours=hours),
        )
    decision = may_contact(person_id=duplicate.pk, channel="call", at=MIDDAY)
    assert (decision.decision, decision.tags[0]) == ("DEFER", "FREQ_CAPPED")


def test_quiet_hours_across_a_two_zone_area_code() -> None:
    # 208-555 maps to Boise (Mountain) and Los Angeles (Pacific); the person lives in Idaho.
    person = person_with("+12085551234", state="ID")
    scrub_all()
    morning = dt.datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 08:30 Boise, 07:30 Los Angeles
    decision = may_contact(person_id=person.pk, channel="call", at=morning)
    assert (decision.decision, decision.tags) == ("DEFER", ["QUIET_HOURS"])
    assert decision.next_allowed_at == dt.datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert set(decision.evidence["zones"]) >= {"America/Boise", "America/Los_Angeles"}
    assert may_contact(person_id=person.pk, channel="call", at=decision.next_allowed_at).allowed
    evening = dt.datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 21:00 Boise, 20:00 Los Angeles
    assert may_contact(person_id=person.pk, channel="call", at=evening).decision == "DEFER"


def test_state_list_of_the_golden_records_state_applies_to_a_duplicates_number(
    tmp_path: Any,
) -> None:
    from compliance.models import StateDnc

    golden = person_with("+14325550100", state="FL")
    duplicate = person_with(
        "+12125550100", state="NY", merged_into=golden, is_duplicate=True, is_original=False
    )
    StateDnc.objects.create(
        phone="+12125550100", state="FL", list_version_date=dt.date.today(), loaded_at=MIDDAY
    )
    scrub_all()
    assert PhoneNumber.objects.get(person=duplicate).dnc_status == "DNC_STATE"
    decision = may_contact(person_id=golden.pk, channel="call", at=MIDDAY)
    assert (decision.decision, decision.evidence["numbers"]) == ("ALLOW", ["+14325550100"])


def test_florida_window_is_stricter_than_the_federal_one() -> None:
    person = person_with("+13055550100", state="FL")
    scrub_all()
    # 20:30 in Miami: federal law allows it, Florida's 8-20 window does not.
    late = dt.datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    decision = may_contact(person_id=person.pk, channel="call", at=late)
    assert (decision.decision, decision.tags) == ("DEFER", ["QUIET_HOURS"])
    # The address says Florida, whose panhandle is on Central time: 08:00 there comes last.
    assert decision.evidence["zones"] == ["America/Chicago", "America/New_York"]
    assert decision.next_allowed_at == dt.datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def test_holiday_ban_of_a_state() -> None:
    # Louisiana bans solicitation calls on its holidays (Christmas 2026 is a Friday).
    person = person_with("+13055550100", state="LA")
    scrub_all()
    christmas_noon = dt.datetime(2026, 12, 25, 18, 0, tzinfo=UTC)
    decision = may_contact(person_id=person.pk, channel="call", at=christmas_noon)
    assert (decision.decision, decision.tags) == ("DEFER", ["HOLIDAY_BLOCK"])
    assert decision.next_allowed_at == dt.datetime(2026, 12, 26, 14, 0, tzinfo=UTC)


def test_point_check_refuses_bad_requests() -> None:
    person = person_with("+14325550100")
    with pytest.raises(ComplianceError, match="needs a time zone"):
        may_contact(person_id=person.pk, channel="call", at=dt.datetime(2026, 11, 24, 12))
    with pytest.raises(ComplianceError, match="Unknown channel"):
        may_contact(person_id=person.pk, channel="fax", at=MIDDAY)
    with pytest.raises(ComplianceError, match="No person"):
        may_contact(person_id=person.pk + 1000, channel="call", at=MIDDAY)
    assert ComplianceEvaluation.objects.count() == 0


def test_every_evaluation_is_stored() -> None:
    person = person_with("+14325550100")
    scrub_all()
    may_contact(person_id=person.pk, channel="call", at=MIDDAY)
    stored = ComplianceEvaluation.objects.get()
    assert (stored.decision, stored.tags, stored.golden_id) == ("ALLOW", ["CLEAR"], person.pk)
    with pytest.raises(PermissionError):
        ComplianceEvaluation.objects.all().delete()


def test_merge_takes_the_most_restrictive_status_and_unmerge_restores_each_own() -> None:
    operator = user_create("op", "operator")
    opted_out = person_with("+14325550100", first_name="Ann", last_name="Cole")
    clear = person_with("+14325550101", first_name="Ann", last_name="Cole")
    email_create(clear, "ann@example.com")
    suppression_create(
        reason="OPTED_OUT", channel="all", source="manual", person=opted_out, by=operator
    )
    scrub_all()
    assert (status(opted_out, "email"), status(clear, "email")) == ("OPTED_OUT", "CLEAR")

    persons_merge(golden=clear, duplicates=[opted_out], by=operator)
    assert [status(clear, c) for c in ("call", "sms", "email", "mail")] == ["OPTED_OUT"] * 4
    decision = may_contact(person_id=opted_out.pk, channel="call", at=MIDDAY)
    assert (decision.decision, decision.evidence["golden_id"]) == ("BLOCK", clear.pk)

    person_unmerge(person=opted_out, by=operator)
    assert (status(clear, "call"), status(clear, "email")) == ("CLEAR", "CLEAR")
    assert (status(opted_out, "call"), status(opted_out, "email")) == ("OPTED_OUT", "OPTED_OUT")


def test_export_holds_only_clear_contacts_and_its_counts_reconcile() -> None:
    clear = person_with("+14325550100", first_name='=HYPERLINK("http://x")')
    person_with("+14325550101").phone_numbers.update(e164=None)  # invalid only
    person_with()  # no number at all
    suppression_create(
        reason="DNC_INTERNAL", channel="all", source="manual", person=person_with("+14325550102")
    )
    mixed = person_with("+14325550103", "+14325550104")
    suppression_create(reason="OPTED_OUT", channel="call", source="manual", phone="+14325550103")
    scrub_all()
    result = ChannelList("call")
    handle = io.StringIO()
    channel_export(
        pages=golden_pages(Person.objects.all()), result=result, writer=csv.writer(handle)
    )
    rows = list(csv.DictReader(io.StringIO(handle.getvalue())))
    assert {int(row["person_id"]) for row in rows} == {clear.pk, mixed.pk}
    assert {row["contact_points"] for row in rows} == {"+14325550100", "+14325550104"}
    assert rows[0]["first_name"] == '\'=HYPERLINK("http://x")'
    assert result.suppressed == {"INVALID_NUMBER": 1, "NO_CONTACT_POINT": 1, "DNC_INTERNAL": 1}
    assert result.considered == result.exported + sum(result.suppressed.values()) == 5
    counts = status_counts("call")
    assert counts.pop("CLEAR") == result.exported
    assert counts == dict(result.suppressed)


def test_mail_export_skips_opted_out_addresses() -> None:
    person = person_with()
    for street in ("1 Main St", "9 Oak Ave"):
        Address.objects.create(
            person=person,
            street=street,
            city="Pecos",
            state="TX",
            zip5="79772",
            address_key=f"{street.upper()} PECOS TX 79772",
        )
    suppression_create(
        reason="OPTED_OUT",
        channel="mail",
        source="returned_mail",
        address_key="1 MAIN ST PECOS TX 79772",
    )
    result = ChannelList("mail")
    handle = io.StringIO()
    channel_export(
        pages=golden_pages(Person.objects.all()), result=result, writer=csv.writer(handle)
    )
    rows = list(csv.DictReader(io.StringIO(handle.getvalue())))
    assert [row["contact_points"] for row in rows] == ["9 Oak Ave, Pecos, TX 79772"]


def test_suppression_reasons_must_fit_the_identifier() -> None:
    with pytest.raises(ComplianceError, match="Phone-level suppressions cannot be DECEASED"):
        suppression_create(reason="DECEASED", channel="all", source="api", phone="+14325550100")
    with pytest.raises(ComplianceError, match="Address-level suppressions cannot be DECEASED"):
        suppression_create(reason="DECEASED", channel="mail", source="api", address_key="1 MAIN")
    assert Suppression.objects.count() == 0


def test_suppression_needs_a_target_and_known_values() -> None:
    with pytest.raises(ComplianceError, match="needs a person or an identifier"):
        suppression_create(reason="OPTED_OUT", channel="sms", source="api")
    with pytest.raises(ComplianceError, match="Unknown channel"):
        suppression_create(reason="OPTED_OUT", channel="fax", source="api", phone="+14325550100")
    with pytest.raises(ComplianceError, match="Unknown suppression reason"):
        suppression_create(reason="BORED", channel="sms", source="api", phone="+14325550100")
    assert Suppression.objects.count() == 0


def test_scrub_and_report_commands(capsys: pytest.CaptureFixture[str]) -> None:
    person_with("+14325550100")
    call_command("scrub")
    out = capsys.readouterr().out
    assert "Scrubbed 1 phones and 1 golden records" in out
    assert "call: 1 CLEAR" in out
    call_command("compliance_report")
    assert "call: 1 CLEAR" in capsys.readouterr().out


def test_report_counts_every_tag_of_blocked_records(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    internal = person_with("+14325550100", "+14325550101")
    suppression_create(reason="DNC_INTERNAL", channel="all", source="manual", person=internal)
    suppression_create(reason="OPTED_OUT", channel="call", source="manual", phone="+14325550101")
    person_with("+14325550102")
    scrub_all()
    call_command("compliance_report", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["channels"]["call"]["statuses"] == {"CLEAR": 1, "DNC_INTERNAL": 1}
    assert report["channels"]["call"]["tags"] == {"OPTED_OUT": 1, "DNC_INTERNAL": 1}
    assert report["suppressions_active"] == 2
    assert report["holiday_years"] == [2026, 2027]
