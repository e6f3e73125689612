"""PostgreSQL guards for the ledger, so no code path (a raw query, a bulk_create, a bug) can break
double entry:

- a DEFERRABLE INITIALLY DEFERRED constraint trigger checks, at commit, that every journal entry
  touched by the transaction has at least two postings, that they sum to zero and that every
  posting's account is in the entry's currency;
- BEFORE UPDATE OR DELETE triggers refuse any change to postings and journal entries (corrections
  are new entries), and to a ledger account's kind, currency or owner.

SQLite (the zero-setup demo) has no such guards; the services enforce the same rules everywhere.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION payments_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    v_entry_id bigint;
    v_entry_currency varchar;
    v_count integer;
    v_total numeric;
    v_foreign integer;
BEGIN
    IF TG_TABLE_NAME = 'payments_journalentry' THEN
        v_entry_id := NEW.id;
    ELSE
        v_entry_id := NEW.entry_id;
    END IF;
    SELECT currency INTO v_entry_currency FROM payments_journalentry WHERE id = v_entry_id;
    SELECT count(*), coalesce(sum(p.amount), 0),
           count(*) FILTER (WHERE a.currency <> v_entry_currency)
      INTO v_count, v_total, v_foreign
      FROM payments_posting p JOIN payments_ledgeraccount a ON a.id = p.account_id
     WHERE p.entry_id = v_entry_id;
    IF v_count < 2 THEN
        RAISE EXCEPTION 'journal entry %% has %% posting(s): at least 2 are required',
            v_entry_id, v_count USING ERRCODE = 'check_violation';
    END IF;
    IF v_total <> 0 THEN
        RAISE EXCEPTION 'journal entry %% is unbalanced: its postings sum to %%',
            v_entry_id, v_total USING ERRCODE = 'check_violation';
    END IF;
    IF v_foreign > 0 THEN
        RAISE EXCEPTION 'journal entry %% mixes currencies: %% posting(s) not in %%',
            v_entry_id, v_foreign, v_entry_currency USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payments_posting_balanced
    AFTER INSERT ON payments_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_check_entry_balanced();

CREATE CONSTRAINT TRIGGER payments_journalentry_balanced
    AFTER INSERT ON payments_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_check_entry_balanced();

CREATE OR REPLACE FUNCTION payments_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% is append-only: %% refused (post a correcting entry instead)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_posting_append_only
    BEFORE UPDATE OR DELETE ON payments_posting
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_ledger_change();

CREATE TRIGGER payments_journalentry_append_only
    BEFORE UPDATE OR DELETE ON payments_journalentry
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_ledger_change();

CREATE OR REPLACE FUNCTION payments_refuse_account_rekey() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger accounts are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.owner_key IS DISTINCT FROM OLD.owner_key
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
       OR NEW.project_id IS DISTINCT FROM OLD.project_id
       OR NEW.user_id IS DISTINCT FROM OLD.user_id THEN
        RAISE EXCEPTION 'a ledger account''s kind, currency and owner never change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_ledgeraccount_fixed
    BEFORE UPDATE OR DELETE ON payments_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_account_rekey();
"""

DROP = """
DROP TRIGGER IF EXISTS payments_ledgeraccount_fixed ON payments_ledgeraccount;
DROP TRIGGER IF EXISTS payments_journalentry_append_only ON payments_journalentry;
DROP TRIGGER IF EXISTS payments_posting_append_only ON payments_posting;
DROP TRIGGER IF EXISTS payments_journalentry_balanced ON payments_journalentry;
DROP TRIGGER IF EXISTS payments_posting_balanced ON payments_posting;
DROP FUNCTION IF EXISTS payments_refuse_account_rekey();
DROP FUNCTION IF EXISTS payments_refuse_ledger_change();
DROP FUNCTION IF EXISTS payments_check_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
