"""Give the roles the compliance tables' permissions (viewers see them; operators record
opt-outs and consents and decide on the review queue; admins change rules and policies)."""

from django.db import migrations


def grant(apps, schema_editor):
    from cmplatform.core.roles import sync_roles

    sync_roles(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_reference_data")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
