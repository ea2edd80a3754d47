-- Zhiwang's own store: the grid registry, the crosswalk and the generator's ground truth.
-- Written for both PostgreSQL 15 (real servers) and PGlite (PostgreSQL 18).

CREATE TABLE grid (
  grid_code       char(14) PRIMARY KEY,
  name            text NOT NULL,
  community_code  char(12) NOT NULL,
  community_name  text NOT NULL,
  street_code     char(9) NOT NULL,
  street_name     text NOT NULL,
  district_code   char(6) NOT NULL,
  district_name   text NOT NULL
);

-- One row per deduplicated entity: one house per house code, one person per normalised ID number,
-- one legal entity per USCC.
CREATE TABLE canonical_entity (
  entity_type  text NOT NULL CHECK (entity_type IN ('PERSON', 'HOUSE', 'LEGAL_ENTITY')),
  entity_key   text NOT NULL,
  grid_code    char(14),
  first_seen   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entity_type, entity_key)
);
CREATE INDEX canonical_entity_grid ON canonical_entity (grid_code, entity_type, entity_key);

-- The crosswalk: which source record refers to which canonical entity, in which role, and how that
-- was decided. role SUBJECT means the record is about the entity; other roles are mentions
-- (a registration's RESIDENCE house, a contract's TENANT, an entity's LEGAL_REP, ...).
CREATE TABLE crosswalk (
  department        text NOT NULL,
  record_type       text NOT NULL,
  source_id         text NOT NULL,
  role              text NOT NULL,
  entity_type       text NOT NULL,
  entity_key        text NOT NULL,
  method            text NOT NULL CHECK (method IN ('EXACT_KEY', 'ADDRESS_MATCH', 'MANUAL')),
  confidence        numeric(4,3) NOT NULL,
  matcher_version   text NOT NULL,
  valid_from        date,
  valid_to          date,
  source_updated_at timestamptz,
  decided_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (department, record_type, source_id, role, entity_type, entity_key)
);
CREATE INDEX crosswalk_entity ON crosswalk (entity_type, entity_key, role);

-- Source references the crosswalk could not resolve, with the reason (e.g. an ID number whose check
-- character fails). The identity-resolution issue turns this into the review queue.
CREATE TABLE unresolved_reference (
  department   text NOT NULL,
  record_type  text NOT NULL,
  source_id    text NOT NULL,
  role         text NOT NULL,
  entity_type  text NOT NULL,
  raw_value    text,
  reason       text NOT NULL,
  noted_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (department, record_type, source_id, role, entity_type)
);

-- Ground truth written by the demo generator: the true entity behind each source reference, and
-- every data-quality problem it planted. Tests and benchmarks score the hub against it.
CREATE TABLE truth_reference (
  department   text NOT NULL,
  record_type  text NOT NULL,
  source_id    text NOT NULL,
  role         text NOT NULL,
  entity_type  text NOT NULL,
  entity_key   text NOT NULL,
  PRIMARY KEY (department, record_type, source_id, role, entity_type, entity_key)
);
CREATE INDEX truth_reference_entity ON truth_reference (entity_type, entity_key);

CREATE TABLE truth_problem (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL,
  department   text,
  record_type  text,
  source_id    text,
  entity_type  text,
  entity_key   text,
  detail       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX truth_problem_kind ON truth_problem (kind);

CREATE TABLE seed_run (
  id          bigserial PRIMARY KEY,
  seed        integer NOT NULL,
  scale       text NOT NULL,
  params      jsonb NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz,
  counts      jsonb
);
