-- The audit log: one record per GraphQL operation (and per CLI or job action), append-only, in
-- monthly partitions, chained by SHA-256 per writer (one chain per hub process: `writer`), with
-- gap-free sequence numbers. See src/audit for the canonical form that is hashed.

CREATE TABLE audit_log (
  writer       text NOT NULL,
  seq          bigint NOT NULL,
  at           timestamptz NOT NULL,
  kind         text NOT NULL,
  subject      text,
  roles        text[] NOT NULL DEFAULT '{}',
  department   text,
  purpose      text,
  client_ip    text,
  user_agent   text,
  operation    text,
  query_hash   text,
  query_text   text,
  variables    jsonb,
  outcome      text NOT NULL,
  duration_ms  integer,
  error_codes  text[] NOT NULL DEFAULT '{}',
  entities     jsonb NOT NULL DEFAULT '[]',
  fields       jsonb NOT NULL DEFAULT '{}',
  detail       jsonb,
  prev_hash    text NOT NULL,
  hash         text NOT NULL,
  PRIMARY KEY (writer, seq, at)
) PARTITION BY RANGE (at);

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject, at);
CREATE INDEX audit_log_entities ON audit_log USING gin (entities jsonb_path_ops);

-- Chain heads of every writer, anchored together: each checkpoint hashes the heads and the previous
-- checkpoint. Exported, they let an auditor prove later that nothing before them changed.
CREATE TABLE audit_checkpoint (
  id         bigint PRIMARY KEY,
  at         timestamptz NOT NULL,
  heads      jsonb NOT NULL,
  records    bigint NOT NULL,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);

-- Partitions dropped by retention: where each writer's chain now starts, and the export that holds
-- what came before.
CREATE TABLE audit_retention (
  partition     text NOT NULL,
  writer        text NOT NULL,
  upto_seq      bigint NOT NULL,
  upto_hash     text NOT NULL,
  records       bigint NOT NULL,
  export_file   text NOT NULL,
  export_sha256 text NOT NULL,
  dropped_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partition, writer)
);

-- Append-only: no UPDATE, DELETE or TRUNCATE, whatever the privileges of the session.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_retention_append_only BEFORE UPDATE OR DELETE ON audit_retention
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- Nor may the hub's own role, the tables' owner here: the privileges go too (a superuser bypasses
-- privileges, the triggers still hold). In production a separate role should own these tables.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoint, audit_retention FROM PUBLIC, CURRENT_USER;
