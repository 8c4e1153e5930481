/**
 * The ledger's SQLite schemas: an append-only table of events, and an append-only table of the
 * signed checkpoints over them (written in the same transaction as the events they cover).
 *
 * Schema 2 (a case in clear, and every case made before schema 3): the canonical JSON is the
 * record; `action`, `exhibit` and `sha256` are generated from it, so they can be indexed but can
 * never disagree with it.
 *
 * Schema 3 (an encrypted case, docs/design/encryption-at-rest.md "Ledger"): nothing the ledger
 * looks events up by is in clear. The lookup columns are keyed tags written at insert
 * (src/ledger/tags.ts: HMAC-SHA-256 under the case's address key of `action:ingest`,
 * `sha256:<hex>`, `source:<path>`); only `exhibit` stays in clear. A tag is an index, never the
 * record: every row a tag chooses is checked against its event before it is used
 * (src/ledger/tagged-store.ts). `content_tag` is written for ingest events alone, so "has a
 * content tag" is what marks an exhibit's ingest event for the unique indexes (and for the
 * lookups that need no key). In schema 3 `event` holds the canonical JSON; schema 4 keeps an
 * envelope there and the event in a sealed body (below).
 *
 * In both, triggers refuse UPDATE, DELETE, and any INSERT that is not the next sequence number
 * chained to the current head, which also stops `INSERT OR REPLACE` over an existing row (the
 * REPLACE would not fire the DELETE trigger). Triggers stop mistakes; tamper evidence comes from
 * the hash chain and the Merkle tree head.
 */
import {payloadPath} from '../formats/events.js'
import {GENESIS_HASH} from './event.js'

/** Schema 2: the lookup columns generated from the event's JSON (a case in clear, or made before schema 3). */
export const CLEAR_SCHEMA_VERSION = 2
/** Schema 3: the lookup columns keyed tags (an encrypted case). */
export const TAGGED_SCHEMA_VERSION = 3
/**
 * Schema 4, what `custody init` makes for an encrypted case (design step 2, issue 19's switch): the
 * events' bodies sealed under run keys, envelopes in clear (src/ledger/envelope.ts), and the runs
 * table. Schema 3 (step 1: bodies in clear, lookup columns keyed) is what init made before the
 * switch; custody still reads and writes it, and only the core makes it now (initCase's
 * `sealedBodies: false`, for tests).
 */
export const SEALED_SCHEMA_VERSION = 4
export type LedgerSchema = typeof CLEAR_SCHEMA_VERSION | typeof TAGGED_SCHEMA_VERSION | typeof SEALED_SCHEMA_VERSION
/** The size of a tag (HMAC-SHA-256). */
export const TAG_SIZE = 32

export const TRIGGERS = [
  'checkpoints_append_only',
  'checkpoints_no_delete',
  'checkpoints_no_update',
  'events_append_only',
  'events_no_delete',
  'events_no_update',
] as const

/** The events table of schema 2, its lookup columns generated from the canonical JSON. */
const CLEAR_EVENTS_SQL = `
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
`

/** A nullable tag column (32 bytes). */
const optionalTag = (name: string): string => `${name.padEnd(11)} BLOB CHECK (${name} IS NULL OR (typeof(${name}) = 'blob' AND length(${name}) = ${TAG_SIZE}))`

/** The keyed tag columns of schemas 3 and 4 (32 bytes each), which end their events table (schema 4 adds its own after them). */
const TAG_COLUMNS = `  action_tag  BLOB NOT NULL CHECK (typeof(action_tag) = 'blob' AND length(action_tag) = ${TAG_SIZE}),
  ${optionalTag('content_tag')},
  ${optionalTag('source_tag')}`
const TAG_COLUMNS_SQL = `${TAG_COLUMNS}
);
`

/** The indexes of schemas 3 and 4: lookups by exhibit, by keyed tag, and the ingests' uniqueness. */
const TAGGED_INDEXES_SQL = `CREATE INDEX events_by_exhibit ON events (exhibit, seq);
CREATE INDEX events_by_action ON events (action_tag, seq);
CREATE INDEX events_by_source ON events (source_tag, seq) WHERE source_tag IS NOT NULL;
CREATE INDEX ingests_by_seq ON events (seq) WHERE content_tag IS NOT NULL;
CREATE UNIQUE INDEX exhibits_by_id ON events (exhibit) WHERE content_tag IS NOT NULL;
CREATE UNIQUE INDEX exhibits_by_content ON events (content_tag) WHERE content_tag IS NOT NULL;
`

/** The events table of schema 3: keyed tags written at insert, 32 bytes each; `exhibit` in clear. */
const TAGGED_EVENTS_SQL = `
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
  prev_hash   TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash        TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  event       TEXT NOT NULL,
  exhibit     TEXT,
${TAG_COLUMNS_SQL}${TAGGED_INDEXES_SQL}`

/**
 * The events table of schema 4: the envelope (chained, the tree's leaf) and the sealed body, the
 * run whose key seals it, the clear exhibit, and the keyed tags (also in the envelope, hex, so
 * that a lookup checks its columns without a key). Besides schema 3's tags, `file_tag` and
 * `batch_tag` (tags.ts) let a batch run again find its earlier runs, and the files they took in
 * unchanged, with no body opened. `runs` holds each run's key as an age file to
 * the case's recipients; it is append-only as events are.
 */
const SEALED_EVENTS_SQL = `
CREATE TABLE runs (
  id      INTEGER PRIMARY KEY CHECK (id >= 0),
  wrapped BLOB NOT NULL CHECK (typeof(wrapped) = 'blob')
);
CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs
BEGIN
  SELECT RAISE(ABORT, 'the custody ledger is append-only: UPDATE is refused');
END;
CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs
BEGIN
  SELECT RAISE(ABORT, 'the custody ledger is append-only: DELETE is refused');
END;
CREATE TRIGGER runs_append_only BEFORE INSERT ON runs
WHEN NEW.id IS NOT (SELECT coalesce(max(id) + 1, 0) FROM runs)
BEGIN
  SELECT RAISE(ABORT, 'the custody ledger is append-only: a run must take the next number');
END;
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY CHECK (seq >= 0),
  prev_hash   TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash        TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  envelope    TEXT NOT NULL,
  body        BLOB NOT NULL CHECK (typeof(body) = 'blob'),
  run         INTEGER NOT NULL,
  exhibit     TEXT,
${TAG_COLUMNS},
  ${optionalTag('file_tag')},
  ${optionalTag('batch_tag')}
);
${TAGGED_INDEXES_SQL}CREATE INDEX events_by_batch ON events (batch_tag, action_tag, seq) WHERE batch_tag IS NOT NULL;
CREATE INDEX events_by_file ON events (file_tag, batch_tag, seq) WHERE file_tag IS NOT NULL;
`

/** The triggers of schema 4's runs table, beside TRIGGERS. */
export const RUNS_TRIGGERS = ['runs_append_only', 'runs_no_delete', 'runs_no_update'] as const

/** What both schemas share: the events' triggers, and the checkpoints table with its own. */
const APPEND_ONLY_SQL = `
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

`

/** The whole schema of a ledger of `version`, ending with its user_version. */
export function schemaSql(version: LedgerSchema): string {
  const events = version === SEALED_SCHEMA_VERSION ? SEALED_EVENTS_SQL : version === TAGGED_SCHEMA_VERSION ? TAGGED_EVENTS_SQL : CLEAR_EVENTS_SQL
  return `${events}${APPEND_ONLY_SQL}\nPRAGMA user_version = ${version};\n`
}
