"""Database guards of issue 5 (the services refuse the same writes first):

- enrolment periods are append-only: no DELETE; an UPDATE may only set the end month of an open
  period (once) — nothing else of a period ever changes;
- a locked payment roll cannot change, and neither can its lines (no INSERT/UPDATE/DELETE);
- the enrolment table keeps half of each page free (fillfactor 50) so the re-verification claim,
  which rewrites only unindexed columns, is a heap-only (HOT) update.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION casework_enrolmentperiod_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'casework_enrolmentperiod is append-only: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'end_month' - 'closed_at') IS DISTINCT FROM (to_jsonb(OLD) - 'end_month' - 'closed_at')
       OR (OLD.end_month IS NOT NULL AND NEW.end_month IS DISTINCT FROM OLD.end_month) THEN
        RAISE EXCEPTION 'casework_enrolmentperiod is append-only: only the end month of an open period may be set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_enrolmentperiod_append_only
    BEFORE UPDATE OR DELETE ON casework_enrolmentperiod
    FOR EACH ROW EXECUTE FUNCTION casework_enrolmentperiod_append_only();

CREATE OR REPLACE FUNCTION casework_paymentroll_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'locked' THEN
        RAISE EXCEPTION 'payment roll % is locked: % refused', OLD.id, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_paymentroll_locked
    BEFORE UPDATE OR DELETE ON casework_paymentroll
    FOR EACH ROW EXECUTE FUNCTION casework_paymentroll_locked();

CREATE OR REPLACE FUNCTION casework_rollline_locked() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM casework_paymentroll WHERE id = OLD.roll_id AND status = 'locked'
    ) THEN
        RAISE EXCEPTION 'payment roll % is locked: line % refused', OLD.roll_id, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM casework_paymentroll WHERE id = NEW.roll_id AND status = 'locked'
    ) THEN
        RAISE EXCEPTION 'payment roll % is locked: line % refused', NEW.roll_id, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER casework_rollline_locked
    BEFORE INSERT OR UPDATE OR DELETE ON casework_rollline
    FOR EACH ROW EXECUTE FUNCTION casework_rollline_locked();

ALTER TABLE casework_enrolment SET (fillfactor = 50);
"""

BACKWARD = """
ALTER TABLE casework_enrolment RESET (fillfactor);
DROP TRIGGER IF EXISTS casework_rollline_locked ON casework_rollline;
DROP FUNCTION IF EXISTS casework_rollline_locked();
DROP TRIGGER IF EXISTS casework_paymentroll_locked ON casework_paymentroll;
DROP FUNCTION IF EXISTS casework_paymentroll_locked();
DROP TRIGGER IF EXISTS casework_enrolmentperiod_append_only ON casework_enrolmentperiod;
DROP FUNCTION IF EXISTS casework_enrolmentperiod_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("casework", "0005_enrolment_payments_reverification_monitoring")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
