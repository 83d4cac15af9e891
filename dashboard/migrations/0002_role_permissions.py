"""Give the roles the dashboard tables' permissions (viewers see saved filters and exports;
operators save filters)."""

from django.db import migrations


def grant(apps, schema_editor):
    from cmplatform.core.roles import sync_roles

    sync_roles(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_saved_filters_exports_facets"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("compliance", "0003_role_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
