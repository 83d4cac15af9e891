from django.db import migrations

from compliance import reference


def load(apps, schema_editor):
    AreaCode = apps.get_model("compliance", "AreaCode")
    CallingWindow = apps.get_model("compliance", "CallingWindow")
    Holiday = apps.get_model("compliance", "Holiday")
    AreaCode.objects.bulk_create([AreaCode(**row) for row in reference.area_code_rows()])
    CallingWindow.objects.bulk_create(
        [CallingWindow(**row) for row in reference.calling_window_rows()]
    )
    Holiday.objects.bulk_create([Holiday(**row) for row in reference.holiday_rows()])


def unload(apps, schema_editor):
    for name in ("AreaCode", "CallingWindow", "Holiday"):
        apps.get_model("compliance", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_compliance_schema")]

    operations = [migrations.RunPython(load, unload)]
