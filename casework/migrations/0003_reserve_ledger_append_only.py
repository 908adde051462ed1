"""The reserve-fund ledger is append-only: a PostgreSQL trigger refuses UPDATE and DELETE."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION casework_reservefundentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'casework_reservefundentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_reservefundentry_no_update_delete
    BEFORE UPDATE OR DELETE ON casework_reservefundentry
    FOR EACH ROW EXECUTE FUNCTION casework_reservefundentry_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS casework_reservefundentry_no_update_delete ON casework_reservefundentry;
DROP FUNCTION IF EXISTS casework_reservefundentry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_seed_working_calendar")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
