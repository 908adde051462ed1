"""Ship every default of DOMAIN §5 and §8 with its source text (eligibility/rules/defaults.py)."""

from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    from eligibility.rules.defaults import DEFAULT_ROWS

    PolicyParameter = apps.get_model("eligibility", "PolicyParameter")
    objs = []
    for row in DEFAULT_ROWS:
        value = row["value"]
        structured = not isinstance(value, Decimal)
        objs.append(
            PolicyParameter(
                name=row["name"],
                region_id=row["region_code"],
                effective_from=row["effective_from"],
                value=None if structured else value,
                value_text="" if structured else str(value),
                value_json=value if structured else None,
                source=row["source"],
                note=row["note"],
            )
        )
    PolicyParameter.objects.bulk_create(objs)


def unload(apps, schema_editor):
    apps.get_model("eligibility", "PolicyParameter").objects.filter(changed_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0001_initial"), ("accounts", "0002_load_regions")]
    operations = [migrations.RunPython(load, unload)]
