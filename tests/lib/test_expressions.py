"""BitOr runs in the database on both backends (SQLite gets it at connection time)."""

from __future__ import annotations

import pytest
from django.db.models.functions import Coalesce

from cmplatform.core.models import PhoneNumber
from cmplatform.lib.expressions import BitOr
from tests.factories import person_create, phone_create

pytestmark = pytest.mark.django_db


def test_bit_or_aggregates_and_coalesces_over_no_rows() -> None:
    person = person_create()
    for number, flags in (("+14325550100", 0b0101), ("+14325550101", 0b0110), ("+14325550102", 0)):
        phone_create(person, number, number)
        PhoneNumber.objects.filter(e164=number).update(compliance_flags=flags)
    assert PhoneNumber.objects.aggregate(bits=BitOr("compliance_flags"))["bits"] == 0b0111
    none = PhoneNumber.objects.filter(pk=-1)
    assert none.aggregate(bits=Coalesce(BitOr("compliance_flags"), 0))["bits"] == 0
    grouped = PhoneNumber.objects.values("person").annotate(
        bits=Coalesce(BitOr("compliance_flags"), 0)
    )
    assert [row["bits"] for row in grouped] == [0b0111]
