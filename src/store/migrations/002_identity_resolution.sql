-- Identity resolution: the review queue carries the matcher's decision and candidates, and manual
-- decisions by a housing officer are kept apart from the crosswalk so that rebuilding it keeps them.

ALTER TABLE unresolved_reference
  ADD COLUMN decision text NOT NULL DEFAULT 'INVALID_KEY'
    CHECK (decision IN ('AMBIGUOUS', 'UNMATCHED', 'BUILDING_ONLY', 'CONTRADICTED', 'INVALID_KEY')),
  -- The key the record claims, when raw_value is its address (a house code beside the text).
  ADD COLUMN claimed_key text,
  -- A CONTRADICTED reference is still linked, to the house its address matches.
  ADD COLUMN linked_key text,
  -- The address matcher's candidates, best first: [{code, level, address, score, evidence}].
  ADD COLUMN candidates jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE INDEX unresolved_reference_decision ON unresolved_reference (decision);

CREATE TABLE manual_decision (
  department   text NOT NULL,
  record_type  text NOT NULL,
  source_id    text NOT NULL,
  role         text NOT NULL,
  entity_type  text NOT NULL,
  -- NULL: the record refers to no entity the hub knows (e.g. an address outside the district).
  entity_key   text,
  decided_by   text,
  note         text,
  decided_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (department, record_type, source_id, role, entity_type)
);
