"""Edits of golden records in the operations console (manual overrides) become the admins'
alone: the operator group loses the change permissions of persons and their contact points."""

from django.db import migrations


def resync(apps, schema_editor):
    from cmplatform.core.roles import sync_roles

    sync_roles(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_golden_campaign_scores"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(resync, migrations.RunPython.noop)]
