"""The three roles and their permissions.

* ``viewer``: read-only: every ``view_*`` permission of the platform's apps.
* ``operator``: what a viewer has, plus import, export, merge/unmerge, the opt-out review queue
  and saved filters.
* ``admin``: every permission (and admin users are superusers): users, settings and manual
  overrides of golden records (edits of persons and their contact points in the operations
  console, locked against later imports).

Permissions of models added by later migrations join a role by re-running :func:`sync_roles`
(``manage.py sync_roles``, or a data migration of the app that adds them).
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions

ADMIN = "admin"
OPERATOR = "operator"
VIEWER = "viewer"
ROLES = (ADMIN, OPERATOR, VIEWER)

PLATFORM_APP_LABELS = ("core", "ingestion", "dedupe", "compliance", "integrations", "dashboard")

# "app_label.codename" granted to operators on top of the viewer's permissions.
OPERATOR_PERMISSIONS = (
    "core.import_persons",
    "core.export_persons",
    "core.merge_persons",
    "core.add_campaign",
    "core.change_campaign",
    "core.add_touchpoint",
    # Opt-outs and DNC requests taken by phone, consents, and the revocation review queue.
    "compliance.add_suppression",
    "compliance.change_suppression",
    "compliance.add_consent",
    "compliance.change_consent",
    # Priority lists: saving a named filter for everyone.
    "dashboard.add_savedfilter",
)


def _ensure_permissions(apps: Apps, using: str) -> None:
    # Django creates permissions after migrate; a data migration needs them now. The global
    # app configs describe the current models, the historical ``apps`` the current tables.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)


def _app_has_models(apps: Apps, permission: str) -> bool:
    app_label = permission.partition(".")[0]
    try:
        return any(True for _ in apps.get_app_config(app_label).get_models())
    except LookupError:
        return False


def sync_roles(*, apps: Apps = global_apps, using: str = "default") -> dict[str, int]:
    """Create or update the role groups; return the number of permissions of each."""
    _ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(using).select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}
    missing = [name for name in OPERATOR_PERMISSIONS if name not in by_name]
    # The permissions of an app whose first migration has not run yet join when it runs (its
    # role migration syncs again); a name missing from an app that has models is a mistake.
    missing = [name for name in missing if _app_has_models(apps, name)]
    if missing:
        raise LookupError(f"Operator permissions not defined by any model: {', '.join(missing)}")
    viewer = {
        p
        for name, p in by_name.items()
        if p.content_type.app_label in PLATFORM_APP_LABELS and p.codename.startswith("view_")
    }
    grants = {
        VIEWER: viewer,
        OPERATOR: viewer | {by_name[name] for name in OPERATOR_PERMISSIONS if name in by_name},
        ADMIN: set(by_name.values()),
    }
    counts = {}
    for role, role_permissions in grants.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(role_permissions)
        counts[role] = len(role_permissions)
    return counts
