-- Scheduled reconciliation: the facts the conflict rules read, mirrored from the departments by
-- incremental sync; the sync watermarks; the run history; and the discrepancies, each a verification
-- task routed to a grid, with the history of its states.

-- One row per source record: the mapped fields the rules compare, in typed columns. Written by the
-- sync stage in the same transaction as the record's crosswalk links and the watermark that covers it.
CREATE TABLE source_fact (
  department        text NOT NULL,
  record_type       text NOT NULL,
  source_id         text NOT NULL,
  kind              text NOT NULL,
  -- The record's subject, normalised (NULL when its key is invalid or only a legacy number).
  subject_type      text,
  subject_key       text,
  status            text,
  -- House use, rental purpose, allowance kind, entity type code: see src/reconcile/facts.ts.
  category          text,
  valid_from        date,
  valid_to          date,
  -- Date of death.
  event_date        date,
  -- Floor area (m²) of a house, registered capital (10k yuan) of an entity.
  measure           numeric,
  -- The house code the record claims, as written (NULL when it claims none).
  house_claim       text,
  -- The address text beside it: where a task goes when no house is known.
  address           text,
  source_updated_at timestamptz,
  PRIMARY KEY (department, record_type, source_id)
);
CREATE INDEX source_fact_subject ON source_fact (subject_key, kind);
CREATE INDEX source_fact_kind ON source_fact (kind, status);

-- Every statement a record makes about who a person is: its subject and each person it mentions
-- (owner, lessor, tenant, legal representative, shareholder), with the ID number as written, its
-- normalised form, and the name and birth date written beside it.
CREATE TABLE person_claim (
  department   text NOT NULL,
  record_type  text NOT NULL,
  source_id    text NOT NULL,
  role         text NOT NULL,
  ordinal      smallint NOT NULL,
  raw_key      text,
  person_key   text,
  -- Why raw_key is not a valid ID number (NULL when it is): BAD_CHECK_CHARACTER, BAD_FORMAT, ...
  key_problem  text,
  name         text,
  birth_date   date,
  PRIMARY KEY (department, record_type, source_id, role, ordinal)
);
CREATE INDEX person_claim_person ON person_claim (person_key);
-- IDs whose only fault is the check character: the rules still read them as the person's.
CREATE INDEX person_claim_mistyped ON person_claim (left(raw_key, 17)) WHERE key_problem = 'BAD_CHECK_CHARACTER';

-- USCC ↔ legacy registration number pairs stated by market records, so that a record known only by
-- its number is linked whichever run reads the record that pairs it.
CREATE TABLE registration_pair (
  registration_number text PRIMARY KEY,
  uscc                text NOT NULL
);

-- How far each record type has been read: its change watermark and the source key that breaks ties.
CREATE TABLE sync_watermark (
  department   text NOT NULL,
  record_type  text NOT NULL,
  updated_at   timestamptz NOT NULL,
  source_id    text NOT NULL,
  run_id       bigint,
  saved_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (department, record_type)
);

CREATE TABLE reconciliation_run (
  id           bigserial PRIMARY KEY,
  mode         text NOT NULL CHECK (mode IN ('FULL', 'INCREMENTAL')),
  departments  text[] NOT NULL,
  trigger      text NOT NULL,
  holder       text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  -- Renewed while the run works: a RUNNING run whose heartbeat stopped was killed.
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  status       text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'INTERRUPTED')),
  -- Per stage: its counts (per department where it reads departments) and duration.
  stages       jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- [{stage, department, message}]
  errors       jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX reconciliation_run_started ON reconciliation_run (started_at DESC);

-- A discrepancy between departments, and the verification task it became. The fingerprint names the
-- rule, the record and the entity; while a task is not CLOSED no second one has its fingerprint.
CREATE TABLE discrepancy (
  id            bigserial PRIMARY KEY,
  rule          text NOT NULL,
  severity      smallint NOT NULL CHECK (severity BETWEEN 1 AND 3),
  fingerprint   text NOT NULL,
  entity_type   text NOT NULL,
  entity_key    text NOT NULL,
  department    text NOT NULL,
  record_type   text NOT NULL,
  source_id     text NOT NULL,
  house_code    text,
  -- Where the task is routed: a grid (14 digits), else a community (12), street (9) or district (6).
  scope_code    text NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'OPEN'
                CHECK (status IN ('OPEN', 'ASSIGNED', 'VERIFIED', 'DISMISSED', 'CLOSED')),
  assignee      text,
  detected_run  bigint NOT NULL,
  last_seen_run bigint NOT NULL,
  detected_at   timestamptz NOT NULL DEFAULT now(),
  due_at        timestamptz NOT NULL,
  closed_at     timestamptz,
  close_reason  text
);
CREATE UNIQUE INDEX discrepancy_live ON discrepancy (fingerprint) WHERE status <> 'CLOSED';
CREATE INDEX discrepancy_scope ON discrepancy (scope_code text_pattern_ops, status);
CREATE INDEX discrepancy_rule ON discrepancy (rule, status);

CREATE TABLE discrepancy_event (
  id              bigserial PRIMARY KEY,
  discrepancy_id  bigint NOT NULL REFERENCES discrepancy (id),
  at              timestamptz NOT NULL DEFAULT now(),
  actor           text NOT NULL,
  from_status     text,
  to_status       text NOT NULL,
  note            text
);
CREATE INDEX discrepancy_event_task ON discrepancy_event (discrepancy_id, id);
