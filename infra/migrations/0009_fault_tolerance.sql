-- Faults (issue 10, docs/adr/0010-faults-and-retries.md):
-- segments remember the ETag of the object they were registered from, so a re-upload of the same key
-- with other content is told apart from a duplicated S3 event (re-registered, `recording_changed` alert);
-- clips count how often the reconciler re-queued them (its retry budget for lost job messages).
ALTER TABLE segments ADD COLUMN etag text;
ALTER TABLE clips ADD COLUMN requeues integer NOT NULL DEFAULT 0;
CREATE INDEX clips_unfinished_idx ON clips (updated_at) WHERE status IN ('queued', 'processing');
