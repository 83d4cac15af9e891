"""Campaign members in score order: ``golden_campaigns.score`` (the golden record's score) and
the index ``(campaign, score, person)``; then the summaries are built (or rebuilt) from the
data already stored."""

import django.db.models.deletion
from django.db import migrations, models


def build(apps, schema_editor):
    # The service reads the tables by name, set-based; at 10M persons it takes minutes.
    from cmplatform.core.golden_facts import golden_facts_rebuild

    golden_facts_rebuild(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_golden_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="goldencampaign",
            name="score",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        # The new index leads with the campaign before the foreign key's own index goes: the
        # constraint always has an index to use.
        migrations.AddIndex(
            model_name="goldencampaign",
            index=models.Index(
                fields=["campaign", "score", "person"], name="golden_campaigns_score_idx"
            ),
        ),
        migrations.AlterField(
            model_name="goldencampaign",
            name="campaign",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="core.campaign",
            ),
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
