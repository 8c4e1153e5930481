/**
 * A witness's statement as it was recorded, for `custody show W-014 --statement`: one version's
 * original, read from the vault and checked against the SHA-256 the ledger recorded before any of
 * it is given out. Statements are kept in the vault as they were taken in, not encrypted (only
 * the witness's identity is), so reading one needs no passphrase, and records nothing.
 */
import {join} from 'node:path'
import type {Case} from '../case/case.js'
import {CustodyError, fields, messageOf, said} from '../errors.js'
import {resolveExhibitId} from '../exhibits/exhibits.js'
import {statementTextOf} from './content-check.js'
import {findTestimony, listTestimonies, type TestimonyView} from './testimonies.js'

export interface StatementVersionRef {
  witness: string
  /** The testimony's exhibit (its first statement). */
  testimony: string
  version: number
  /** How many versions the statement has: the last is the current one. */
  versions: number
  exhibit: string
  sha256: string
  size: number
  mimeType: string | null
  /** The original in the vault. */
  path: string
}

/** What choosing a statement is given, as its errors name it. */
const STATEMENT = fields({version: 'the statement version'})

/**
 * The testimony a reference names, and the version it names if it is the ID of a later version of
 * a statement. `ref` is a witness code, a testimony's exhibit ID or the ID of one of its statement
 * versions; an attachment or an exhibit of no testimony is refused, saying what it is.
 */
function testimonyNamed(kase: Case, ref: string): {testimony: TestimonyView; version?: number} {
  let id: string | undefined
  try {
    id = resolveExhibitId(kase, ref)
  } catch {
    return {testimony: findTestimony(kase, ref)}
  }

  const views = listTestimonies(kase)
  const own = views.find((t) => t.exhibit === id)
  if (own !== undefined) return {testimony: own}
  for (const t of views) {
    const version = t.versions.find((v) => v.exhibit === id)
    if (version !== undefined) return {testimony: t, version: version.version}
  }

  const attachedTo = views.find((t) => t.attachments.some((a) => a.exhibit === id))
  if (attachedTo !== undefined) {
    throw new CustodyError('INVALID_ARGUMENT', `${id} is an attachment of the testimony of ${attachedTo.witness}, not its statement; \`custody show ${attachedTo.witness} --statement\` prints the statement`, {subject: id})
  }

  if (kase.ledger.ingestEvent(id) !== undefined) {
    throw new CustodyError('INVALID_ARGUMENT', `${id} is not a testimony, so it has no statement to print; \`custody show ${id}\` describes it, and \`custody testimony list\` lists the testimonies`, {subject: id})
  }

  return {testimony: findTestimony(kase, ref)}
}

/**
 * The statement of the testimony `ref` names: version `version`, else the version `ref` names (the
 * ID of a later version), else the current one (the last).
 */
export function findStatement(kase: Case, ref: string, version?: number): StatementVersionRef {
  const named = testimonyNamed(kase, ref)
  const {testimony} = named
  const wanted = version ?? named.version ?? testimony.versions.at(-1)!.version
  const chosen = testimony.versions.find((v) => v.version === wanted)
  if (chosen === undefined) {
    const count = testimony.versions.length
    throw new CustodyError(
      'INVALID_ARGUMENT',
      said`${STATEMENT.version} must be ${count === 1 ? '1' : `1 ${count === 2 ? 'or' : 'to'} ${count}`}: the statement of ${testimony.witness} has ${count === 1 ? 'one version' : `${count} versions`}, got ${wanted}`,
      {subject: testimony.exhibit},
    )
  }

  const ingest = kase.ledger.ingestEvent(chosen.exhibit)
  if (ingest === undefined) throw new CustodyError('LEDGER_UNREADABLE', `the statement ${chosen.exhibit} of ${testimony.witness} has no ingest event; run \`custody verify\``, {subject: chosen.exhibit})
  const p = ingest.event.payload
  return {
    witness: testimony.witness,
    testimony: testimony.exhibit,
    version: chosen.version,
    versions: testimony.versions.length,
    exhibit: chosen.exhibit,
    sha256: p.digests.sha256,
    size: p.size,
    mimeType: p.metadata.normalised.mimeType,
    // Where the event says: an encrypted object's keyed address needs the key, given later.
    path: join(kase.dataDir, p.vault),
  }
}

function notAsRecorded(statement: StatementVersionRef, how: string): CustodyError {
  return new CustodyError(
    'INTEGRITY',
    `version ${statement.version} of the statement of ${statement.witness} (${statement.exhibit}) ${how}; nothing of it was printed. Run \`custody verify\`, and keep a copy of the case as it is`,
    {subject: statement.exhibit},
  )
}

/** The original's bytes, checked against the ledger (its SHA-256 and size) before the first is given out. */
export async function* statementBytes(kase: Case, statement: StatementVersionRef): AsyncGenerator<Buffer> {
  const check = await kase.vault.checkObject({sha256: statement.sha256, size: statement.size})
  if (check.status !== 'intact') throw notAsRecorded(statement, `is ${check.status} in the vault: it is not what the ledger recorded`)
  yield* kase.vault.openObject(statement.sha256)
}

/** The statement's text, when it is text (UTF-8, or UTF-16 with a byte-order mark); null when it is not (a PDF, a scan). */
export async function statementText(kase: Case, statement: StatementVersionRef): Promise<string | null> {
  let bytes: Buffer
  try {
    bytes = await kase.vault.readObject(statement.sha256)
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') throw error
    if (error instanceof CustodyError && error.code === 'INTEGRITY') throw notAsRecorded(statement, 'in the vault is not what the ledger recorded (its SHA-256 differs, or it does not decrypt whole)')
    throw notAsRecorded(statement, `cannot be read from the vault (${messageOf(error)})`)
  }

  return statementTextOf(bytes, statement.mimeType) ?? null
}
