/**
 * Makes tests/vectors/events.json: real events as custody wrote them, and refused variants of them.
 *
 *   npx tsx tests/vectors/make-events.ts REFERENCE.sqlite DEMO.sqlite > tests/vectors/events.json
 *
 * REFERENCE is a copy of fixtures/reference-case/case/.custody/ledger.sqlite. DEMO is the ledger of
 * a case made by `node bin/demo.js` and then, with the built CLI: `config set tsa` and `config set
 * tsa-ca`, `ingest` of an empty file (ingest-failed), `testimony identity W-001 --reason ...`,
 * `key rotate`, a recursive folder ingest with --collected-at/--collected-by/--location/--source/
 * --note, `timestamp` against a TSA that does not answer (status waiting), and `accept-restore`
 * after putting back a copy of the case one event short. Every name in them is invented; paths are
 * of temporary folders and of this repository's fixtures.
 *
 * A refused vector is a real event with one change; its wantErr is the exact problem parseEvent
 * must give, written here by hand, not taken from the parser.
 */
import Database from 'better-sqlite3'

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
type Event = {[key: string]: Json}
interface Vector {
  desc: string
  event: Json
  wantErr?: string
}

const [referencePath, demoPath] = process.argv.slice(2)
if (referencePath === undefined || demoPath === undefined) throw new Error('usage: make-events.ts REFERENCE.sqlite DEMO.sqlite')

function eventsOf(path: string): Event[] {
  const db = new Database(path, {readonly: true})
  try {
    return (db.prepare('SELECT event FROM events ORDER BY seq').all() as Array<{event: string}>).map((r) => JSON.parse(r.event) as Event)
  } finally {
    db.close()
  }
}

const reference = eventsOf(referencePath)
const demo = eventsOf(demoPath)
const at = (events: Event[], seq: number, action: string): Event => {
  const e = events[seq]
  if (e?.['action'] !== action) throw new Error(`event ${seq} is not ${action}`)
  return e
}

const copy = (e: Json): Json => JSON.parse(JSON.stringify(e)) as Json
const DELETE = Symbol('delete')

/** A copy of `event` with the field at `path` (dots; [n] for array items) set, or deleted. */
function change(event: Event, path: string, value: Json | typeof DELETE): Event {
  const out = copy(event) as Event
  const keys = path.split(/\.|(?=\[)/).map((k) => (k.startsWith('[') ? Number(k.slice(1, -1)) : k))
  let node: Json = out
  for (const key of keys.slice(0, -1)) node = (node as {[key: string]: Json})[key as string] as Json
  const last = keys.at(-1)!
  if (value === DELETE) delete (node as {[key: string]: Json})[last as string]
  else (node as {[key: string]: Json})[last as string] = value
  return out
}

const valid: Vector[] = []
const refused: Vector[] = []
const ok = (desc: string, event: Event): Event => (valid.push({desc, event}), event)
const no = (desc: string, event: Json, wantErr: string): void => void refused.push({desc, event, wantErr})

// Real events, one or more an action.
const createCase = ok('create-case (reference case)', at(reference, 0, 'create-case'))
const keyCreated = ok('key-created (reference case)', at(reference, 1, 'key-created'))
const batchStarted = ok('batch-started of a manifest (reference case)', at(reference, 2, 'batch-started'))
const ingest = ok('ingest from a manifest batch, with tags (reference case)', at(reference, 3, 'ingest'))
ok('ingest with the collector\'s position and a note, GPS in the metadata (reference case)', at(reference, 7, 'ingest'))
ok('ingest of a video: no GPS, an image size (reference case)', at(reference, 15, 'ingest'))
const withheld = ok('ingest of a witness statement: file name chosen, path withheld (reference case)', at(reference, 21, 'ingest'))
ok('ingest of a corrected statement: collected gives only its source (reference case)', at(reference, 24, 'ingest'))
const batchEnded = ok('batch-ended (reference case)', at(reference, 20, 'batch-ended'))
const presentedAgain = ok('presented-again, a testimony attachment already an exhibit (reference case)', at(reference, 22, 'presented-again'))
const testimony = ok('testimony (reference case)', at(reference, 23, 'testimony'))
const amended = ok('testimony-amended (reference case)', at(reference, 25, 'testimony-amended'))
const consent = ok('consent-changed, a withdrawal (reference case)', at(reference, 26, 'consent-changed'))
const stamped = ok('timestamp, stamped (reference case)', at(reference, 27, 'timestamp'))
ok('presented-again of a file given on its own (demo)', at(demo, 21, 'presented-again'))
const seal = ok('seal (demo)', at(demo, 29, 'seal'))
const sealed = ok('sealed-exhibits (demo)', at(demo, 30, 'sealed-exhibits'))
const configTsa = ok('config tsa (demo)', at(demo, 31, 'config'))
const configCa = ok('config tsa-ca (demo)', at(demo, 32, 'config'))
const failed = ok('ingest-failed, an empty file (demo)', at(demo, 33, 'ingest-failed'))
const viewed = ok('identity-viewed (demo)', at(demo, 34, 'identity-viewed'))
const rotated = ok('key-rotated (demo)', at(demo, 35, 'key-rotated'))
const folderBatch = ok('batch-started of a folder (demo)', at(demo, 36, 'batch-started'))
ok('ingest from a folder batch with --collected-at, --collected-by, --location, --source, --note (demo)', at(demo, 37, 'ingest'))
const waiting = ok('timestamp, waiting: the TSA did not answer (demo)', at(demo, 40, 'timestamp'))
const restore = ok('restore-accepted (demo)', at(demo, 41, 'restore-accepted'))

// Made from real events: shapes custody writes that the two cases do not hold.
const thousand = Array.from({length: 1000}, (_, i) => `EX-${String(1001 + i).padStart(6, '0')}`)
const fullList = ok('sealed-exhibits, the second list of a seal, 1,000 exhibits (the most an event holds)', change(change(sealed, 'payload.first', 1001), 'payload.exhibits', thousand))
ok('identity-viewed with the record disclosed', change(viewed, 'payload.disclosed', {sha256: 'd1e62fedf815b359f4812a66b87b8fd3ebffba7bb08ab43cecd5f511c04ff07e'}))
ok('presented-again of a file already in the vault but not yet an exhibit (exhibit null)', change(presentedAgain, 'exhibit', null))
ok('testimony with consent to nothing (--consent none)', change(testimony, 'payload.consent', {scopes: [], method: null, givenAt: null}))
ok('ingest-failed of a file that could not be examined (modifiedAt null), in a batch', change(change(change(failed, 'payload.file.modifiedAt', null), 'payload.batch', 'BATCH-c1b1dbc972368c4c'), 'payload.manifestLine', 4))
ok('an exhibit number past 999999', change(ingest, 'exhibit', 'EX-1000000'))
// What a crafted file can make ExifTool report, and custody records as it is: a year before 0000, an odd image size.
ok(
  'ingest of a file whose metadata gives a capture time before year 0 and a fractional image width',
  change(
    change(ingest, 'payload.metadata.normalised.captureTime', {local: '0000-01-01T00:00:00', offset: '+01:00', offsetSource: 'EXIF:ExifIFD:OffsetTimeOriginal', source: 'EXIF:ExifIFD:DateTimeOriginal', utc: '-000001-12-31T23:00:00.000Z'}),
    'payload.metadata.normalised.image',
    {height: 8, width: 1.5},
  ),
)

// The envelope.
no('not an object', [createCase], 'event: expected an object, got an array of 1')
no('null', null, 'event: expected an object, got null')
no('version 2', change(createCase, 'v', 2), 'v: expected 1, got 2')
no('seq negative', change(keyCreated, 'seq', -1), 'seq: expected a non-negative integer, got -1')
no('seq not an integer', change(keyCreated, 'seq', 1.5), 'seq: expected a non-negative integer, got 1.5')
no('seq a string', change(keyCreated, 'seq', '1'), 'seq: expected a non-negative integer, got "1"')
no('seq past 2^53', change(keyCreated, 'seq', 2 ** 53), 'seq: expected a non-negative integer, got 9007199254740992')
no('time without milliseconds', change(keyCreated, 'time', '2026-12-03T22:17:34Z'), 'time: expected a UTC time such as 2024-03-01T12:05:00.000Z, got "2026-12-03T22:17:34Z"')
no('time with an offset', change(keyCreated, 'time', '2026-12-03T23:17:34.024+01:00'), 'time: expected a UTC time such as 2024-03-01T12:05:00.000Z, got "2026-12-03T23:17:34.024+01:00"')
no('time on a day that does not exist', change(keyCreated, 'time', '2026-02-30T10:00:00.000Z'), 'time: expected a UTC time that exists in the calendar, got "2026-02-30T10:00:00.000Z"')
no('actor missing', change(keyCreated, 'actor', DELETE), 'actor: expected a string, got nothing (the field is missing)')
no('actor a number', change(keyCreated, 'actor', 7), 'actor: expected a string, got 7')
no(
  'action unknown',
  change(keyCreated, 'action', 'key-deleted'),
  'action: expected a custody action (create-case, key-created, key-rotated, config, ingest, presented-again, ingest-failed, seal, sealed-exhibits, timestamp, testimony, testimony-amended, consent-changed, identity-viewed, batch-started, batch-ended, restore-accepted), got "key-deleted"',
)
no('prev in capitals', change(keyCreated, 'prev', String(keyCreated['prev']).toUpperCase()), `prev: expected 64 lower-case hex, got "${String(keyCreated['prev']).toUpperCase().slice(0, 60)}…" (64 characters)`)
no('prev short', change(keyCreated, 'prev', 'abc'), 'prev: expected 64 lower-case hex, got "abc"')
no('a field the envelope does not have', change(keyCreated, 'signature', 'x'), 'signature: expected only the fields v, seq, time, actor, action, exhibit, payload, prev, got a field custody does not write')
no('payload missing', change(keyCreated, 'payload', DELETE), 'payload: expected an object, got nothing (the field is missing)')
no('exhibit on an event that names none', change(keyCreated, 'exhibit', 'EX-000001'), 'exhibit: expected null (key-created events name no exhibit), got "EX-000001"')
no('exhibit missing where one is required', change(ingest, 'exhibit', null), 'exhibit: expected an exhibit ID such as EX-000001, got null')
no('exhibit not an exhibit ID', change(ingest, 'exhibit', 'ex-1'), 'exhibit: expected an exhibit ID such as EX-000001, got "ex-1"')

// Each action.
no('create-case: caseId not a UUID', change(createCase, 'payload.caseId', 'case-1'), 'payload.caseId: expected a UUID in lower-case hex, got "case-1"')
no('create-case: prefix in lower case', change(createCase, 'payload.prefix', 'ex'), 'payload.prefix: expected 1 to 12 capital letters or digits, starting with a letter, got "ex"')
no('create-case: an extra field', change(createCase, 'payload.witnessName', 'A. Person'), 'payload.witnessName: expected only the fields caseId, title, investigator, organisation, prefix, custodyVersion, got a field custody does not write')
no('key-created: algorithm other than Ed25519', change(keyCreated, 'payload.algorithm', 'RSA'), 'payload.algorithm: expected "Ed25519", got "RSA"')
no('key-created: fingerprint without its SHA256: prefix', change(keyCreated, 'payload.fingerprint', String((keyCreated['payload'] as Event)['fingerprint']).slice(7)), `payload.fingerprint: expected "SHA256:" and 64 lower-case hex, got "${String((keyCreated['payload'] as Event)['fingerprint']).slice(7, 67)}…" (64 characters)`)
no('key-created: public key not an Ed25519 SPKI', change(keyCreated, 'payload.publicKey', 'AAAA'), 'payload.publicKey: expected the base64 DER of an Ed25519 public key (RFC 8410), got "AAAA"')
no('key-created: holder missing', change(keyCreated, 'payload.holder', DELETE), 'payload.holder: expected a string, got nothing (the field is missing)')
no('key-rotated: replaces missing', change(rotated, 'payload.replaces', DELETE), 'payload.replaces: expected "SHA256:" and 64 lower-case hex, got nothing (the field is missing)')
no('key-rotated: reason a number', change(rotated, 'payload.reason', 1), 'payload.reason: expected a string, got 1')
no('config: unknown setting', change(configTsa, 'payload.setting', 'proxy'), 'payload.setting: expected one of "tsa", "tsa-ca", got "proxy"')
no('config tsa: a value that is not a URL', change(configTsa, 'payload.value', ['freetsa.org']), 'payload.value[0]: expected an http or https URL, got "freetsa.org"')
no('config tsa-ca: a root without its SHA-256', change(configCa, 'payload.value[0].sha256', DELETE), 'payload.value[0].sha256: expected 64 lower-case hex, got nothing (the field is missing)')
no('ingest: size zero', change(ingest, 'payload.size', 0), 'payload.size: expected a positive integer, got 0')
no('ingest: sha512 short', change(ingest, 'payload.digests.sha512', 'ab'), 'payload.digests.sha512: expected 128 lower-case hex, got "ab"')
no(
  'ingest: vault path of another object',
  change(ingest, 'payload.vault', `vault/sha256/00/${'0'.repeat(64)}`),
  `payload.vault: expected the vault path of digests.sha256 ${String(((ingest['payload'] as Event)['digests'] as Event)['sha256'])}, got "vault/sha256/00/${'0'.repeat(44)}…" (80 characters)`,
)
no('ingest: metadata record missing', change(ingest, 'payload.metadata.record', DELETE), 'payload.metadata.record: expected 64 lower-case hex, got nothing (the field is missing)')
no('ingest: GPS latitude out of range', change(ingest, 'payload.metadata.normalised.gps', {latitude: 91, longitude: 0, altitude: null, source: 'x'}), 'payload.metadata.normalised.gps.latitude: expected a number from -90 to 90, got 91')
no('ingest: a tag that is not text', change(ingest, 'payload.tags.camera_card', 1), 'payload.tags.camera_card: expected a string, got 1')
no('ingest: collected at without its offset', change(ingest, 'payload.collected.offset', DELETE), 'payload.collected.offset: expected present exactly when "at" is, got nothing (the field is missing)')
no('ingest: withheld file with a path', change(withheld, 'payload.file.path', '/home/someone/statement.txt'), 'payload.file.path: expected null exactly when the file is withheld, got "/home/someone/statement.txt"')
no('ingest: modifiedAt on a day that does not exist', change(ingest, 'payload.file.modifiedAt', '2026-02-30T16:57:35.662Z'), 'payload.file.modifiedAt: expected a UTC time that exists in the calendar, got "2026-02-30T16:57:35.662Z"')
no('ingest: modifiedAt a number', change(ingest, 'payload.file.modifiedAt', 1700000000), 'payload.file.modifiedAt: expected a UTC time such as 2024-03-01T12:05:00.000Z or null, got 1700000000')
no('ingest: batch ID malformed', change(ingest, 'payload.batch', 'BATCH-1'), 'payload.batch: expected "BATCH-" and 16 lower-case hex, got "BATCH-1"')
no('presented-again: digests missing', change(presentedAgain, 'payload.digests', DELETE), 'payload.digests: expected an object, got nothing (the field is missing)')
no('presented-again: a vault path (only ingest has one)', change(presentedAgain, 'payload.vault', 'vault/sha256/00/00'), 'payload.vault: expected only the fields file, digests, size, collected, note, tags, manifestLine, batch, got a field custody does not write')
no('ingest-failed: error without a code', change(failed, 'payload.error.code', DELETE), 'payload.error.code: expected an error code such as INPUT_EMPTY, got nothing (the field is missing)')
no('ingest-failed: an exhibit', change(failed, 'exhibit', 'EX-000001'), 'exhibit: expected null (ingest-failed events name no exhibit), got "EX-000001"')
no('seal: archive SHA-256 not hex', change(seal, 'payload.archive.sha256', 'z'.repeat(64)), `payload.archive.sha256: expected 64 lower-case hex, got "${'z'.repeat(60)}…" (64 characters)`)
no('seal: sealedAt not UTC', change(seal, 'payload.sealedAt', '2026-12-03T22:24:01+00:00'), 'payload.sealedAt: expected a UTC time such as 2024-03-01T12:05:00.000Z, got "2026-12-03T22:24:01+00:00"')
no('seal: no exhibits', change(seal, 'payload.exhibitCount', 0), 'payload.exhibitCount: expected a positive integer, got 0')
no('seal: leftOut entry without a reason', change(seal, 'payload.leftOut', [{exhibit: 'EX-000001', testimony: 'EX-000018'}]), 'payload.leftOut[0].reason: expected a non-empty string, got nothing (the field is missing)')
no('sealed-exhibits: 1,001 exhibits', change(fullList, 'payload.exhibits', [...thousand, 'EX-002001']), 'payload.exhibits: expected an array of 1 to 1,000 items, got an array of 1001')
no('sealed-exhibits: empty', change(sealed, 'payload.exhibits', []), 'payload.exhibits: expected an array of 1 to 1,000 items, got an array of 0')
no('sealed-exhibits: first not on a 1,000 boundary', change(sealed, 'payload.first', 2), 'payload.first: expected 1 more than a multiple of 1000, got 2')
no('sealed-exhibits: an item that is not an exhibit ID', change(sealed, 'payload.exhibits[3]', 'EX-4'), 'payload.exhibits[3]: expected an exhibit ID such as EX-000001, got "EX-4"')
no('sealed-exhibits: seal ID malformed', change(sealed, 'payload.sealId', 'SEAL-XYZ'), 'payload.sealId: expected "SEAL-" and 16 lower-case hex, got "SEAL-XYZ"')
no('timestamp: stamped without tokens', change(stamped, 'payload.tokens', []), 'payload.status: expected "waiting" without tokens, got "stamped"')
no('timestamp: waiting with a token', change(waiting, 'payload.tokens', (stamped['payload'] as Event)['tokens']!), 'payload.status: expected "stamped" with tokens, got "waiting"')
no('timestamp: token not base64', change(stamped, 'payload.tokens[0].token', 'not base64!'), 'payload.tokens[0].token: expected base64 DER, got "not base64!"')
no('timestamp: checkpoint treeSize zero', change(stamped, 'payload.checkpoint.treeSize', 0), 'payload.checkpoint.treeSize: expected a positive integer, got 0')
no('timestamp: unknown status', change(waiting, 'payload.status', 'pending'), 'payload.status: expected one of "stamped", "waiting", got "pending"')
no('testimony: witness code that is a name', change(testimony, 'payload.witness', 'Halyna Vymyslena'), 'payload.witness: expected a witness code such as W-014 (at most 32 letters, digits, ".", "_" or "-"), got "Halyna Vymyslena"')
no('testimony: unknown consent scope', change(testimony, 'payload.consent.scopes', ['court', 'press']), 'payload.consent.scopes[1]: expected one of "court", "international", "advocacy", "contact", got "press"')
no('testimony: a scope twice', change(testimony, 'payload.consent.scopes', ['court', 'court']), 'payload.consent.scopes[1]: expected no item twice, got "court"')
no('testimony: consent without a method', change(testimony, 'payload.consent.method', null), 'payload.consent.method: expected a method when scopes are given, got null')
no('testimony: consent to nothing, but dated', change(testimony, 'payload.consent', {scopes: [], method: null, givenAt: '2024-04-02T15:00+03:00'}), 'payload.consent.givenAt: expected null when no scope is given, got "2024-04-02T15:00+03:00"')
no('presented-again: exhibit not an exhibit ID', change(presentedAgain, 'exhibit', 7), 'exhibit: expected an exhibit ID such as EX-000001 or null, got 7')
no('testimony: statement of another exhibit', change(testimony, 'payload.statement.exhibit', 'EX-000001'), 'payload.statement.exhibit: expected the event\'s exhibit EX-000018, got "EX-000001"')
no('testimony: identity in clear', change(testimony, 'payload.identity.name', 'Halyna Vymyslena'), 'payload.identity.name: expected only the fields commitment, sealedRecord, encryptedTo, fields, got a field custody does not write')
no('testimony: interview start without its zone', change(testimony, 'payload.interview.startedAt', '2024-04-02T15:00'), 'payload.interview.startedAt: expected an ISO 8601 time with its zone, such as 2024-03-01T14:05+02:00, got "2024-04-02T15:00"')
no('testimony: vulnerable as a string', change(testimony, 'payload.vulnerable', 'no'), 'payload.vulnerable: expected true or false, got "no"')
no('testimony-amended: version 1', change(amended, 'payload.version', 1), 'payload.version: expected an integer of at least 2, got 1')
no('testimony-amended: previous version not the one before', change(amended, 'payload.previous.version', 3), 'payload.previous.version: expected 1, the version before 2, got 3')
no('testimony-amended: reason empty', change(amended, 'payload.reason', ''), 'payload.reason: expected a non-empty string, got ""')
no('consent-changed: nothing granted or withdrawn', change(consent, 'payload.withdrawn', []), 'payload.granted: expected a scope granted or withdrawn, got an array of 0')
no('consent-changed: granted without a method', change(consent, 'payload.granted', ['court']), 'payload.method: expected how the new consent was given, got null')
no('consent-changed: granted and withdrawn at once', change(change(consent, 'payload.granted', ['advocacy']), 'payload.method', 'signed-form'), 'payload.withdrawn: expected no scope both granted and withdrawn, got "advocacy"')
no('consent-changed: unknown method', change(consent, 'payload.method', 'telepathy'), 'payload.method: expected one of "signed-form", "recorded-orally", "oral-noted" or null, got "telepathy"')
no('identity-viewed: disclosed without its SHA-256', change(viewed, 'payload.disclosed', {}), 'payload.disclosed.sha256: expected 64 lower-case hex, got nothing (the field is missing)')
no('identity-viewed: no exhibit', change(viewed, 'exhibit', null), 'exhibit: expected an exhibit ID such as EX-000001, got null')
no('batch-started: both a manifest and inputs', change(batchStarted, 'payload.inputs', (folderBatch['payload'] as Event)['inputs']!), 'payload.inputs: expected null beside a manifest, got an object')
no('batch-started: files negative', change(batchStarted, 'payload.files', -1), 'payload.files: expected a non-negative integer, got -1')
no('batch-started: manifest SHA-256 missing', change(batchStarted, 'payload.manifest.sha256', DELETE), 'payload.manifest.sha256: expected 64 lower-case hex, got nothing (the field is missing)')
no('batch-ended: counts without skipped', change(batchEnded, 'payload.counts.skipped', DELETE), 'payload.counts.skipped: expected a non-negative integer, got nothing (the field is missing)')
no('batch-ended: interrupted as 0', change(batchEnded, 'payload.interrupted', 0), 'payload.interrupted: expected true or false, got 0')
no('restore-accepted: signature short', change(restore, 'payload.lost.signature', 'ab'), 'payload.lost.signature: expected 128 lower-case hex, got "ab"')
no('restore-accepted: reservedExhibitNumbers a string', change(restore, 'payload.reservedExhibitNumbers', '42'), 'payload.reservedExhibitNumbers: expected a positive integer, got "42"')
no('restore-accepted: the lost copy\'s location (never recorded: a path may name a person)', change(restore, 'payload.lost.location', '/home/someone'), 'payload.lost.location: expected only the fields checkpoint, signature, recordedAt, got a field custody does not write')

const out = {
  desc:
    'custody ledger events (src/formats/events.ts). Valid vectors are real events as custody 0.1.0 wrote them, taken from fixtures/reference-case and from a demo case (tests/vectors/make-events.ts says how it was made), and a few made from them for shapes those cases do not hold. Each refused vector changes one field of a real event; wantErr is the exact problem parseEvent gives. All names are invented.',
  events: [...valid, ...refused],
}
// One vector a line: diffs show which vector changed.
process.stdout.write(`{\n "desc": ${JSON.stringify(out.desc)},\n "events": [\n${out.events.map((v) => `  ${JSON.stringify(v)}`).join(',\n')}\n ]\n}\n`)
