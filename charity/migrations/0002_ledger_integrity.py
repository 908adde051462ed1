"""Database-side guarantees of the charity ledger (PostgreSQL).

1. Double entry: a DEFERRABLE INITIALLY DEFERRED constraint trigger runs at COMMIT for every entry
   inserted (and every line inserted into an entry) and refuses the transaction unless the entry has
   at least two lines and Σ debit = Σ credit. Deferred, because the lines are inserted one by one
   after their entry: only the finished transaction can be judged.
2. Append-only: UPDATE and DELETE on entries, lines, donations and hand-off events are refused, so the
   books are corrected only by reversing entries.
"""

from django.db import migrations

BALANCED = """
CREATE OR REPLACE FUNCTION charity_entry_balanced() RETURNS trigger AS $$
DECLARE
    eid bigint;
    n integer;
    d numeric;
    c numeric;
BEGIN
    IF TG_TABLE_NAME = 'charity_journalentry' THEN
        eid := NEW.id;
    ELSE
        eid := NEW.entry_id;
    END IF;
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0) INTO n, d, c
        FROM charity_journalline WHERE entry_id = eid;
    IF n < 2 OR d <> c THEN
        RAISE EXCEPTION 'charity journal entry % is not balanced (% lines, debit %, credit %)', eid, n, d, c
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER charity_journalentry_balanced
    AFTER INSERT ON charity_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION charity_entry_balanced();
CREATE CONSTRAINT TRIGGER charity_journalline_balanced
    AFTER INSERT ON charity_journalline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION charity_entry_balanced();
"""
BALANCED_BACK = """
DROP TRIGGER IF EXISTS charity_journalline_balanced ON charity_journalline;
DROP TRIGGER IF EXISTS charity_journalentry_balanced ON charity_journalentry;
DROP FUNCTION IF EXISTS charity_entry_balanced();
"""

APPEND_ONLY_TABLES = ["charity_journalentry", "charity_journalline", "charity_donation", "charity_handoffevent"]

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION charity_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversing entry instead)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_no_update_delete
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION charity_append_only();
"""
    for table in APPEND_ONLY_TABLES
)
APPEND_ONLY_BACK = "".join(
    f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};\n" for table in APPEND_ONLY_TABLES
) + "DROP FUNCTION IF EXISTS charity_append_only();\n"


class Migration(migrations.Migration):
    dependencies = [("charity", "0001_initial")]
    operations = [migrations.RunSQL(BALANCED, BALANCED_BACK), migrations.RunSQL(APPEND_ONLY, APPEND_ONLY_BACK)]
