"""Write services of the canonical schema: audited manual changes.

Every change a person makes (admin, dashboard, API, command) goes through a service here or in
another app that calls :func:`audit_record` in the same transaction as the change, so the
audit trail and the data can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from cmplatform.core.golden_facts import golden_facts_refresh
from cmplatform.core.models import (
    Address,
    AuditLog,
    EmailAddress,
    GoldenCampaign,
    Person,
    PhoneNumber,
    Touchpoint,
)
from cmplatform.core.roles import ADMIN, ROLES
from cmplatform.lib.generation import PERSONS, data_generation_bump_on_commit

# Fields a person may edit on a golden record; an edit locks the field against imports and
# survivorship (``manual_override_fields``).
PERSON_EDITABLE_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "state",
    "county",
    "zip5",
    "lead_status",
    "score",
)

Actor = AbstractBaseUser | AnonymousUser | None
# Rows summarised per golden record (``golden_facts``): an edit refreshes the summary.
SUMMARISED = (PhoneNumber, EmailAddress, Address, Touchpoint)
User = get_user_model()


def _json_safe(value: Any) -> Any:
    """Round-trip through Django's encoder so dates, decimals and UUIDs become JSON."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def field_values(obj: models.Model, field_names: list[str] | None = None) -> dict[str, Any]:
    """The stored value of each concrete field (foreign keys as their id), JSON-safe;
    ``auto_now`` timestamps are left out."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field_names is not None and field.name not in field_names:
            continue
        if getattr(field, "auto_now", False):
            continue  # a bookkeeping timestamp, not a change anybody made
        values[field.name] = field.value_from_object(obj)
    return _json_safe(values)


def diff_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for every field whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def acting_user(actor: Actor) -> Any:
    """The user to store as the author of a change, or ``None`` for the system and anonymous
    callers."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def audit_record(
    *,
    actor: Actor,
    origin: str,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any],
) -> AuditLog:
    """Append one audit entry for ``obj``. Call it inside the transaction of the change."""
    user = acting_user(actor)
    return AuditLog.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        origin=origin,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_json_safe(dict(changes)),
    )


@transaction.atomic
def model_save_audited(*, obj: models.Model, by: Actor, origin: str) -> models.Model:
    """Save a new or changed row and audit the fields that changed (nothing if none did)."""
    model = type(obj)
    if obj.pk is None or obj._state.adding:
        obj.save()
        if isinstance(obj, SUMMARISED):
            golden_facts_refresh(person_ids=[obj.person_id])
        audit_record(
            actor=by,
            origin=origin,
            action=AuditLog.Action.CREATE,
            obj=obj,
            changes=diff_values({}, field_values(obj)),
        )
        return obj
    stored = model._default_manager.select_for_update().get(pk=obj.pk)
    before = field_values(stored)
    obj.save()
    if isinstance(obj, SUMMARISED) and isinstance(stored, SUMMARISED):
        # A row moved to another person leaves the first one's summary too.
        golden_facts_refresh(person_ids=[obj.person_id, stored.person_id])
    changes = diff_values(before, field_values(obj))
    if changes:
        audit_record(
            actor=by, origin=origin, action=AuditLog.Action.UPDATE, obj=obj, changes=changes
        )
    return obj


@transaction.atomic
def model_delete_audited(*, obj: models.Model, by: Actor, origin: str) -> None:
    """Delete a row, keeping its last values in the audit log."""
    before = field_values(obj)
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.DELETE,
        obj=obj,
        changes=diff_values(before, {}),
    )
    obj.delete()
    if isinstance(obj, SUMMARISED):
        golden_facts_refresh(person_ids=[obj.person_id])


@transaction.atomic
def person_update(*, person: Person, changes: Mapping[str, Any], by: Actor, origin: str) -> Person:
    """Apply a person's manual edits to a golden record.

    Every field that really changes is added to ``manual_override_fields`` so that later
    imports and survivorship never overwrite it, and the change is audited as an override.
    """
    unknown = set(changes) - set(PERSON_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"These person fields cannot be edited: {', '.join(sorted(unknown))}")
    locked = Person.objects.select_for_update().get(pk=person.pk)
    before = field_values(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["merged_into"])
    after = field_values(locked)
    changed = [name for name in changes if before.get(name) != after.get(name)]
    if not changed:
        return locked
    locked.manual_override_fields = sorted({*locked.manual_override_fields, *changed})
    locked.is_manual_override = True
    # a value set by hand is the person's own: survivorship no longer answers for it
    locked.survivorship = {k: v for k, v in locked.survivorship.items() if k not in changed}
    locked.save()
    if "score" in changed:
        # campaign members are listed in score order from their own copy of the score
        GoldenCampaign.objects.filter(person_id=locked.pk).update(score=locked.score)
    # cached list pages and counts showed the old values
    data_generation_bump_on_commit(PERSONS)
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.OVERRIDE,
        obj=locked,
        changes=diff_values(before, field_values(locked)),
    )
    return locked


@transaction.atomic
def user_assign_role(
    *, username: str, role: str, email: str = "", password: str | None = None
) -> tuple[Any, bool]:
    """Create ``username`` (or take the existing user) and put it in exactly one role.

    Admins are superusers; every role may sign in to the operations console (what they see
    there follows their permissions). The change is audited.
    """
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    try:
        group = Group.objects.get(name=role)
    except Group.DoesNotExist:
        raise ValueError(f"The role group {role!r} does not exist; run migrate.") from None
    user, created = User.objects.select_for_update().get_or_create(
        username=username, defaults={"email": email}
    )
    before = {
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "is_superuser": user.is_superuser,
    }
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        user.set_password(password)
    if email:
        user.email = email
    user.is_staff = True
    user.is_superuser = role == ADMIN
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(pk=group.pk))
    user.groups.add(group)
    after = {"roles": [role], "is_superuser": user.is_superuser}
    audit_record(
        actor=None,
        origin=AuditLog.Origin.COMMAND,
        action=AuditLog.Action.CREATE if created else AuditLog.Action.ROLE,
        obj=user,
        changes=diff_values(before, after),
    )
    return user, created
