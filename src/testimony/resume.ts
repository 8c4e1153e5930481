/**
 * Which interview `testimony add` goes on with at a terminal: a draft left by an earlier one
 * (draft.ts), or a new one, whose answers are kept in a new draft. Before the passphrase only
 * what a draft's file says in clear is told (when it was started, how many answers); once the
 * passphrase opens the identity key, each draft is opened to name its witness code.
 */
import type {Case} from '../case/case.js'
import {CustodyError, messageOf} from '../errors.js'
import {QuestionCancelled, type Asker} from './asker.js'
import {listDrafts, TestimonyDraft, type DraftInfo} from './draft.js'
import {caseRecipients} from '../keys/case-keys.js'
import {ensureIdentityKey, openIdentityKey} from './identity.js'
import type {InterviewState} from './interview.js'
import {localTime} from './typed-time.js'

/** How a draft is described before it is opened: never its content. */
export function describeDraft(draft: DraftInfo): string {
  const when = (iso: string) => localTime(new Date(iso)).replace('T', ' ')
  const what = `${draft.answers} answer${draft.answers === 1 ? '' : 's'}${draft.statementTyped ? ', the statement typed' : ''}`
  return `started ${when(draft.startedAt)}, ${what}, last kept ${when(draft.savedAt)}${draft.inUse ? ' (another custody, still running, is writing it: not offered)' : ''}`
}

/** The case's drafts, and what to tell of them before the passphrase (empty when there are none). */
export async function draftsToTell(dataDir: string): Promise<{drafts: DraftInfo[]; told: string}> {
  const {drafts, unreadable} = await listDrafts(dataDir)
  const lines = [
    ...(drafts.length === 0
      ? []
      : [
          drafts.length === 1 ? 'An unfinished interview of this case is kept in an encrypted draft:' : `${drafts.length} unfinished interviews of this case are kept in encrypted drafts:`,
          ...drafts.map((draft) => `  ${describeDraft(draft)}`),
          'The passphrase opens it, to resume it or to start a new interview.',
        ]),
    ...unreadable.map((path) => `${path} is not a readable draft; it is left as it is.`),
  ]
  return {drafts, told: lines.length === 0 ? '' : `${lines.join('\n')}\n`}
}

/** The interview to go on with: its draft, and where it stopped when resumed. */
export interface Continued {
  draft: TestimonyDraft
  resumed?: InterviewState
}

/**
 * Offers each draft no running custody is writing, by witness code, and a new interview (which
 * leaves the drafts as they are); returns the draft to keep the answers in. The identity key is
 * made here when the case has none yet: drafts are sealed to it.
 */
export async function continueInterview(kase: Case, passphrase: string, drafts: readonly DraftInfo[], ask: Asker): Promise<Continued> {
  const publicKey = await ensureIdentityKey(kase.dataDir, passphrase, caseRecipients(kase))
  const free = drafts.filter((draft) => !draft.inUse)
  if (free.length === 0) return {draft: TestimonyDraft.begin(kase.dataDir, kase.info.caseId, publicKey)}
  const privateKey = await openIdentityKey(kase.dataDir, passphrase)
  const opened = free.map((info) => {
    try {
      return {info, state: TestimonyDraft.read(info, kase.info.caseId, privateKey) as InterviewState | undefined, why: ''}
    } catch (error) {
      return {info, state: undefined, why: error instanceof CustodyError ? error.message : messageOf(error)}
    }
  })
  for (const {why} of opened) if (why !== '') ask.tell(`${why}\n`)
  const choices = opened
    .filter(({state}) => state !== undefined)
    .map(({info, state}) => ({value: info.id, name: `Resume the interview of ${state!.answers.witness ?? 'a witness not yet named'} (${describeDraft(info)})`}))
  const stays = choices.length === 1 ? 'the draft stays; `custody testimony add --discard-draft` removes it' : 'the drafts stay; `custody testimony add --discard-draft` removes them'
  const fresh = {value: '', name: `Start a new interview (${stays})`}
  const chosen = choices.length === 0 ? '' : await ask.choose({message: 'Resume an unfinished interview?', choices: [...choices, fresh]}).catch((error: unknown) => {
    throw error instanceof QuestionCancelled ? new CustodyError('INTERRUPTED', 'cancelled at a prompt; nothing was recorded, and the drafts are as they were') : error
  })
  const resumed = opened.find(({info}) => info.id === chosen)
  if (resumed === undefined) return {draft: TestimonyDraft.begin(kase.dataDir, kase.info.caseId, publicKey)}
  const draft = await TestimonyDraft.takeOver(resumed.info, kase.dataDir, kase.info.caseId, publicKey, resumed.state!)
  ask.tell(`Resuming the interview of ${resumed.state!.answers.witness ?? 'a witness not yet named'}: ${resumed.info.answers} answers kept.\n`)
  return {draft, resumed: resumed.state!}
}
