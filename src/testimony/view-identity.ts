/**
 * Opening a witness's protected identity. It needs the case passphrase, and every opening is a
 * custody event (`identity-viewed`: who, when, why) appended before anything is shown. The
 * decrypted record must hash to the commitment the testimony recorded; with `disclose`, its exact
 * bytes are written to a file, so a court can check them with `sha256sum` against that commitment.
 */
import {existsSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import type {Case} from '../case/case.js'
import {CustodyError, messageOf, said} from '../errors.js'
import {sha256Hex} from '../hashing/digests.js'
import {checkDestination, writeFileDurably} from '../io/files.js'
import {FOLLOW_UP} from './fields.js'
import {IdentifyingSearch, refuseIdentifying} from './identifying.js'
import type {AgeIdentity} from '../age/x25519.js'
import {identityKeyUnlock, openIdentity, openIdentityKey, type IdentityKeyUnlock, type IdentityRecord} from './identity.js'
import {findTestimony, type IdentityReference, type TestimonyView} from './testimonies.js'

export interface ViewIdentityOptions {
  passphrase: string
  /** Recipients' identities that open the witness identity key (identities.recipients.age), instead of the passphrase; it still signs the event. */
  identities?: readonly AgeIdentity[] | undefined
  reason?: string | undefined
  actor?: string | undefined
  /** Write the committed bytes of the record to this file (never over an existing one). */
  disclose?: string | undefined
  cwd?: string | undefined
}

export interface IdentityViewReport {
  exhibit: string
  witness: string
  identity: IdentityRecord
  commitment: string
  disclosedTo: string | null
  seq: number
}

/**
 * The witness's identity record, decrypted and checked against the commitment the testimony
 * recorded. Shown to no one by itself: viewIdentity() records the access first.
 */
async function openSealedIdentity(kase: Case, view: TestimonyView & {identity: IdentityReference}, unlock: IdentityKeyUnlock): Promise<{record: IdentityRecord; bytes: Buffer}> {
  const where = `the sealed identity of ${view.witness} (vault object ${view.identity.sealedRecord})`
  let sealed: unknown
  try {
    sealed = JSON.parse((await kase.vault.readObject(view.identity.sealedRecord)).toString('utf8'))
  } catch (error) {
    if (error instanceof CustodyError && error.code === 'WRONG_KEY') throw error
    throw new CustodyError('INTEGRITY', `${where} cannot be used: ${messageOf(error)}. Run \`custody verify\``, {subject: view.exhibit, cause: error})
  }

  const key = await openIdentityKey(kase.dataDir, unlock)
  const opened = openIdentity(sealed, key, {caseId: kase.info.caseId, witness: view.witness}, where)
  const commitment = sha256Hex(opened.bytes)
  if (commitment !== view.identity.commitment) {
    throw new CustodyError('INTEGRITY', `${where} does not match the commitment recorded at the interview (${view.identity.commitment}, found ${commitment}). Run \`custody verify\``, {subject: view.exhibit})
  }

  return opened
}

/**
 * The search for this witness's name and contact (identifying.ts), for checking a later note,
 * reason or statement version against them. The identity is decrypted in memory for the
 * comparison only, never shown or written, so it is not recorded as an `identity-viewed` event
 * (which records that a person saw it). A testimony taken without a name or contact has nothing
 * to search for.
 */
export async function identifyingSearchOf(kase: Case, view: TestimonyView, unlock: IdentityKeyUnlock | undefined): Promise<IdentifyingSearch> {
  if (view.identity === null || !view.identity.fields.some((f) => f === 'name' || f === 'contact')) return IdentifyingSearch.of({name: null, contact: null})
  if (unlock === undefined) throw new CustodyError('PASSPHRASE_MISSING', `the passphrase is needed to check the text against the identity of witness ${view.witness}`)
  const {record} = await openSealedIdentity(kase, {...view, identity: view.identity}, unlock)
  return IdentifyingSearch.of({name: record.name, contact: record.contact})
}

/**
 * Where the identity record is disclosed, resolved (null: it is not): a new file, in a folder it
 * can be written to.
 */
export function disclosureDestination(options: Pick<ViewIdentityOptions, 'disclose' | 'cwd'>): string | null {
  if (options.disclose === undefined) return null
  const target = checkDestination(options.disclose, FOLLOW_UP.disclose, options.cwd)
  if (existsSync(target)) throw disclosedAlready(target)
  return target
}

function disclosedAlready(target: string): CustodyError {
  return new CustodyError('INVALID_ARGUMENT', said`${target} already exists; choose another ${FOLLOW_UP.disclose} file. Nothing was recorded`, {subject: target})
}

/**
 * What can be refused without the key: a testimony that does not exist or recorded no identity,
 * and a disclosure file that cannot be written or is already there (disclosureDestination). The
 * command runs it before it asks for the passphrase; viewIdentity() runs it again, before the
 * identity is opened.
 */
export function checkIdentityView(kase: Case, ref: string, options: Pick<ViewIdentityOptions, 'disclose' | 'cwd'>): TestimonyView & {identity: IdentityReference} {
  const view = findTestimony(kase, ref)
  if (view.identity === null) {
    throw new CustodyError('INVALID_ARGUMENT', `no identity was recorded for witness ${view.witness} (${view.exhibit}): the testimony was taken without a name, contact or protected notes`)
  }

  disclosureDestination(options)
  return {...view, identity: view.identity}
}

export async function viewIdentity(kase: Case, ref: string, options: ViewIdentityOptions): Promise<IdentityViewReport> {
  await kase.assertIntactHead()
  const view = checkIdentityView(kase, ref, options)
  const disclosedTo = disclosureDestination(options)
  const {record, bytes} = await openSealedIdentity(kase, view, identityKeyUnlock(options))
  // The reason is recorded in clear, like every note.
  const search = IdentifyingSearch.of({name: record.name, contact: record.contact})
  refuseIdentifying(search, FOLLOW_UP.reason, options.reason?.trim())
  refuseIdentifying(search, FOLLOW_UP.actor, options.actor?.trim())
  const commitment = sha256Hex(bytes)
  // Checked again as it is written: the file may have appeared since.
  if (disclosedTo !== null && !(await writeFileDurably(disclosedTo, bytes, {mode: 0o600, overwrite: false}))) throw disclosedAlready(disclosedTo)

  try {
    const {events} = kase.ledger.append(() => ({
      drafts: [
        {
          actor: options.actor?.trim() || kase.info.investigator,
          action: 'identity-viewed',
          exhibit: view.exhibit,
          payload: {witness: view.witness, reason: options.reason?.trim() || null, disclosed: disclosedTo === null ? null : {sha256: commitment}},
        },
      ],
      result: undefined,
    }))
    await kase.recordHead()
    return {exhibit: view.exhibit, witness: view.witness, identity: record, commitment, disclosedTo, seq: events[0]!.event.seq}
  } catch (error) {
    // Shown or disclosed only once the access is on record.
    if (disclosedTo !== null) await rm(disclosedTo, {force: true})
    throw error
  }
}
