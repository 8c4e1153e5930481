/**
 * Recording a testimony. The steps:
 *
 *   1. check    the record (record.ts), and that the statement and every attachment is a readable
 *               file; any problem stops here, with nothing written
 *   2. stage    copy and hash the statement and the attachments, and read their metadata, as
 *               `custody ingest` does, but keep them staged: if any file fails, all are dropped
 *   3. search   the staged statement's text and every metadata record for the witness's name and
 *               contact (content-check.ts); when found, go on only as `identifyingContent`
 *               decides (the flag, or the investigator at the terminal), else drop everything
 *   4. protect  encrypt the witness's protected details to the case's identity key, and commit
 *               to them (identity.ts); only the sealed record is stored
 *   5. commit   the staged files into the vault
 *   6. record   in one ledger transaction: the statement as a new exhibit, each attachment as a new
 *               exhibit (or as presented again, when the case already holds it), and the
 *               `testimony` event linking them, with what the search found (where, never what).
 *               Either all of it is recorded or none.
 *
 * File names are not recorded for the statement and attachments (`W-014-statement-v1.txt` stands
 * for the name): a file named after the witness must not put the name into the ledger.
 */
import {mkdtemp, writeFile} from 'node:fs/promises'
import {extname, join} from 'node:path'
import type {Case} from '../case/case.js'
import {CustodyError, messageOf, said} from '../errors.js'
import {getExhibit, refusePurged} from '../exhibits/exhibits.js'
import {collectInputs, type InputFile} from '../ingest/inputs.js'
import {IngestRun, composeIngestEvents, provenanceOf, readOf, type Outcome, type Provenance} from '../ingest/pipeline.js'
import type {IngestFileResult} from '../ingest/results.js'
import type {CustodyEventDraft} from '../formats/events.js'
import {MetadataReader, type MetadataRecord} from '../metadata/exiftool.js'
import {checkContent, decideOnFindings, type CheckedFile, type ContentCheck, type IdentifyingDecision} from './content-check.js'
import {IdentifyingSearch} from './identifying.js'
import {caseRecipients} from '../keys/case-keys.js'
import {commitmentOf, ensureIdentityKey, identityRecord, sealIdentity} from './identity.js'
import {hasProtectedDetails, type ProtectedDetails, type TestimonyRecord} from './record.js'
import {shredFolder, statementBase, type StatementPlace} from './statement-editor.js'
import type {IdentityReference} from './testimonies.js'

export interface TakeOptions {
  /** The case passphrase: the identity key is made with it the first time it is needed. */
  passphrase: string
  actor?: string | undefined
  cwd?: string
  signal?: AbortSignal
  /** When the statement or an attachment's metadata names the witness; default: refuse. */
  identifyingContent?: IdentifyingDecision
}

export interface TestimonyReport {
  exhibit: string
  witness: string
  seq: number
  statement: {exhibit: string; sha256: string; size: number}
  attachments: Array<{path: string; exhibit: string; sha256: string; status: 'ingested' | 'already-present'}>
  identity: {commitment: string; fields: string[]} | null
  consent: TestimonyRecord['consent']
  /** What the search for the witness's name and contact found; null when neither was given. */
  contentCheck: ContentCheck | null
}

/** A stand-in name that keeps the file's type and says nothing else about it. */
export function recordedName(witness: string, role: string, original: string): string {
  const ext = extname(original).toLowerCase()
  return `${witness}-${role}${/^\.[a-z0-9]{1,8}$/.test(ext) ? ext : ''}`
}

/** Step 1 for a list of paths: each must be one readable, non-empty regular file. */
export async function collectFiles(paths: readonly string[], cwd: string | undefined, role: (path: string) => string): Promise<InputFile[]> {
  const collected = await collectInputs(paths, {recursive: false, ...(cwd ? {cwd} : {})})
  const problem = collected.problems[0] ?? collected.skipped[0]
  if (problem !== undefined) {
    const [code, message] = 'error' in problem ? [problem.error.code, problem.error.said] : (['INPUT_NOT_REGULAR', `${problem.path} was skipped: ${problem.reason}`] as const)
    throw new CustodyError(code, said`${role(problem.path)}: ${message}; nothing was recorded`, {subject: problem.path})
  }

  return collected.files
}

/** Step 1 ahead of time, before the key is opened: the statement's file (when it is one) and each attachment can be taken in. */
export async function checkTestimonyFiles(record: TestimonyRecord, cwd?: string): Promise<void> {
  if ('file' in record.statement) await collectFiles([record.statement.file], cwd, () => 'the statement')
  await collectFiles(record.attachments, cwd, (path) => `the attachment ${path}`)
}

/**
 * Step 2 for files that must go in together: stages them all, and if any fails drops them all
 * and throws, naming the file.
 */
export async function stageTogether(run: IngestRun, files: ReadonlyArray<{input: InputFile; recordAs: string; role: string}>): Promise<Outcome[]> {
  const outcomes = await Promise.all(files.map((f) => run.prepare(f.input, {recordAs: f.recordAs, commit: false})))
  const failed = outcomes.findIndex((o) => o.kind === 'failed')
  if (failed === -1) return outcomes
  await Promise.all(outcomes.map((o) => run.discardOutcome(o)))
  const outcome = outcomes[failed]! as Extract<Outcome, {kind: 'failed'}>
  throw new CustodyError(outcome.error.code, `${files[failed]!.role} ${files[failed]!.input.path} could not be taken in: ${outcome.error.message}. Nothing was recorded; fix or leave out that file and run the command again`, {
    subject: files[failed]!.input.path,
    cause: outcome.error,
  })
}

/**
 * Writes a statement typed in the editor to a private temp file, so that it is ingested like any
 * file (staging, ExifTool and the content search read files by path): in memory-backed storage,
 * or, where there is none, the temp folder for a case in clear only (statementBase: an encrypted
 * case's statement never reaches the disk in clear); overwritten before it is removed.
 */
export async function withStatementFile<T>(statement: TestimonyRecord['statement'], place: StatementPlace, work: (path: string) => Promise<T>): Promise<T> {
  if ('file' in statement) return work(statement.file)
  const folder = await mkdtemp(join(statementBase(place.encrypted, place.env, place.shm), 'custody-statement-'))
  try {
    const path = join(folder, 'statement.txt')
    await writeFile(path, statement.text.endsWith('\n') ? statement.text : `${statement.text}\n`, {mode: 0o600})
    return await work(path)
  } finally {
    await shredFolder(folder)
  }
}

/**
 * ExifTool's complete record of a staged file, or, for a file the case already holds, the record
 * stored with its exhibit.
 */
export async function metadataOf(kase: Case, outcome: Outcome): Promise<MetadataRecord> {
  if (outcome.kind === 'new' && outcome.metadata.recordBytes !== null) return JSON.parse(new TextDecoder().decode(outcome.metadata.recordBytes)) as MetadataRecord
  const read = readOf(outcome)
  const exhibit = read === null ? undefined : kase.ledger.exhibitBySha256(read.sha256)
  if (exhibit === undefined) throw new CustodyError('STORAGE_FAILED', `internal: no metadata record for ${outcome.file.path}`)
  const {record, recordPath: path} = heldMetadata(kase, exhibit, outcome.file.path)
  try {
    return JSON.parse((await kase.vault.readObject(record)).toString('utf8')) as MetadataRecord
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') throw error
    throw new CustodyError('INTEGRITY', `the metadata record of ${exhibit} (${path}) cannot be read: ${messageOf(error)}. Run \`custody verify\`; nothing was recorded`, {subject: exhibit, cause: error})
  }
}

/**
 * Where the record of a file the case holds is kept, once the exhibit is known not purged. Both
 * read the exhibit's events: where they are sealed and no key given opens them (a field case),
 * one line says which file needs what.
 */
function heldMetadata(kase: Case, exhibit: string, file: string): {record: string; recordPath: string} {
  try {
    refusePurged(kase, exhibit, 'attached to a testimony')
    return getExhibit(kase, exhibit, {withEvents: false}).metadata
  } catch (error) {
    if (!(error instanceof CustodyError) || error.code !== 'CONTENT_LOCKED') throw error
    throw new CustodyError('CONTENT_LOCKED', `${file} is already in the case as ${exhibit}, and searching it for the witness reads its metadata record: ${error.message}`, {subject: exhibit, cause: error})
  }
}

/** Step 3: the search, and the decision when it finds the witness. Null when there is nothing to search for. */
export async function searchContent(
  kase: Case,
  search: IdentifyingSearch,
  statement: {outcome: Outcome; label: string; shownAs: string},
  attachments: ReadonlyArray<{outcome: Outcome; label: string; shownAs: string}>,
  decision: IdentifyingDecision,
): Promise<ContentCheck | null> {
  if (search.isEmpty) return null
  if (statement.outcome.kind !== 'new') throw new CustodyError('STORAGE_FAILED', 'internal: the statement is not staged')
  const files: CheckedFile[] = []
  for (const a of attachments) files.push({label: a.label, shownAs: a.shownAs, record: await metadataOf(kase, a.outcome)})
  const {check, findings} = await checkContent(
    search,
    {label: statement.label, shownAs: statement.shownAs, record: await metadataOf(kase, statement.outcome), path: statement.outcome.staged.readablePath},
    files,
  )
  await decideOnFindings(findings, decision)
  return check
}

/** The protected details, in the order of ProtectedDetails. */
const PROTECTED_FIELDS = ['name', 'contact', 'notes', 'vulnerability', 'referral'] as const satisfies ReadonlyArray<keyof ProtectedDetails>

function protectedFields(details: ProtectedDetails): IdentityReference['fields'] {
  return PROTECTED_FIELDS.filter((field) => details[field] !== null)
}

/** Records a testimony: the steps listed at the top of this file. */
export async function takeTestimony(kase: Case, record: TestimonyRecord, options: TakeOptions): Promise<TestimonyReport> {
  await kase.assertIntactHead()
  const {witness} = record
  return withStatementFile(record.statement, {encrypted: kase.vault.encrypted}, async (statementPath) => {
    // 1. check
    const [statement] = await collectFiles([statementPath], options.cwd, () => 'the statement')
    const attachments = await collectFiles(record.attachments, options.cwd, (path) => `the attachment ${path}`)

    // 2. stage
    await using reader = await MetadataReader.start()
    await kase.ready()
    // Once the keys are open: a sealed ledger's investigator (the default actor) needs the address key.
    const provenance = testimonyProvenance(kase, record, options.actor)
    const run = new IngestRun(kase, reader, options.signal)
    const outcomes = await stageStatementAndAttachments(kase, run, record, {path: statementPath, input: statement!}, attachments)
    let identity: IdentityReference | null
    let contentCheck: ContentCheck | null
    try {
      // 3. search
      contentCheck = await searchContent(
        kase,
        IdentifyingSearch.of({name: record.protectedDetails.name, contact: record.protectedDetails.contact}),
        {outcome: outcomes[0]!, label: 'statement', shownAs: 'file' in record.statement ? statementPath : 'the statement typed in the editor'},
        attachments.map((input, i) => ({outcome: outcomes[i + 1]!, label: `attachment ${i + 1}`, shownAs: input.path})),
        options.identifyingContent ?? 'refuse',
      )

      // 4. protect
      identity = await protectIdentity(kase, record, options.passphrase)

      // 5. commit
      for (const outcome of outcomes) await run.commitOutcome(outcome)
    } catch (error) {
      await Promise.all(outcomes.map((o) => run.discardOutcome(o)))
      throw error
    }

    // 6. record
    const {seq, result} = recordTestimony(kase, record, outcomes, provenance, {statementPath, identity, contentCheck})
    await kase.recordHead()
    return {
      exhibit: result.exhibit,
      witness,
      seq,
      statement: {exhibit: result.exhibit, sha256: result.sha256, size: result.size},
      attachments: result.linked,
      identity: identity === null ? null : {commitment: identity.commitment, fields: identity.fields},
      consent: record.consent,
      contentCheck,
    }
  })
}

/** The interview's facts, as what is said of the collection of every file of the testimony. */
function testimonyProvenance(kase: Case, record: TestimonyRecord, actor: string | undefined): Provenance {
  return provenanceOf(
    {
      actor,
      collectedAt: record.interview.startedAt,
      collectedBy: record.interview.interviewers.join(', '),
      location: record.interview.place,
      source: `testimony of witness ${record.witness}`,
      note: record.note ?? undefined,
    },
    kase,
  )
}

/** Step 2: the statement (first) and the attachments, staged under stand-in names; a statement the case already holds is refused. */
async function stageStatementAndAttachments(
  kase: Case,
  run: IngestRun,
  record: TestimonyRecord,
  statement: {path: string; input: InputFile},
  attachments: readonly InputFile[],
): Promise<Outcome[]> {
  const {witness} = record
  const outcomes = await stageTogether(run, [
    {input: statement.input, recordAs: recordedName(witness, 'statement-v1', 'file' in record.statement ? statement.path : 'statement.txt'), role: 'the statement'},
    ...attachments.map((input, i) => ({input, recordAs: recordedName(witness, `attachment-${i + 1}`, input.path), role: 'the attachment'})),
  ])
  const [statementOutcome] = outcomes
  if (statementOutcome!.kind === 'known') {
    await Promise.all(outcomes.map((o) => run.discardOutcome(o)))
    throw new CustodyError(
      'INVALID_ARGUMENT',
      `the statement ${statement.path} is already exhibit ${kase.ledger.exhibitBySha256(statementOutcome!.staged.digests.sha256) ?? '?'} of this case; a statement must be a new document. Nothing was recorded`,
      {subject: statement.path},
    )
  }

  return outcomes
}

/** Step 4: the witness's protected details, sealed to the identity key and stored; null when there are none. */
async function protectIdentity(kase: Case, record: TestimonyRecord, passphrase: string): Promise<IdentityReference | null> {
  if (!hasProtectedDetails(record.protectedDetails)) return null
  const key = await ensureIdentityKey(kase.dataDir, passphrase, caseRecipients(kase))
  const plain = identityRecord(kase.info.caseId, record.witness, record.protectedDetails)
  const sealed = await kase.vault.putBytes(Buffer.from(`${JSON.stringify(sealIdentity(plain, key))}\n`))
  return {commitment: commitmentOf(plain), sealedRecord: sealed.sha256, ...(sealed.stored === undefined ? {} : {stored: sealed.stored}), encryptedTo: key.fingerprint, fields: protectedFields(record.protectedDetails)}
}

type LinkedAttachment = TestimonyReport['attachments'][number]

/**
 * Step 6, in one ledger transaction: the statement and attachments' events, then the `testimony`
 * event linking them. Returns the last event's sequence number and what was recorded.
 */
function recordTestimony(
  kase: Case,
  record: TestimonyRecord,
  outcomes: readonly Outcome[],
  provenance: Provenance,
  found: {statementPath: string; identity: IdentityReference | null; contentCheck: ContentCheck | null},
): {seq: number; result: {exhibit: string; size: number; sha256: string; linked: LinkedAttachment[]}} {
  const {events, result} = kase.ledger.append((view) => {
    const ingest = composeIngestEvents(kase, view, outcomes, provenance)
    const [first, ...rest] = ingest.result
    if (first?.result.status !== 'ingested') {
      throw new CustodyError('INVALID_ARGUMENT', `the statement ${found.statementPath} became an exhibit of this case while it was being recorded; nothing was recorded`)
    }

    const statement = first.result
    const {exhibit} = statement
    const linked = rest.map(({result: r}) => linkedAttachment(r))
    const draft: CustodyEventDraft = {
      actor: provenance.actor,
      action: 'testimony',
      exhibit,
      payload: {
        witness: record.witness,
        interview: record.interview,
        vulnerable: record.vulnerable,
        consent: record.consent,
        identity: found.identity,
        statement: {version: 1, exhibit, sha256: statement.sha256},
        attachments: linked.map((a) => ({exhibit: a.exhibit, sha256: a.sha256})),
        note: record.note,
        contentCheck: found.contentCheck,
      },
    }
    return {drafts: [...ingest.drafts, draft], result: {exhibit, size: statement.size, sha256: statement.sha256, linked}}
  })
  return {seq: events.at(-1)!.event.seq, result}
}

/** An attachment as its testimony links it: a new exhibit or one the case held (stageTogether() let no failure through). */
function linkedAttachment(result: IngestFileResult): LinkedAttachment {
  // An attachment is always read (its SHA-256 known): only a batch run again passes over files unread.
  if ((result.status !== 'ingested' && result.status !== 'already-present') || result.exhibit === null || result.sha256 === null) {
    throw new CustodyError('STORAGE_FAILED', `internal: the attachment ${result.path} is neither a new exhibit nor one the case holds`)
  }

  return {path: result.path, exhibit: result.exhibit, sha256: result.sha256, status: result.status}
}
