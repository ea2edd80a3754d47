-- Incremental detection: what changed since the last detection, so that an incremental run re-evaluates
-- the conflict rules for the entities and records its changes touched instead of the whole mirror.
--
-- Every writer that changes what the rules read (a sync page, a pair linking, a manual decision) adds
-- the records it changed and every entity those records name, before and after the change. The
-- detection that follows takes these rows and deletes them in its own transaction. No key is unique:
-- concurrent writers only append, so they never wait for each other; detection removes duplicates.
CREATE TABLE detection_scope_record (
  department  text NOT NULL,
  record_type text NOT NULL,
  source_id   text NOT NULL
);

-- entity_type PERSON, HOUSE or LEGAL_ENTITY as in the crosswalk; HOUSE_RECORD for the house code of a
-- housing house record that changed (whether the code exists at all).
CREATE TABLE detection_scope_entity (
  entity_type text NOT NULL,
  entity_key  text NOT NULL
);

-- Whether the next detection must evaluate every rule over the whole mirror (a full run, a first sync,
-- a crosswalk rebuild, no detection yet), and what the last such detection was judged with: another
-- day or other rule settings make the next detection complete too, since liveness depends on the day.
CREATE TABLE detection_state (
  only_row               boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  complete_needed        boolean NOT NULL DEFAULT true,
  complete_reason        text,
  last_complete_run      bigint,
  last_complete_day      date,
  last_complete_settings text
);
INSERT INTO detection_state (complete_reason) VALUES ('no detection yet');

-- The MOD 11-2 check character of the first 17 digits of an ID number (GB 11643-1999): a claim whose
-- ID number fails only its check still names the person with the right one.
CREATE FUNCTION id_check_char(first17 text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN substr('10X98765432', (
    SELECT sum(substr(first17, x.i::int, 1)::int * x.w)::int % 11
      FROM unnest('{7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2}'::int[]) WITH ORDINALITY AS x(w, i)
  ) + 1, 1);

-- The records that claim a house code: an incremental detection looks up those that claim a code whose
-- house record changed (UNKNOWN_HOUSE_CODE), instead of reading every fact.
CREATE INDEX source_fact_house_claim ON source_fact (house_claim) WHERE kind <> 'HOUSE';

-- A record's kind, status and category go together, as do a link's role and entity type: without these
-- the planner multiplies their selectivities as if independent and expects a few dozen active market
-- entities where there are tens of thousands, then looks each of them up one by one.
CREATE STATISTICS source_fact_kinds (dependencies, mcv) ON department, record_type, kind, status, category
  FROM source_fact;
CREATE STATISTICS crosswalk_roles (dependencies, mcv) ON department, record_type, role, entity_type FROM crosswalk;
