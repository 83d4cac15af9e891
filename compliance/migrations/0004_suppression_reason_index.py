from django.db import migrations, models


class Migration(migrations.Migration):
    """Active suppressions counted per reason and channel from one index (the dashboard's
    compliance page), never from the table."""

    dependencies = [("compliance", "0003_role_permissions")]

    operations = [
        migrations.AddIndex(
            model_name="suppression",
            index=models.Index(
                fields=["is_active", "reason", "channel"], name="suppressions_reason_idx"
            ),
        ),
    ]
