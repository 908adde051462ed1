"""Load the official region tree (NBS 2023 codes) from accounts/data/hefei-regions.csv."""

import csv
from pathlib import Path

from django.db import migrations

CSV_PATH = Path(__file__).resolve().parent.parent / "data" / "hefei-regions.csv"

# DOMAIN §1: the four urban districts and the development zones are "district" (市区);
# the three counties, 庐江 and 巢湖市 are "county" (县域).
DISTRICT_AREAS = {"340102", "340103", "340104", "340111", "340176", "340177", "340178"}
COUNTY_AREAS = {"340121", "340122", "340123", "340124", "340181"}


def load(apps, schema_editor):
    Region = apps.get_model("accounts", "Region")
    with CSV_PATH.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    objs = []
    for row in rows:
        code = row["code"]
        area = ""
        if row["level"] == "county":
            if code in DISTRICT_AREAS:
                area = "district"
            elif code in COUNTY_AREAS:
                area = "county"
            else:
                raise ValueError(f"county-level unit {code} has no standard area in DOMAIN §1")
        objs.append(
            Region(code=code, name=row["name"], level=row["level"], parent_id=row["parent_code"] or None,
                   standard_area=area)
        )
    # Rows are sorted by code, so parents come first; insert in one go with deferred FK checks.
    Region.objects.bulk_create(objs, batch_size=1000)


def unload(apps, schema_editor):
    apps.get_model("accounts", "Region").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
