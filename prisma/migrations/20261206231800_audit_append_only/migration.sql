-- The audit log is append-only (DESIGN.md invariant 9): the database itself refuses to change or remove a row,
-- whoever asks (the app, a script, a person with the sqlite3 shell). Prisma's schema does not describe triggers,
-- so `prisma migrate diff` does not see them; scripts/db-check.mjs checks that they exist.
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log"
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: an audit entry cannot be changed');
END;

CREATE TRIGGER "audit_log_no_delete" BEFORE DELETE ON "audit_log"
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: an audit entry cannot be deleted');
END;
