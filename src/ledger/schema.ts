/**
 * The ledger's SQLite schema: an append-only table of events, and an append-only table of the
 * signed checkpoints over them (written in the same transaction as the events they cover).
 *
 * The canonical JSON is the record; `action`, `exhibit` and `sha256` are generated from it, so they
 * can be indexed but can never disagree with it. Triggers refuse UPDATE, DELETE, and any INSERT
 * that is not the next sequence number chained to the current head, which also stops
 * `INSERT OR REPLACE` over an existing row (the REPLACE would not fire the DELETE trigger).
 * Triggers stop mistakes; tamper evidence comes from the hash chain and the Merkle tree head.
 */
import {payloadPath} from '../formats/events.js'
import {GENESIS_HASH} from './event.js'

export const SCHEMA_VERSION = 2

export const TRIGGERS = [
  'checkpoints_append_only',
  'checkpoints_no_delete',
  'checkpoints_no_update',
  'events_append_only',
  'events_no_delete',
  'events_no_update',
] as const

export const SCHEMA_SQL = `
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY CHECK (seq >= 0),
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  event     TEXT NOT NULL,
  action    TEXT GENERATED ALWAYS AS (json_extract(event, '$.action')) VIRTUAL,
  exhibit   TEXT GENERATED ALWAYS AS (json_extract(event, '$.exhibit')) VIRTUAL,
  sha256    TEXT GENERATED ALWAYS AS (json_extract(event, '${payloadPath('ingest', 'digests.sha256')}')) VIRTUAL
);
CREATE INDEX events_by_exhibit ON events (exhibit, seq);
CREATE INDEX events_by_action ON events (action, seq);
CREATE UNIQUE INDEX exhibits_by_id ON events (exhibit) WHERE action = 'ingest';
CREATE UNIQUE INDEX exhibits_by_sha256 ON events (sha256) WHERE action = 'ingest';

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'the custody ledger is append-only: DELETE is refused');
END;

CREATE TRIGGER events_append_only BEFORE INSERT ON events
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq) + 1, 0) FROM events)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM events ORDER BY seq DESC LIMIT 1), '${GENESIS_HASH}')
BEGIN
  SELECT RAISE(ABORT, 'the custody ledger is append-only: an event must take the next sequence number and chain to the last event');
END;

CREATE TABLE checkpoints (
  seq       INTEGER PRIMARY KEY CHECK (seq >= 0),
  tree_size INTEGER NOT NULL CHECK (tree_size >= 1),
  body      TEXT NOT NULL,
  signature TEXT NOT NULL CHECK (length(signature) = 128)
);

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
  SELECT RAISE(ABORT, 'custody checkpoints are append-only: UPDATE is refused');
END;

CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
  SELECT RAISE(ABORT, 'custody checkpoints are append-only: DELETE is refused');
END;

CREATE TRIGGER checkpoints_append_only BEFORE INSERT ON checkpoints
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq) + 1, 0) FROM checkpoints)
  OR NEW.tree_size < coalesce((SELECT max(tree_size) FROM checkpoints), 1)
  OR NEW.tree_size > coalesce((SELECT max(seq) + 1 FROM events), 0)
BEGIN
  SELECT RAISE(ABORT, 'custody checkpoints are append-only: a checkpoint must take the next number and cover at least the events of the last one');
END;

PRAGMA user_version = ${SCHEMA_VERSION};
`
