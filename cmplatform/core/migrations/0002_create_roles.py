"""Create the admin, operator and viewer groups with their permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from cmplatform.core.roles import sync_roles

    sync_roles(apps=apps, using=schema_editor.connection.alias)


def delete_roles(apps, schema_editor):
    from cmplatform.core.roles import ROLES

    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_canonical_schema"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
