-- How many facts the mirror holds of each record type, kept by every page in the transaction that
-- saves its watermark. Deleted records are found when the mirror holds more than the source: with
-- this, a run learns what the mirror holds without counting it (over a second at 1,000,000 records).
-- NULL where unknown: counted once, then kept.
ALTER TABLE sync_watermark ADD COLUMN mirrored bigint;
