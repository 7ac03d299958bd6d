"""PostgreSQL: the chain head only moves forward onto the last row, and neither table can be truncated.

Migration 0002 made audit rows append-only, but the head (``audit_chainhead``) could be set back to
``(0, GENESIS)`` and ``TRUNCATE`` fires no row trigger, so ``TRUNCATE audit_auditevent`` plus a reset head
verified as an intact empty log (issue 12). Now:

- the head row may be inserted once, as ``(id 1, seq 0, GENESIS)``, and never deleted;
- an UPDATE of the head must raise ``seq`` (BEFORE trigger), and when the statement ends the head must name
  the last audit row, its sequence number and its hash (AFTER trigger: it runs after the whole statement,
  so it sees the rows the append's data-modifying CTE inserted in the same statement);
- ``TRUNCATE`` of either table is refused by a BEFORE TRUNCATE statement trigger, whoever runs it.

Triggers bind the application's role; a superuser or the tables' owner can still disable them
(``ALTER TABLE … DISABLE TRIGGER``, ``session_replication_role``). What catches that is the signed checkpoint
outside the database (``partycard audit checkpoint``; docs/audit.md).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit chain head cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.id <> 1 OR NEW.seq <> 0 OR NEW.hash <> repeat('0', 64) THEN
            RAISE EXCEPTION 'audit chain head can only be created empty (id 1, seq 0)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'audit chain head only moves forward: #% to #% refused', OLD.seq, NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_head_on_last_row() RETURNS trigger AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent ORDER BY seq DESC LIMIT 1;
    IF last_seq IS DISTINCT FROM NEW.seq OR last_hash IS DISTINCT FROM NEW.hash THEN
        RAISE EXCEPTION 'audit chain head must name the last row (#%), not #%', last_seq, NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: TRUNCATE refused on %', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_head_guard ON audit_chainhead;
CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
DROP TRIGGER IF EXISTS audit_head_on_last_row ON audit_chainhead;
CREATE TRIGGER audit_head_on_last_row AFTER UPDATE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_on_last_row();
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_chainhead;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_head_on_last_row ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_head_guard ON audit_chainhead;
DROP FUNCTION IF EXISTS audit_no_truncate();
DROP FUNCTION IF EXISTS audit_head_on_last_row();
DROP FUNCTION IF EXISTS audit_head_guard();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(create, drop)]
