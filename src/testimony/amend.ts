/**
 * A correction. A statement is never edited in place: the corrected text is a new exhibit, and a
 * `testimony-amended` event links it to the testimony as its next version, naming the version it
 * follows and the reason. `show` lists every version; a seal of the testimony carries them all.
 *
 * The reason is recorded in clear, so it must not hold the witness's name or contact; the new
 * statement is searched for them as the first was (take-testimony.ts, step 3). A version that
 * names the witness makes the testimony hold identifying content from then on.
 */
import type {AgeIdentity} from '../age/x25519.js'
import type {Case} from '../case/case.js'
import {CustodyError, said} from '../errors.js'
import {IngestRun, composeIngestEvents, provenanceOf} from '../ingest/pipeline.js'
import {MetadataReader} from '../metadata/exiftool.js'
import type {ContentCheck, IdentifyingDecision} from './content-check.js'
import {FOLLOW_UP} from './fields.js'
import {refuseIdentifying} from './identifying.js'
import type {TestimonyRecord} from './record.js'
import {collectFiles, recordedName, searchContent, stageTogether, withStatementFile} from './take-testimony.js'
import {findTestimony, type TestimonyView} from './testimonies.js'
import {identityKeyUnlock} from './identity.js'
import {identifyingSearchOf} from './view-identity.js'

export interface AmendOptions {
  statement: TestimonyRecord['statement']
  reason: string
  actor?: string | undefined
  cwd?: string
  signal?: AbortSignal
  /** Opens the witness's identity, to search the reason and the new statement for the name and contact. */
  passphrase?: string | undefined
  /**
   * Recipients' identities (HQ's), which open it instead: the witness identity key is kept for them
   * too. A field case needs them, its passphrase opening no testimony and no identity.
   */
  identities?: readonly AgeIdentity[] | undefined
  /** When the new statement names the witness; default: refuse. */
  identifyingContent?: IdentifyingDecision
}

export interface AmendReport {
  exhibit: string
  witness: string
  /** The new version (its number: 2 and on), and the one it follows. */
  statement: {version: number; exhibit: string; sha256: string; size: number}
  previous: {version: number; exhibit: string; sha256: string}
  reason: string
  seq: number
  /** What the search of the new statement found; null when no name or contact was recorded to search for. */
  contentCheck: ContentCheck | null
}

/**
 * What can be refused without the key: an empty reason, an empty statement or a statement file
 * that cannot be taken in, a testimony that does not exist. `statement` is undefined when it is
 * still to be typed. The command runs it before it asks for the passphrase.
 */
export async function checkAmend(kase: Case, ref: string, options: {reason: string; statement: TestimonyRecord['statement'] | undefined; cwd?: string}): Promise<TestimonyView> {
  if (options.reason.trim() === '') throw new CustodyError('INVALID_ARGUMENT', said`${FOLLOW_UP.reason} must say why the statement is corrected; nothing was recorded`)
  const {statement} = options
  if (statement !== undefined && 'text' in statement && statement.text.trim() === '') throw new CustodyError('INVALID_ARGUMENT', 'the corrected statement is empty; nothing was recorded')
  const view = findTestimony(kase, ref)
  if (statement !== undefined && 'file' in statement) await collectFiles([statement.file], options.cwd, () => 'the corrected statement')
  return view
}

export async function amendStatement(kase: Case, ref: string, options: AmendOptions): Promise<AmendReport> {
  const reason = options.reason.trim()
  await kase.assertIntactHead()
  const view = await checkAmend(kase, ref, options)
  const search = await identifyingSearchOf(kase, view, identityKeyUnlock({passphrase: options.passphrase, identities: options.identities}))
  refuseIdentifying(search, FOLLOW_UP.reason, reason)
  refuseIdentifying(search, FOLLOW_UP.actor, options.actor?.trim())
  const provenance = provenanceOf({actor: options.actor, source: `testimony of witness ${view.witness}`}, kase)

  return withStatementFile(options.statement, {encrypted: kase.vault.encrypted}, async (path) => {
    const [input] = await collectFiles([path], options.cwd, () => 'the corrected statement')
    await using reader = await MetadataReader.start()
    await kase.ready()
    const run = new IngestRun(kase, reader, options.signal)
    const version = view.versions.length + 1
    const [outcome] = await stageTogether(run, [
      {input: input!, recordAs: recordedName(view.witness, `statement-v${version}`, 'file' in options.statement ? path : 'statement.txt'), role: 'the corrected statement'},
    ])
    if (outcome!.kind === 'known') {
      throw new CustodyError('INVALID_ARGUMENT', `the corrected statement ${path} is already exhibit ${kase.ledger.exhibitBySha256(outcome!.staged.digests.sha256) ?? '?'} of this case: nothing changed, so nothing was recorded`, {subject: path})
    }

    let contentCheck: ContentCheck | null
    try {
      const shownAs = 'file' in options.statement ? path : 'the statement typed in the editor'
      contentCheck = await searchContent(kase, search, {outcome: outcome!, label: `statement version ${version}`, shownAs}, [], options.identifyingContent ?? 'refuse')
    } catch (error) {
      await run.discardOutcome(outcome!)
      throw error
    }

    await run.commitOutcome(outcome!)
    const {events, result} = kase.ledger.append((ledgerView) => {
      // The version number is decided under the write lock: two amendments at once cannot both be version n.
      const current = findTestimony(kase, view.exhibit)
      const previous = current.versions.at(-1)!
      const ingest = composeIngestEvents(kase, ledgerView, [outcome!], provenance)
      const [first] = ingest.result
      if (first?.result.status !== 'ingested') {
        throw new CustodyError('INVALID_ARGUMENT', `the corrected statement ${path} became an exhibit while it was being recorded; nothing was recorded`)
      }

      const statement = {exhibit: first.result.exhibit, sha256: first.result.sha256}
      const n = current.versions.length + 1
      // Another amendment may have taken version `version` meanwhile: the sources name the version recorded.
      const check: ContentCheck | null =
        contentCheck === null || n === version ? contentCheck : {...contentCheck, identifying: contentCheck.identifying.map((source) => source.replace(`statement version ${version}`, `statement version ${n}`))}
      return {
        drafts: [
          ...ingest.drafts,
          {
            actor: provenance.actor,
            action: 'testimony-amended' as const,
            exhibit: current.exhibit,
            payload: {
              witness: current.witness,
              version: n,
              statement,
              previous: {version: previous.version, exhibit: previous.exhibit, sha256: previous.sha256},
              reason,
              contentCheck: check,
            },
          },
        ],
        result: {statement: {version: n, ...statement, size: first.result.size!}, previous: {version: previous.version, exhibit: previous.exhibit, sha256: previous.sha256}, contentCheck: check},
      }
    })
    await kase.recordHead()
    return {exhibit: view.exhibit, witness: view.witness, ...result, reason, seq: events.at(-1)!.event.seq}
  })
}
