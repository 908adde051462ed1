# Issue 8 load: household search by a two-character part of a name through an index.

import django.contrib.postgres.indexes
from django.db import migrations

import applications.models

# IMMUTABLE (an index expression) and PARALLEL SAFE; NULL in, NULL out; pairs counted in characters.
# COST 1000 (≈ its real cost against STRPOS): in a filter, PostgreSQL tests the cheap STRPOS first.
BIGRAMS_SQL = """
CREATE OR REPLACE FUNCTION hefei_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT coalesce(array_agg(DISTINCT substr(name, i, 2)), '{}')
    FROM generate_series(1, char_length(name) - 1) AS i
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_member_name_trgm"),
    ]

    operations = [
        migrations.RunSQL(BIGRAMS_SQL, reverse_sql="DROP FUNCTION IF EXISTS hefei_name_bigrams(text)"),
        migrations.AddIndex(
            model_name="member",
            index=django.contrib.postgres.indexes.GinIndex(
                applications.models.NameBigrams("name"), name="member_name_bigrams"
            ),
        ),
        # The index's statistics (how many names hold a pair) are what the planner chooses by.
        migrations.RunSQL("ANALYZE applications_member", reverse_sql=migrations.RunSQL.noop),
    ]
