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

  it('will not take a name for a witness code, nor a time without its zone', async () => {
    const done = interview(without('witness', 'interviewedAt', 'endedAt'), {cwd: work.path, now: new Date('2024-03-05T08:00:00Z')})
    expect(screen.getScreen()).toContain('Witness code')
    await answer('Olena Kovalenko')
    expect(screen.getScreen()).toContain('must be a code such as W-014')
    await clear('Olena Kovalenko'.length)
    await answer('W-014')
    // The start defaults to the investigator's clock, with its offset.
    expect(screen.getScreen()).toContain(`(${localTime(new Date('2024-03-05T08:00:00Z'))})`)
    await answer('2024-03-05 10:00')
    expect(screen.getScreen()).toContain('must be an ISO 8601 date and time with its zone')
    await clear('2024-03-05 10:00'.length)
    await answer('2024-03-05T10:00+02:00')
    expect(screen.getScreen()).toContain('Interview ended')
    await answer('2024-03-05T09:00+02:00')
    expect(screen.getScreen()).toContain('the interview cannot end before it started')
    await clear(22)
    await answer('2024-03-05T11:30+02:00')
    screen.keypress('enter')
    const answers = await done
    expect(checkTestimony(answers).interview).toMatchObject({startedAt: '2024-03-05T10:00+02:00', endedAt: '2024-03-05T11:30+02:00'})
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
    await clear('no-such-file.mp4'.length)
    await answer('statement.txt')
    expect(screen.getScreen()).toContain('Attachment 2')
    await answer('')
    // A name that the code already carries is refused.
    expect(screen.getScreen()).toContain("Witness's name")
    await answer('Wanda Smith')
    expect(screen.getScreen()).toContain("contains part of the witness's name")
    await clear('Wanda Smith'.length)
    await answer('Maria')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.attachments).toEqual(['statement.txt'])
    expect(record.vulnerable).toBe(true)
    expect(record.protectedDetails).toMatchObject({name: 'Maria', vulnerability: 'a minor', referral: 'child protection services'})
  })

  it('refuses, at the prompt, a place or a person that holds the name or contact already given', async () => {
    const done = interview({...without('place', 'present'), witnessName: 'Olena Kovalenko', witnessContact: '+380 44 555 0142'}, {cwd: work.path})
    expect(screen.getScreen()).toContain('Where the interview took place')
    await answer("Kovalenko's yard")
    expect(screen.getScreen()).toContain("contains the witness's name, and it would be recorded in clear")
    await clear("Kovalenko's yard".length)
    await answer('Irpin, a yard')
    expect(screen.getScreen()).toContain('Anyone else present')
    await answer('a psychologist, her son (044 555 01 42)')
    expect(screen.getScreen()).toContain("contains the witness's contact details")
    await clear('a psychologist, her son (044 555 01 42)'.length)
    await answer('a psychologist')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.interview).toMatchObject({place: 'Irpin, a yard', present: ['a psychologist']})
  })

  it('once the name is given, asks again for what was answered before it and holds it', async () => {
    const done = interview({...without('place', 'witnessName'), note: 'the Kovalenko family asked for it'}, {cwd: work.path})
    await answer('near the Kovalenko house')
    expect(screen.getScreen()).toContain("Witness's name")
    await answer('Olena Kovalenko')
    // The place first, then the note (given as a flag); the reason goes to the output (the
    // terminal test reads it there).
    expect(screen.getScreen()).toContain('Where the interview took place')
    await answer('Bucha')
    expect(screen.getScreen()).toContain('Note recorded with the testimony')
    await answer('the family asked for it')
    expect(screen.getScreen()).toContain('Record the testimony of W-014?')
    screen.keypress('enter')
    const record = checkTestimony(await done)
    expect(record.interview.place).toBe('Bucha')
    expect(record.note).toBe('the family asked for it')
    expect(record.protectedDetails.name).toBe('Olena Kovalenko')
  })

  it('stops, recording nothing, when the investigator does not confirm', async () => {
    const done = interview({...GIVEN}, {cwd: work.path})
    screen.type('n')
    screen.keypress('enter')
    await expect(done).rejects.toThrow('the testimony was not recorded (not confirmed)')
  })
})
