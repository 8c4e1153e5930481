/**
 * Times as typed at the interview's prompts (src/testimony/typed-time.ts), read in a zone with
 * summer time: this computer's zone is assumed where the text gives none, and said.
 */
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {TESTIMONY} from '../../src/testimony/fields.js'
import {localTime, machineZone, readTime} from '../../src/testimony/typed-time.js'

const zone = process.env.TZ
beforeAll(() => {
  process.env.TZ = 'Europe/Kyiv'
})
afterAll(() => {
  if (zone === undefined) delete process.env.TZ
  else process.env.TZ = zone
})

/** 08:00 UTC on 6 March 2024: 10:00 in Kyiv. */
const now = new Date('2024-03-06T08:00:00Z')
/** As ICU names it (Node 20's ICU still says Europe/Kiev). */
let ZONE = ''
beforeAll(() => {
  ZONE = machineZone()
})
const read = (text: string, day?: string) => readTime(text, TESTIMONY.endedAt, {now, day})

describe('readTime', () => {
  it('takes a date and time without a zone in this computer’s zone, at that date, and says so', () => {
    expect(read('2024-03-05 10:00')).toEqual({iso: '2024-03-05T10:00+02:00', assumed: `this computer's zone, ${ZONE}`})
    expect(read('2024-07-05T10:00').iso).toBe('2024-07-05T10:00+03:00')
    expect(read('2024-03-05 9:05:30').iso).toBe('2024-03-05T09:05:30+02:00')
  })

  it('keeps a zone that is given, in the form custody records, and assumes nothing', () => {
    expect(read('2024-03-05T10:00+02:00')).toEqual({iso: '2024-03-05T10:00+02:00'})
    expect(read('2024-03-05 10:00 Z')).toEqual({iso: '2024-03-05T10:00Z'})
    expect(read('2024-03-05 10:00 UTC')).toEqual({iso: '2024-03-05T10:00Z'})
    expect(read('2024-03-05 10:00-0330')).toEqual({iso: '2024-03-05T10:00-03:30'})
  })

  it('reads now, today and yesterday by this computer’s clock', () => {
    expect(read('now')).toEqual({iso: '2024-03-06T10:00+02:00', assumed: `this computer's clock and zone, ${ZONE}`})
    expect(read('NOW').iso).toBe('2024-03-06T10:00+02:00')
    expect(read('today 09:15').iso).toBe('2024-03-06T09:15+02:00')
    expect(read('yesterday 22:15').iso).toBe('2024-03-05T22:15+02:00')
  })

  it('puts a bare time of day on the day, and in the zone, of the start', () => {
    expect(read('11:30', '2024-03-05T10:00+03:00')).toEqual({iso: '2024-03-05T11:30+03:00', assumed: 'the day and zone of the start, 2024-03-05 +03:00'})
    expect(read('9:45', '2024-03-05T08:00Z').iso).toBe('2024-03-05T09:45Z')
    expect(read('11:30').iso).toBe('2024-03-06T11:30+02:00')
  })

  it('refuses what is not a time, naming the field, with examples in this computer’s zone', () => {
    for (const text of ['Kherson', 'tomorrow', '2024-03-05', '5 March 10:00', '']) {
      expect(() => read(text)).toThrow(`the end of the interview must be a date and time, such as 2024-03-05 10:00 (taken in this computer's zone, ${ZONE}), 2024-03-05T10:00+02:00, 10:00, yesterday 22:15 or now; got ${JSON.stringify(text)}`)
    }

    expect(() => read('yesterday')).toThrow('give the time too, such as yesterday 10:00')
    expect(() => read('2024-02-30 10:00')).toThrow('no such day in the calendar')
    expect(() => read('2024-03-05 24:00')).toThrow('no such time of day')
    expect(() => read('25:00', '2024-03-05T10:00+03:00')).toThrow('no such time of day')
    expect(() => read('2024-02-30T10:00+02:00')).toThrow('no such day or zone')
  })

  it('refuses a time the clocks skipped when summer time began', () => {
    // Kyiv moved from 03:00 to 04:00 on 31 March 2024.
    expect(() => read('2024-03-31 03:30')).toThrow(`there was no such time in ${ZONE}: the clocks changed then`)
    expect(read('2024-03-31 04:30').iso).toBe('2024-03-31T04:30+03:00')
  })

  it('reads back every time this computer’s clock shows (property)', () => {
    fc.assert(
      fc.property(fc.date({min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true}), (date) => {
        const shown = localTime(date)
        expect(read(shown).iso).toBe(shown)
        // Without its zone, a time of the hour the clocks went back is read as its first occurrence.
        expect(read(shown.slice(0, 16).replace('T', ' ')).iso.slice(0, 16)).toBe(shown.slice(0, 16))
      }),
    )
  })
})
