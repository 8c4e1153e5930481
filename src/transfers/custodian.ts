/**
 * A custodian's public identity (issue 20, docs/design/transfers.md "Custodian identities"): who
 * a case is, as another case names it in a hand-over (`transfer export --to`, `accept --from`).
 * One line, safe to paste into a shell or a message and to keep in a file:
 *
 *     custody-custodian1 <base64url, unpadded, of the RFC 8785 canonical JSON>
 *
 * of `{"type": "custody-custodian/v1", "case", "name", "organisation", "signingKey", "age"}`: the
 * case's ID, its investigator and organisation as the case records them, its current Ed25519
 * signing key (base64 SPKI, as events record keys) and the age recipient that opens what is sent
 * to it (its case identity's; null in a field case, which has none on the laptop).
 *
 * The reader is strict, as the event format's is: an unknown type or field, a value of the wrong
 * form, or JSON that is not canonical (so that one identity has one line) is refused, naming what
 * was wrong. A later version grows by a new `type` and prefix, never by fields old readers skip.
 * The case ID is who the custodian is; the key is what it signs with now, and a rotation
 * (`key-rotated`, signed by the key before) carries it to the next, in the custodian's own events.
 */
import {readFileSync, statSync} from 'node:fs'
import {canonicalize} from '../canonical/jcs.js'
import {CustodyError, errnoOf, messageOf} from '../errors.js'
import {FieldProblem, nullable, object, text, literal, type Reader} from '../formats/event-readers.js'
import {caseIdentityRecipient, caseKeyMode, type CaseKeyHolder} from '../keys/case-keys.js'
import {fingerprintOf} from '../keys/signing-key.js'

export const CUSTODIAN_PREFIX = 'custody-custodian1'
export const CUSTODIAN_TYPE = 'custody-custodian/v1'

/** The longest line read (and the longest file a line is looked for in): an identity is a few hundred bytes. */
const MAX_CUSTODIAN_BYTES = 16 * 1024

export interface Custodian {
  type: typeof CUSTODIAN_TYPE
  /** The case's ID (a UUID). */
  case: string
  /** The case's investigator. */
  name: string
  organisation: string | null
  /** Base64 SPKI DER of the Ed25519 signing key. */
  signingKey: string
  /** age1…: what opens what is sent to this custodian; null for a field case. */
  age: string | null
}

/** The custodian's JSON, read strictly: also a field of what names custodians (src/transfers/transfer-statement.ts). */
export const CUSTODIAN_FORMAT: Reader<Custodian> = object<Custodian>({
  type: literal(CUSTODIAN_TYPE),
  case: text({pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, expected: 'a case ID (a UUID in lower-case hex)'}),
  name: text({nonEmpty: true}),
  organisation: nullable(text({nonEmpty: true})),
  signingKey: text({pattern: /^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$/, expected: 'the base64 DER of an Ed25519 public key (RFC 8410)'}),
  age: nullable(text({pattern: /^age1[02-9ac-hj-np-z]{58}$/, expected: 'an age recipient: age1 and 58 lower-case Bech32 characters'})),
})

/** The one line that names the custodian. */
export function custodianLine(custodian: Custodian): string {
  return `${CUSTODIAN_PREFIX} ${Buffer.from(canonicalize(custodian), 'utf8').toString('base64url')}`
}

/** The custodian's signing key fingerprint (SHA256:…), as `custody key show` prints keys. */
export function custodianFingerprint(custodian: Custodian): string {
  return fingerprintOf(Buffer.from(custodian.signingKey, 'base64'))
}

/** A party to a hand-over as reports name it: who it is, and the fingerprint of its key. */
export interface Party {
  name: string
  organisation: string | null
  fingerprint: string
}

/** Who a party is: its name, and its organisation in brackets when it has one. Not escaped, as describeParty's. */
export function partyName(party: Pick<Party, 'name' | 'organisation'>): string {
  return party.organisation === null ? party.name : `${party.name} (${party.organisation})`
}

/**
 * How a party is named: its name, its organisation in brackets when it has one, then `between`
 * and its key fingerprint (`, key ` in messages; a table or a verifier's line puts less). Not
 * escaped: what prints it escapes the whole, as it would the name.
 */
export function describeParty(party: Party, between = ', key '): string {
  return `${partyName(party)}${between}${party.fingerprint}`
}

/** How a custodian is named in a message: its name, organisation and key fingerprint. */
export function describeCustodian(custodian: Custodian): string {
  return describeParty({name: custodian.name, organisation: custodian.organisation, fingerprint: custodianFingerprint(custodian)})
}

function refused(where: string, why: string): CustodyError {
  return new CustodyError('INVALID_ARGUMENT', `${where} is not a custodian identity as \`custody key show --public\` prints it: ${why}`, {subject: where})
}

/** Reads one identity line (surrounding blanks allowed); `where` names it in a refusal. */
export function parseCustodian(line: string, where = 'the identity'): Custodian {
  const trimmed = line.trim()
  if (trimmed.length > MAX_CUSTODIAN_BYTES) throw refused(where, `it is ${trimmed.length} characters long; an identity is a few hundred`)
  const [prefix, encoded, ...rest] = trimmed.split(/\s+/)
  if (prefix !== CUSTODIAN_PREFIX) throw refused(where, `it does not begin with ${CUSTODIAN_PREFIX}`)
  if (encoded === undefined || rest.length > 0 || !/^[A-Za-z0-9_-]+$/.test(encoded)) throw refused(where, `${CUSTODIAN_PREFIX} must be followed by one word of base64url`)
  const json = Buffer.from(encoded, 'base64url').toString('utf8')
  if (Buffer.from(json, 'utf8').toString('base64url') !== encoded) throw refused(where, 'its base64url does not decode to UTF-8 text and back')
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw refused(where, `it holds no JSON (${messageOf(error)})`)
  }

  let custodian: Custodian
  try {
    custodian = CUSTODIAN_FORMAT.read(value, 'identity')
  } catch (error) {
    if (error instanceof FieldProblem) throw refused(where, error.message)
    throw error
  }

  if (canonicalize(custodian) !== json) throw refused(where, 'its JSON is not in canonical form (RFC 8785), so it was not written by custody')
  return custodian
}

/**
 * A custodian given on the command line: the line itself, or a file that holds it (the first line
 * that is not blank or a `#` comment).
 */
export function readCustodian(given: string, flag: string): Custodian {
  if (given.trim().startsWith(CUSTODIAN_PREFIX)) return parseCustodian(given, flag)
  let body: string
  try {
    if (statSync(given).size > MAX_CUSTODIAN_BYTES) throw refused(given, `the file is larger than ${MAX_CUSTODIAN_BYTES} bytes`)
    body = readFileSync(given, 'utf8')
  } catch (error) {
    if (error instanceof CustodyError) throw error
    throw new CustodyError(
      'INVALID_ARGUMENT',
      errnoOf(error) === 'ENOENT'
        ? `${flag} ${given}: no such file, and not an identity line (${CUSTODIAN_PREFIX} …, as \`custody key show --public\` prints it)`
        : `cannot read ${flag} ${given}: ${messageOf(error)}`,
      {subject: given, cause: error},
    )
  }

  const line = body.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#'))
  if (line === undefined) throw refused(given, 'the file holds no line')
  return parseCustodian(line, given)
}

/** What custodianOf() reads of a case: its info, its current signing key and its case keys. */
export interface CustodianSource extends CaseKeyHolder {
  readonly info: {caseId: string; investigator: string; organisation: string | null}
  signingKey(): {spki: Uint8Array}
}

/** The case's own identity, as `custody key show --public` prints it. */
export function custodianOf(kase: CustodianSource): Custodian {
  const caseIdentity = caseKeyMode(kase) === 'encrypted' ? caseIdentityRecipient(kase) : undefined
  return {
    type: CUSTODIAN_TYPE,
    case: kase.info.caseId,
    name: kase.info.investigator,
    organisation: kase.info.organisation,
    signingKey: Buffer.from(kase.signingKey().spki).toString('base64'),
    age: caseIdentity ?? null,
  }
}
