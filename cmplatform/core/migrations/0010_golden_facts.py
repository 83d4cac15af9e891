"""Golden-record summaries for priority lists (``golden_facts``, ``golden_campaigns``), built
from the data already stored."""

import django.db.models.deletion
from django.db import migrations, models


def build(apps, schema_editor):
    # The summaries are built by 0011, once golden_campaigns has all its columns: the service
    # writes the tables as the current models define them.
    return


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_phone_types_of_the_number_plan"),
    ]

    operations = [
        migrations.CreateModel(
            name="GoldenFacts",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="facts",
                        serialize=False,
                        to="core.person",
                    ),
                ),
                ("phones", models.PositiveIntegerField(default=0)),
                ("emails", models.PositiveIntegerField(default=0)),
                ("addresses", models.PositiveIntegerField(default=0)),
                ("mail_touches", models.PositiveIntegerField(default=0)),
                ("mail_last_at", models.DateTimeField(null=True)),
                ("sms_touches", models.PositiveIntegerField(default=0)),
                ("sms_last_at", models.DateTimeField(null=True)),
                ("call_touches", models.PositiveIntegerField(default=0)),
                ("call_last_at", models.DateTimeField(null=True)),
                ("email_touches", models.PositiveIntegerField(default=0)),
                ("email_last_at", models.DateTimeField(null=True)),
            ],
            options={
                "verbose_name": "golden-record facts",
                "verbose_name_plural": "golden-record facts",
                "db_table": "golden_facts",
            },
        ),
        migrations.CreateModel(
            name="GoldenCampaign",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "person_id",
                        "campaign_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.campaign",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="golden_campaigns",
                        to="core.person",
                    ),
                ),
            ],
            options={
                "verbose_name": "golden-record campaign",
                "db_table": "golden_campaigns",
            },
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
