/**
 * The core's errors name input fields, not flags (src/errors.ts); a command names the flag that
 * gives each field (commands/_base.ts).
 */
import {Flags} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {CustodyCommand, commandMessage, flagFor} from '../../commands/_base.js'
import TestimonyAdd from '../../commands/testimony/add.js'
import TestimonyConsent from '../../commands/testimony/consent.js'
import {CustodyError, fields, given, said, sayWith} from '../../src/errors.js'
import {FOLLOW_UP} from '../../src/testimony/fields.js'
import {IdentifyingSearch, refuseIdentifying} from '../../src/testimony/identifying.js'
import {checkTestimony} from '../../src/testimony/record.js'
import {refusal} from '../helpers/refusal.js'

const F = fields({out: 'the output file', force: 'the force option', interviewers: 'the interviewers', passphraseFile: 'a passphrase file', caseDir: 'the case folder', json: 'the JSON output'})

class Example extends CustodyCommand {
  static override flags = {
    case: Flags.string({helpValue: 'DIR'}),
    'passphrase-file': Flags.string({helpValue: 'FILE'}),
    out: Flags.string({helpValue: 'FILE'}),
    interviewer: Flags.string({multiple: true, helpValue: 'NAME'}),
  }

  static override fieldFlags = {interviewers: 'interviewer'}

  async run(): Promise<void> {}
}

describe('an error that names fields', () => {
  const error = new CustodyError('INVALID_ARGUMENT', said`/cases/a.zip already exists; choose another ${F.out}, or add ${F.force} to replace it`, {subject: '/cases/a.zip'})

  it('says them in the core in words, and is about the first it names', () => {
    expect(error.message).toBe('/cases/a.zip already exists; choose another the output file, or add the force option to replace it')
    expect(error.field).toBe('out')
    expect(error.toJSON()).toEqual({code: 'INVALID_ARGUMENT', message: error.message, subject: '/cases/a.zip', field: 'out'})
    expect(new CustodyError('USAGE', 'plain text').field).toBeUndefined()
    expect(new CustodyError('USAGE', 'plain text').toJSON()).not.toHaveProperty('field')
  })

  it('splices a message put inside another, keeping its fields', () => {
    const outer = said`the statement: ${said`${F.out} must name a .zip file, got ${JSON.stringify('a.txt')}`}; nothing was recorded`
    expect(sayWith(outer)).toBe('the statement: the output file must name a .zip file, got "a.txt"; nothing was recorded')
    expect(sayWith(outer, (field) => `<${field.name}>`)).toBe('the statement: <out> must name a .zip file, got "a.txt"; nothing was recorded')
    expect(new CustodyError('USAGE', outer).field).toBe('out')
  })
})

describe("a command's names for the fields", () => {
  it('is the flag named like the field (kebab case), or as its table or the shared one says', () => {
    expect(flagFor(Example, F.out)).toBe('--out')
    expect(flagFor(Example, F.passphraseFile)).toBe('--passphrase-file')
    expect(flagFor(Example, F.interviewers)).toBe('--interviewer')
    expect(flagFor(Example, F.caseDir)).toBe('--case')
    expect(flagFor(Example, F.json)).toBe('--json')
  })

  it('adds what the flag takes where the message asks for the field, and keeps the words where it has no flag', () => {
    expect(flagFor(Example, given(F.passphraseFile))).toBe('--passphrase-file FILE')
    expect(flagFor(Example, F.force)).toBe('the force option')
  })

  it('turns the core message into the one users see', () => {
    const error = new CustodyError('INVALID_ARGUMENT', said`${F.interviewers} contains the witness's name; pass ${given(F.passphraseFile)}`)
    expect(commandMessage(Example, error)).toBe("--interviewer contains the witness's name; pass --passphrase-file FILE")
    expect(commandMessage(Example, new CustodyError('USAGE', 'no fields here'))).toBe('no fields here')
  })
})

describe('the testimony commands', () => {
  const NAME = 'Olena Kovalenko'

  it('name the flags of `testimony add` for what the core refuses in words', () => {
    const input = {witness: 'W-014', interviewedAt: '2024-03-05T10:00+02:00', place: 'Kyiv', interviewers: [NAME], consent: ['none'], statementFile: 's.txt', witnessName: NAME}
    const error = refusal(() => checkTestimony(input))
    expect(error.message).toMatch(/^the interviewers contains the witness's name, .* belongs in the identity note, which is encrypted\. Nothing was recorded$/)
    expect(commandMessage(TestimonyAdd, error)).toMatch(/^--interviewer contains the witness's name, .* belongs in --identity-note, which is encrypted\. Nothing was recorded$/)
    const late = refusal(() => checkTestimony({...input, interviewers: ['A. Investigator'], interviewedAt: '2024-03-05 10:00'}))
    expect(commandMessage(TestimonyAdd, late)).toMatch(/^--interviewed-at must be an ISO 8601 date and time with its zone/)
  })

  it('keep the words for a field the command has no flag for', () => {
    const error = refusal(() => refuseIdentifying(IdentifyingSearch.of({name: NAME, contact: null}), FOLLOW_UP.note, 'as Olena said'))
    expect(commandMessage(TestimonyConsent, error)).toMatch(/^--note contains the witness's name, .* belongs in the identity note, which is encrypted/)
    expect(flagFor(TestimonyConsent, given(FOLLOW_UP.grant))).toBe('--grant SCOPE')
  })
})
