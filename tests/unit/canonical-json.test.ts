import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {canonicalize, isCanonical} from '../../src/canonical/jcs.js'
import {CustodyError} from '../../src/errors.js'

describe('RFC 8785 canonical JSON', () => {
  it('sorts member names by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20AC': 'Euro Sign',
      '\r': 'Carriage Return',
      '\uFB33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\uD83D\uDE00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00F6': 'Latin Small Letter O With Diaeresis',
    }
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00F6":"Latin Small Letter O With Diaeresis",' +
        '"\u20AC":"Euro Sign","\uD83D\uDE00":"Emoji: Grinning Face","\uFB33":"Hebrew Letter Dalet With Dagesh"}',
    )
  })

  it('writes numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [-0, '0'],
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      // eslint-disable-next-line no-loss-of-precision -- RFC 8785 §3.2.2.3 uses this literal to show rounding
      [333333333.33333329, '333333333.3333333'],
      [9007199254740991, '9007199254740991'],
      [-1.5, '-1.5'],
      [54.9896666666667, '54.9896666666667'],
    ]
    for (const [n, text] of cases) expect(canonicalize(n)).toBe(text)
  })

  it('escapes strings minimally, as JSON.stringify does', () => {
    expect(canonicalize('a"b\\c\n\u001F\u007F é')).toBe('"a\\"b\\\\c\\n\\u001f\u007F é"')
    expect(canonicalize({b: [true, false, null], a: {}})).toBe('{"a":{},"b":[true,false,null]}')
  })

  it('refuses what JSON or I-JSON cannot carry, with the path', () => {
    for (const bad of [Number.NaN, Infinity, undefined, '\uD800', {k: undefined}, new Date(0), [() => 1], 10n]) {
      expect(() => canonicalize(bad), String(bad)).toThrow(CustodyError)
    }

    expect(() => canonicalize({a: [1, {b: Number.NaN}]})).toThrow('$.a[1].b')
  })

  it('is idempotent and keeps the data (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value)
        expect(isCanonical(text)).toBe(true)
        expect(canonicalize(JSON.parse(text))).toBe(text)
        // The same data in any member order canonicalises to the same text.
        expect(canonicalize(JSON.parse(JSON.stringify(value)))).toBe(text)
      }),
      {numRuns: 500},
    )
  })

  it('tells canonical text from a re-serialisation that is not', () => {
    expect(isCanonical('{"a":1,"b":2}')).toBe(true)
    expect(isCanonical('{"b":2,"a":1}')).toBe(false)
    expect(isCanonical('{"a": 1}')).toBe(false)
    expect(isCanonical('not json')).toBe(false)
  })
})
