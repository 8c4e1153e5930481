/**
 * The interactive testimony flow (src/testimony/interview.ts, asked on the terminal by
 * commands/testimony/_interview.ts), driven through @inquirer/testing: the real prompts, rendered
 * into a virtual terminal, answered key by key.
 */
import {screen} from '@inquirer/testing/vitest'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {interview, localTime} from '../../commands/testimony/_interview.js'
import {askForTestimony, type Asker, type InterviewState} from '../../src/testimony/interview.js'
import {checkTestimony, type TestimonyInput} from '../../src/testimony/record.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-interview-')
const statement = join(work.path, 'statement.txt')
writeFileSync(statement, 'What the witness said.\n')

afterAll(() => work.remove())

/** Everything but what a test wants asked. */
const GIVEN: TestimonyInput = {
  witness: 'W-014',
  interviewedAt: '2024-03-05T10:00+02:00',
  endedAt: '',
  place: 'Kyiv',
  interviewers: ['A. Investigator'],
  present: [],
  interpreter: '',
  languages: ['uk'],
  vulnerable: false,
  consent: ['court'],
  consentMethod: 'signed-form',
  consentAt: '2024-03-05T10:00+02:00',
  statementFile: statement,
  attachments: [],
  witnessName: '',
  witnessContact: '',
  identityNotes: '',
}

function without(...keys: Array<keyof TestimonyInput>): TestimonyInput {
  const given: TestimonyInput = {...GIVEN}
  for (const key of keys) delete given[key]
  return given
}

async function answer(text: string): Promise<void> {
  screen.type(text)
  screen.keypress('enter')
  await screen.next()
}

async function clear(count: number): Promise<void> {
  for (let i = 0; i < count; i++) screen.keypress('backspace')
  await Promise.resolve()
}

/** Deletes what is on the line (`typed`: refused and kept, or an answer given, to be changed), and answers `by`. */
async function retype(typed: string, by: string): Promise<void> {
  await clear(typed.length)
  await answer(by)
}

describe('interview', () => {
  it('asks only for what the flags did not give, then for confirmation', async () => {
    const done = interview(without('place'), {cwd: work.path})
    expect(screen.getScreen()).toContain('Where the interview took place')
    await answer('Kherson, community centre')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('enter')
    const answers = await done
    expect(answers.place).toBe('Kherson, community centre')
    expect(checkTestimony(answers).interview.place).toBe('Kherson, community centre')
  })

  it('will not take a name for a witness code, nor a time it cannot read; a time without its zone is shown back in this computer’s', async () => {
    const done = interview(without('witness', 'interviewedAt', 'endedAt'), {cwd: work.path, now: new Date('2024-03-05T08:00:00Z')})
    expect(screen.getScreen()).toContain('Witness code')
    await answer('Olena Kovalenko')
    expect(screen.getScreen()).toContain('must be a code such as W-014')
    await retype('Olena Kovalenko', 'W-014')
    // The start defaults to the investigator's clock, with its offset.
    expect(screen.getScreen()).toContain(`(${localTime(new Date('2024-03-05T08:00:00Z'))})`)
    await answer('5 March')
    expect(screen.getScreen()).toContain('must be a date and time, such as 2024-03-05 10:00')
    await retype('5 March', '2024-03-05 10:00')
    // Taken in this computer's zone, and shown back: not right, so asked again.
    expect(screen.getScreen()).toContain(`Taken as ${localTime(new Date(2024, 2, 5, 10, 0))} (this computer's zone,`)
    await answer('n')
    expect(screen.getScreen()).toContain('Interview started')
    await answer('2024-03-05T10:00+02:00')
    expect(screen.getScreen()).toContain('Interview ended')
    await answer('09:00')
    expect(screen.getScreen()).toContain('the interview cannot end before it started')
    await retype('09:00', '11:30')
    expect(screen.getScreen()).toContain('Taken as 2024-03-05T11:30+02:00 (the day and zone of the start, 2024-03-05 +02:00)')
    await answer('')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('enter')
    const answers = await done
    expect(checkTestimony(answers).interview).toMatchObject({startedAt: '2024-03-05T10:00+02:00', endedAt: '2024-03-05T11:30+02:00'})
  })

  it('refuses an end it cannot read at that question, with the reason, and asks again', async () => {
    const done = interview(without('endedAt'), {cwd: work.path})
    for (const typed of ['yesterday', 'Kherson']) {
      await answer(typed)
      expect(screen.getScreen()).toContain('Interview ended')
      expect(screen.getScreen()).toContain(`must be a date and time, such as 2024-03-05 10:00`)
      expect(screen.getScreen()).toContain(`got ${JSON.stringify(typed)}`)
      await clear(typed.length)
    }

    await answer('2024-03-05T12:00+02:00')
    screen.keypress('enter')
    expect(checkTestimony(await done).interview.endedAt).toBe('2024-03-05T12:00+02:00')
  })

  it('asks for consent scope by scope, then how it was given; no scope needs saying so', async () => {
    const done = interview(without('consent', 'consentMethod', 'consentAt'), {cwd: work.path})
    expect(screen.getScreen()).toContain('court: use of the statement and its attachments in judicial proceedings')
    // Nothing ticked: custody asks whether that is really the witness's answer.
    screen.keypress('enter')
    await screen.next()
    expect(screen.getScreen()).toContain('Record that the witness consented to none of these?')
    screen.keypress('enter') // default: no, ask again
    await screen.next()
    screen.keypress('space') // court
    screen.keypress('down')
    screen.keypress('down')
    screen.keypress('space') // advocacy
    screen.keypress('enter')
    await screen.next()
    expect(screen.getScreen()).toContain('How was consent given?')
    screen.keypress('down')
    screen.keypress('enter') // recorded-orally
    await screen.next()
    expect(screen.getScreen()).toContain('When was consent given')
    screen.keypress('enter') // default: the interview start
    await screen.next()
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.consent).toEqual({scopes: ['advocacy', 'court'], method: 'recorded-orally', givenAt: '2024-03-05T10:00+02:00'})
  })

  it('records "none" when the investigator confirms the witness consented to nothing', async () => {
    const done = interview(without('consent', 'consentMethod', 'consentAt'), {cwd: work.path})
    screen.keypress('enter')
    await screen.next()
    await answer('y')
    screen.keypress('enter')
    expect(checkTestimony(await done).consent).toEqual({scopes: [], method: null, givenAt: null})
  })

  it('takes attachments one at a time, refusing paths that are not files, and asks the vulnerable questions', async () => {
    const done = interview({...without('attachments', 'vulnerable', 'witnessName'), witness: 'Wanda-1'}, {cwd: work.path})
    expect(screen.getScreen()).toContain('Is the witness vulnerable')
    await answer('y')
    await answer('a minor')
    await answer('child protection services')
    await answer('no-such-file.mp4')
    expect(screen.getScreen()).toContain('no such file')
    await retype('no-such-file.mp4', 'statement.txt')
    expect(screen.getScreen()).toContain('Attachment 2')
    await answer('')
    // A name that the code already carries: the interview offers to change either; the name here.
    expect(screen.getScreen()).toContain("Witness's name")
    await answer('Wanda Smith')
    expect(screen.getScreen()).toContain('Which answer do you want to change?')
    expect(screen.getScreen()).toContain('the witness code (Wanda-1)')
    screen.keypress('down')
    await answer('')
    expect(screen.getScreen()).toContain("Witness's name")
    await retype('Wanda Smith', 'Maria')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.attachments).toEqual([statement])
    expect(record.vulnerable).toBe(true)
    expect(record.protectedDetails).toMatchObject({name: 'Maria', vulnerability: 'a minor', referral: 'child protection services'})
  })

  it('offers, when the name comes, to change the witness code that holds part of it, and checks the new code', async () => {
    const done = interview({...without('witness', 'witnessName')}, {cwd: work.path})
    await answer('Lenura')
    expect(screen.getScreen()).toContain("Witness's name")
    await answer('Lenura Ablaieva')
    expect(screen.getScreen()).toContain('Which answer do you want to change?')
    await answer('') // the witness code, first
    expect(screen.getScreen()).toContain('Witness code')
    await retype('Lenura', 'W-Lenura')
    expect(screen.getScreen()).toContain("contains part of the witness's name")
    await retype('W-Lenura', 'W-015')
    expect(screen.getScreen()).toContain('Record the testimony of W-015?')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.witness).toBe('W-015')
    expect(record.protectedDetails.name).toBe('Lenura Ablaieva')
  })

  it('refuses, at the prompt, a place or a person that holds the name or contact already given', async () => {
    const done = interview({...without('place', 'present'), witnessName: 'Olena Kovalenko', witnessContact: '+380 44 555 0142'}, {cwd: work.path})
    expect(screen.getScreen()).toContain('Where the interview took place')
    await answer("Kovalenko's yard")
    expect(screen.getScreen()).toContain("contains the witness's name, and it would be recorded in clear")
    await retype("Kovalenko's yard", 'Irpin, a yard')
    expect(screen.getScreen()).toContain('Anyone else present')
    await answer('a psychologist, her son (044 555 01 42)')
    expect(screen.getScreen()).toContain("contains the witness's contact details")
    await retype('a psychologist, her son (044 555 01 42)', 'a psychologist')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.interview).toMatchObject({place: 'Irpin, a yard', present: ['a psychologist']})
  })

  it('once the name is given, offers to change each answer before it that holds it, flags included', async () => {
    const done = interview({...without('place', 'witnessName'), note: 'the Kovalenko family asked for it'}, {cwd: work.path})
    await answer('near the Kovalenko house')
    expect(screen.getScreen()).toContain("Witness's name")
    await answer('Olena Kovalenko')
    // The place first, then the note (given as a flag); the reasons go to the output (the
    // terminal test reads them there).
    expect(screen.getScreen()).toContain('Which answer do you want to change?')
    await answer('')
    expect(screen.getScreen()).toContain('Where the interview took place')
    await retype('near the Kovalenko house', 'Bucha')
    expect(screen.getScreen()).toContain('Which answer do you want to change?')
    await answer('')
    expect(screen.getScreen()).toContain('Note recorded with the testimony')
    await retype('the Kovalenko family asked for it', 'the family asked for it')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.interview.place).toBe('Bucha')
    expect(record.note).toBe('the family asked for it')
    expect(record.protectedDetails.name).toBe('Olena Kovalenko')
  })

  it('lets any answer be changed from the summary, starting from the answer given', async () => {
    const done = interview({...without('place'), interpreter: 'B. Interpreter'}, {cwd: work.path})
    await answer('Kyiv, safe location')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('down')
    await answer('') // change an answer
    expect(screen.getScreen()).toContain('place: Kyiv, safe location')
    expect(screen.getScreen()).toContain('interviewers: A. Investigator')
    for (let i = 0; i < 3; i++) screen.keypress('down') // witness code, started, ended, place
    await answer('')
    expect(screen.getScreen()).toContain('Where the interview took place')
    // Emptied, the answer is checked as empty: the place is required.
    await retype('Kyiv, safe location', '')
    expect(screen.getScreen()).toContain('the place is required')
    await answer('Kyiv, partner office')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    // An answer emptied is taken as empty (inquirer would give the answer back).
    screen.keypress('down')
    await answer('')
    for (let i = 0; i < 6; i++) screen.keypress('down') // ... others present, interpreter
    await answer('')
    expect(screen.getScreen()).toContain('Interpreter (empty if none)')
    await retype('B. Interpreter', '')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('enter')
    expect(checkTestimony(await done).interview).toMatchObject({place: 'Kyiv, partner office', interpreter: null})
  })

  it('keeps the answers after each, and resumes from them', async () => {
    const kept: string[] = []
    const draft = {keep: async (state: InterviewState) => void kept.push(JSON.stringify(state.answers)), discard: async () => {}}
    const first = interview(without('place', 'interpreter', 'languages'), {cwd: work.path, draft})
    await answer('Irpin')
    expect(JSON.parse(kept.at(-1)!)).toMatchObject({place: 'Irpin'})
    expect(JSON.parse(kept.at(-1)!)).not.toHaveProperty('interpreter')
    await answer('B. Interpreter')
    const beforeLanguages = kept.at(-1)!
    expect(JSON.parse(beforeLanguages)).toMatchObject({place: 'Irpin', interpreter: 'B. Interpreter'})
    await answer('uk')
    // Stopped at the summary, keeping the draft.
    expect(screen.getScreen()).toContain('keeping the answers in an encrypted draft')
    screen.type('n')
    screen.keypress('enter')
    await expect(first).rejects.toThrow('not recorded')
    // Resumed from the draft as it was before the languages: they are asked, and nothing before them.
    const resumed = interview({...without('place', 'interpreter', 'languages')}, {cwd: work.path, resumed: {answers: JSON.parse(beforeLanguages) as TestimonyInput}})
    expect(screen.getScreen()).toContain('Languages of the interview')
    await answer('Crimean Tatar, Ukrainian')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('enter')
    const record = checkTestimony(await resumed)
    expect(record.interview).toMatchObject({place: 'Irpin', interpreter: 'B. Interpreter', languages: ['crh', 'uk']})
  })

  it('stops, recording nothing, when the investigator does not confirm', async () => {
    const done = interview({...GIVEN}, {cwd: work.path})
    screen.type('n')
    screen.keypress('enter')
    await expect(done).rejects.toThrow('the testimony was not recorded (not confirmed)')
  })

  it('shows every answer in the summary, what identifies the witness only as given', async () => {
    const told: string[] = []
    const asker = scripted([], told)
    const given: TestimonyInput = {...GIVEN, endedAt: '2024-03-05T11:30+02:00', present: ['a psychologist'], interpreter: 'B. Interpreter', languages: ['crh', 'uk'], attachments: [statement], witnessName: 'Lenura Ablaieva', note: 'by video'}
    await askForTestimony(given, asker, {cwd: work.path})
    const summary = told.join('')
    for (const row of [
      /witness code +W-014/u,
      /interview ended +2024-03-05T11:30\+02:00/u,
      /others present +a psychologist/u,
      /interpreter +B\. Interpreter/u,
      /languages +crh \(Crimean Tatar\), uk \(Ukrainian\)/u,
      /vulnerable +no/u,
      /consent +court/u,
      /consent method +signed-form/u,
      new RegExp(`attachments +${statement}`, 'u'),
      /witness's name +given \(to be encrypted; not shown\)/u,
      /contact details +none/u,
      /note +by video/u,
    ]) {
      expect(summary).toMatch(row)
    }

    expect(summary).not.toContain('Lenura')
  })

  it('asks again, before the summary, for a file of a draft that is no longer there', async () => {
    const told: string[] = []
    const asker = scripted(['file', statement], told)
    const answers = await askForTestimony({...GIVEN, statementFile: join(work.path, 'gone.txt')}, asker, {cwd: work.path})
    expect(told.join('')).toContain(`${join(work.path, 'gone.txt')} is no longer a file. Please give the statement again`)
    expect(answers.statementFile).toBe(statement)
  })
})

/** An Asker that gives `answers` in turn to text and choose questions, records what it is told, and records the testimony at the summary. */
function scripted(answers: string[], told: string[]): Asker {
  const next = (): string => answers.shift() ?? ''
  return {
    text: async () => next(),
    confirm: async (q) => q.default,
    choose: async (q) => (q.message.startsWith('Record the testimony') ? 'record' : next()),
    chooseAny: async () => [],
    longText: async () => next(),
    tell: (text) => void told.push(text),
  }
}
