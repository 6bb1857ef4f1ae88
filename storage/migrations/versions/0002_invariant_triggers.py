"""Invariants the database enforces itself: append-only journal and audit log, balanced journal
entries, and an audit chain in which every event links to its predecessor.

SQLite has no deferred triggers, so an entry is sealed by its header: the legs go in first (their
foreign key to the header is deferred to the commit), the header's insert is refused unless the
legs already there balance, and no leg may be added once the header exists. PostgreSQL runs the
same balance check as a deferred constraint trigger at commit, after legs and header are in.

Revision ID: 0002
Revises: 0001
Created: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("journal_entries", "journal_legs", "audit_events")
GENESIS = "0" * 64
SIGNED_SUM = "coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0)"

SQLITE = [
    *(
        f"""CREATE TRIGGER tr_{table}_no_{verb.lower()} BEFORE {verb} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"""
        for table in APPEND_ONLY
        for verb in ("UPDATE", "DELETE")
    ),
    """CREATE TRIGGER tr_journal_legs_sealed BEFORE INSERT ON journal_legs
    WHEN EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id)
    BEGIN SELECT RAISE(ABORT, 'journal entry is sealed: no leg can be added'); END""",
    f"""CREATE TRIGGER tr_journal_entries_balanced BEFORE INSERT ON journal_entries
    WHEN (SELECT count(*) FROM journal_legs WHERE entry_id = NEW.entry_id) < 2
      OR (SELECT {SIGNED_SUM} FROM journal_legs WHERE entry_id = NEW.entry_id) <> 0
    BEGIN SELECT RAISE(ABORT, 'unbalanced journal entry: debits must equal credits'); END""",
    f"""CREATE TRIGGER tr_audit_events_chain BEFORE INSERT ON audit_events
    WHEN NEW.seq <> coalesce((SELECT max(seq) FROM audit_events), 0) + 1
      OR NEW.prev_hash IS NOT coalesce(
           (SELECT hash FROM audit_events WHERE seq = NEW.seq - 1),
           CASE WHEN NEW.seq = 1 THEN '{GENESIS}' END)
    BEGIN SELECT RAISE(ABORT, 'audit event does not extend the chain'); END""",
]

POSTGRESQL = [
    """CREATE FUNCTION patentval_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$""",
    *(
        f"""CREATE TRIGGER tr_{table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION patentval_refuse_change()"""
        for table in APPEND_ONLY
    ),
    *(
        f"""CREATE TRIGGER tr_{table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION patentval_refuse_change()"""
        for table in APPEND_ONLY
    ),
    """CREATE FUNCTION patentval_refuse_sealed_leg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM journal_entries WHERE entry_id = NEW.entry_id) THEN
            RAISE EXCEPTION 'journal entry % is sealed: no leg can be added', NEW.entry_id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER tr_journal_legs_sealed BEFORE INSERT ON journal_legs
    FOR EACH ROW EXECUTE FUNCTION patentval_refuse_sealed_leg()""",
    f"""CREATE FUNCTION patentval_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        legs integer;
        net numeric;
    BEGIN
        SELECT count(*), {SIGNED_SUM} INTO legs, net
            FROM journal_legs WHERE entry_id = NEW.entry_id;
        IF legs < 2 OR net <> 0 THEN
            RAISE EXCEPTION 'unbalanced journal entry %: % legs, debits minus credits %',
                NEW.entry_id, legs, net USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$""",
    *(
        f"""CREATE CONSTRAINT TRIGGER tr_{table}_balanced AFTER INSERT ON {table}
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION patentval_check_entry_balanced()"""
        for table in ("journal_entries", "journal_legs")
    ),
    f"""CREATE FUNCTION patentval_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        expected text;
    BEGIN
        IF NEW.seq = 1 THEN
            expected := '{GENESIS}';
        ELSE
            SELECT hash INTO expected FROM audit_events WHERE seq = NEW.seq - 1;
        END IF;
        IF expected IS NULL OR NEW.prev_hash IS DISTINCT FROM expected
           OR EXISTS (SELECT 1 FROM audit_events WHERE seq >= NEW.seq) THEN
            RAISE EXCEPTION 'audit event % does not extend the chain', NEW.seq
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER tr_audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION patentval_audit_chain()""",
]

POSTGRESQL_FUNCTIONS = (
    "patentval_refuse_change",
    "patentval_refuse_sealed_leg",
    "patentval_check_entry_balanced",
    "patentval_audit_chain",
)


def _statements() -> list[str]:
    """The trigger DDL of the connection's engine."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE
    if dialect == "postgresql":
        return POSTGRESQL
    raise NotImplementedError(f"no invariant triggers for {dialect}")


def upgrade() -> None:
    """Create the triggers."""
    for statement in _statements():
        op.execute(statement)


def downgrade() -> None:
    """Drop the triggers."""
    if op.get_bind().dialect.name == "postgresql":
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION {function}() CASCADE")
        return
    for statement in SQLITE:
        name = statement.split()[2]
        op.execute(f"DROP TRIGGER {name}")
