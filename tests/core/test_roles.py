import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from cmplatform.core.models import AuditLog


def permission_names(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_viewer_is_read_only():
    names = permission_names("viewer")
    assert "core.view_person" in names
    assert "core.view_auditlog" in names
    assert all(name.split(".")[1].startswith("view_") for name in names)


@pytest.mark.django_db
def test_operator_may_import_export_merge_but_not_override_delete_or_administer():
    names = permission_names("operator")
    assert {"core.import_persons", "core.export_persons", "core.merge_persons"} <= names
    # manual overrides of golden records are the admins'
    overrides = {
        f"core.{verb}_{model}"
        for verb in ("add", "change")
        for model in ("person", "phonenumber", "emailaddress", "address")
    }
    assert not names & overrides
    assert "core.delete_person" not in names
    assert not any(name.startswith("auth.") for name in names)


@pytest.mark.django_db
def test_admin_has_every_permission():
    from django.contrib.auth.models import Permission

    assert permission_names("admin") == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }


@pytest.mark.django_db
def test_create_role_user_generates_a_password_that_works(capsys):
    call_command("create_role_user", "vera", "--role", "viewer")
    output = capsys.readouterr().out
    assert "Created viewer user 'vera'." in output
    password = output.split("Password: ")[1].strip()
    user = authenticate(username="vera", password=password)
    assert user is not None
    assert list(user.groups.values_list("name", flat=True)) == ["viewer"]
    assert (user.is_staff, user.is_superuser) == (True, False)
    assert user.has_perm("core.view_person") and not user.has_perm("core.change_person")


@pytest.mark.django_db
def test_create_role_user_moves_a_user_between_roles_and_audits(monkeypatch, capsys):
    monkeypatch.setenv("NEW_PASSWORD", "Long-enough-passphrase-42")
    call_command("create_role_user", "otto", "--role", "operator", "--password-env", "NEW_PASSWORD")
    call_command("create_role_user", "otto", "--role", "admin")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="otto")
    assert list(user.groups.values_list("name", flat=True)) == ["admin"]
    assert user.is_superuser is True
    entries = list(AuditLog.objects.filter(object_type="auth.user").order_by("id"))
    assert [entry.action for entry in entries] == ["create", "role"]
    assert entries[1].changes == {
        "is_superuser": [False, True],
        "roles": [["operator"], ["admin"]],
    }


@pytest.mark.django_db
def test_weak_password_is_refused_and_no_user_is_created(tmp_path):
    weak = tmp_path / "pw"
    weak.write_text("123", encoding="utf-8")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_role_user", "weak", "--role", "viewer", "--password-file", str(weak))
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="weak").exists()
    assert not AuditLog.objects.exists()
