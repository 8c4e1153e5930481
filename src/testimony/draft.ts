/**
 * Drafts of unfinished interviews: what `testimony add` has been told so far, kept so that a late
 * mistake, Ctrl-C, an error or a crash loses no answer and no typed statement.
 *
 * A draft is one file in .custody/drafts/ per interview, written again after every answer (temp
 * file, fsync, rename: writeFileDurably), so a process killed mid-interview loses at most the
 * answer being typed. The answers (the witness's name and statement among them) are sealed to the
 * case's witness identity key as identities are (identity.ts: a one-time X25519 key, HKDF-SHA256,
 * AES-256-GCM, the case and the draft's ID bound in): writing needs no passphrase, reading needs
 * it. In clear are only when the draft was started and last saved, how many answers it holds,
 * whether the statement was typed, and which custody process is writing it, so that a draft can
 * be offered (and told apart) before the passphrase is given.
 *
 * A draft is removed once its testimony is recorded, or when the investigator discards it.
 */
import {randomBytes, type KeyObject} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {mkdir, readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {CustodyError, messageOf} from '../errors.js'
import {PRIVATE_FOLDER, writeFileDurably} from '../io/files.js'
import {isProcessRunning, processStart} from '../io/process-identity.js'
import {isSealedBox, openWithIdentityKey, sealToIdentityKey, type IdentityPublicKey, type SealedBox} from './identity.js'
import type {InterviewDraft, InterviewState} from './interview.js'

export const DRAFTS_FOLDER = 'drafts'
const FORMAT = 'custody-testimony-draft/v1'
const HKDF_INFO = 'custody testimony draft v1'
const DRAFT_NAME = /^testimony-([0-9a-f]{16})\.json$/u

interface DraftFile extends SealedBox {
  format: typeof FORMAT
  id: string
  startedAt: string
  savedAt: string
  /** How many questions it holds an answer to. */
  answers: number
  statementTyped: boolean
  /** The custody process writing it: a draft another running custody is writing is not offered. */
  heldBy: {pid: number; start: string | null}
}

/** What can be said of a draft before the passphrase: never its content. */
export interface DraftInfo {
  id: string
  path: string
  startedAt: string
  savedAt: string
  answers: number
  statementTyped: boolean
  /** Another custody process, still running, is writing it. */
  inUse: boolean
}

function folderOf(dataDir: string): string {
  return join(dataDir, DRAFTS_FOLDER)
}

function associatedData(caseId: string, id: string): Buffer {
  return Buffer.from(`custody testimony draft ${caseId} ${id}`, 'utf8')
}

function isDraftFile(value: unknown): value is DraftFile {
  const file = value as Partial<DraftFile> | null
  return isSealedBox(value) && file?.format === FORMAT && typeof file.id === 'string' && typeof file.startedAt === 'string' && typeof file.answers === 'number' && typeof file.heldBy?.pid === 'number'
}

/** How many questions `state` holds an answer to (a list is one answer, and so is a list of attachments begun). */
function answerCount(state: InterviewState): number {
  return Object.values(state.answers).filter((value) => value !== undefined).length + (state.attachmentsSoFar === undefined ? 0 : 1)
}

/** The drafts of this case, oldest first, and the files in the drafts folder that are not readable drafts. */
export async function listDrafts(dataDir: string): Promise<{drafts: DraftInfo[]; unreadable: string[]}> {
  const drafts: DraftInfo[] = []
  const unreadable: string[] = []
  for (const name of (await readdir(folderOf(dataDir)).catch(() => [])).sort()) {
    if (!DRAFT_NAME.test(name)) continue
    const path = join(folderOf(dataDir), name)
    const file = await readFile(path, 'utf8')
      .then((text) => JSON.parse(text) as unknown)
      .catch(() => undefined)
    if (!isDraftFile(file) || `testimony-${file.id}.json` !== name) {
      unreadable.push(path)
      continue
    }

    const inUse = file.heldBy.pid !== process.pid && isProcessRunning(file.heldBy.pid, file.heldBy.start)
    drafts.push({id: file.id, path, startedAt: file.startedAt, savedAt: file.savedAt, answers: file.answers, statementTyped: file.statementTyped === true, inUse})
  }

  return {drafts: drafts.sort((a, b) => a.startedAt.localeCompare(b.startedAt)), unreadable}
}

/** Removes the drafts of this case that no running custody is writing; how many were removed, and how many were left in use. */
export async function discardDrafts(dataDir: string): Promise<{removed: number; inUse: number}> {
  const {drafts, unreadable} = await listDrafts(dataDir)
  const free = drafts.filter((draft) => !draft.inUse)
  for (const path of [...free.map((draft) => draft.path), ...unreadable]) await rm(path, {force: true})
  return {removed: free.length + unreadable.length, inUse: drafts.length - free.length}
}

/** One interview's draft: kept after every answer, removed when the testimony is recorded. */
export class TestimonyDraft implements InterviewDraft {
  private readonly heldBy = {pid: process.pid, start: processStart(process.pid)}
  private written = false

  private constructor(
    private readonly dataDir: string,
    private readonly caseId: string,
    private readonly key: IdentityPublicKey,
    readonly id: string,
    readonly startedAt: string,
  ) {}

  /** A new draft; nothing is written before its first answer. */
  static begin(dataDir: string, caseId: string, key: IdentityPublicKey): TestimonyDraft {
    return new TestimonyDraft(dataDir, caseId, key, randomBytes(8).toString('hex'), new Date().toISOString())
  }

  /** The answers a draft holds, opened with the identity key's private half. */
  static read(info: DraftInfo, caseId: string, privateKey: {key: KeyObject}): InterviewState {
    try {
      const file = JSON.parse(readFileSync(info.path, 'utf8')) as unknown
      if (!isDraftFile(file) || file.id !== info.id) throw new Error('not a draft of custody')
      const plain = openWithIdentityKey(file, privateKey, HKDF_INFO, associatedData(caseId, info.id))
      const state = JSON.parse(plain.toString('utf8')) as InterviewState
      plain.fill(0)
      if (typeof state.answers !== 'object' || state.answers === null) throw new Error('it holds no answers')
      return state
    } catch (error) {
      throw new CustodyError('INTEGRITY', `the draft ${info.path} cannot be opened (${messageOf(error)}): it was altered, or belongs to another case. Remove it with \`custody testimony add --discard-draft\``, {subject: info.path, cause: error})
    }
  }

  /** Goes on with a draft read(): this process writes it from now on. */
  static async takeOver(info: DraftInfo, dataDir: string, caseId: string, key: IdentityPublicKey, state: InterviewState): Promise<TestimonyDraft> {
    const draft = new TestimonyDraft(dataDir, caseId, key, info.id, info.startedAt)
    await draft.keep(state)
    return draft
  }

  /** Whether the draft is on disk. */
  get saved(): boolean {
    return this.written
  }

  private get path(): string {
    return join(folderOf(this.dataDir), `testimony-${this.id}.json`)
  }

  async keep(state: InterviewState): Promise<void> {
    const plain = Buffer.from(JSON.stringify(state), 'utf8')
    const sealed = sealToIdentityKey(plain, this.key, HKDF_INFO, associatedData(this.caseId, this.id))
    plain.fill(0)
    const file: DraftFile = {
      format: FORMAT,
      id: this.id,
      startedAt: this.startedAt,
      savedAt: new Date().toISOString(),
      answers: answerCount(state),
      statementTyped: state.answers.statementText !== undefined,
      heldBy: this.heldBy,
      ...sealed,
    }
    await mkdir(folderOf(this.dataDir), {recursive: true, mode: PRIVATE_FOLDER})
    await writeFileDurably(this.path, `${JSON.stringify(file, null, 2)}\n`, {overwrite: true})
    this.written = true
  }

  async discard(): Promise<void> {
    await rm(this.path, {force: true})
    this.written = false
  }
}
