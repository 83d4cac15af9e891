"""Give the roles the golden-record tables' permissions (viewers see runs, the log and the
review queue; operators decide through ``core.merge_persons``)."""

from django.db import migrations


def grant(apps, schema_editor):
    from cmplatform.core.roles import sync_roles

    sync_roles(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("dedupe", "0002_run_blocking_figures"),
        ("core", "0005_person_survivorship"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
