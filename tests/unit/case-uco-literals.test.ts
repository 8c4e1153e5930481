/**
 * The CASE/UCO export's IRIs and typed values: name-based UUIDs as RFC 9562 and Python's uuid5
 * make them (its Appendix A.4 vector), and xsd:dateTime and xsd:decimal only in their lexical forms.
 */
import {describe, expect, it} from 'vitest'
import {iriMaker, nameUuid} from '../../src/case-uco/iri.js'
import {dateTime, decimal, hexBinary, node} from '../../src/case-uco/literals.js'

describe('nameUuid', () => {
  it('gives the UUIDv5 of RFC 9562 Appendix A.4 (DNS namespace, www.example.com)', () => {
    expect(nameUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2')
  })

  it("gives custody's namespace as Python's uuid.uuid5(uuid.NAMESPACE_URL, 'urn:custody:') does", () => {
    expect(nameUuid('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'urn:custody:')).toBe('a22658b9-47db-5657-aecb-db5c2a43fa30')
  })
})

describe('iriMaker', () => {
  it('gives the same IRI for the same seal and parts, another for another seal or part', () => {
    const a = iriMaker('SEAL-0123456789abcdef')
    expect(a('file', 'EX-000001')).toBe(iriMaker('SEAL-0123456789abcdef')('file', 'EX-000001'))
    expect(a('file', 'EX-000001')).toMatch(/^kb:file-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a('file', 'EX-000001')).not.toBe(iriMaker('SEAL-fedcba9876543210')('file', 'EX-000001'))
    expect(a('file', 'EX-000001')).not.toBe(a('file', 'EX-000002'))
    // Parts are kept apart: ("a", "bc") is not ("ab", "c").
    expect(a('x', 'a', 'bc')).not.toBe(a('x', 'ab', 'c'))
  })
})

describe('typed values', () => {
  it('writes xsd:dateTime with seconds, and nothing for a date alone or a time not written so', () => {
    expect(dateTime('2024-04-02T15:00+03:00')).toEqual({'@type': 'xsd:dateTime', '@value': '2024-04-02T15:00:00+03:00'})
    expect(dateTime('2026-12-04T12:26:52.399Z')?.['@value']).toBe('2026-12-04T12:26:52.399Z')
    expect(dateTime('2024-03-01T14:05:00')?.['@value']).toBe('2024-03-01T14:05:00')
    for (const bad of ['2024-03-01', '2024:03:01 14:05:00', 'yesterday', 12, null]) expect(dateTime(bad)).toBeUndefined()
  })

  it('writes xsd:decimal never in exponent form', () => {
    expect(decimal(54.9896666666667)?.['@value']).toBe('54.9896666666667')
    expect(decimal(-1.91)?.['@value']).toBe('-1.91')
    expect(decimal(1e-7)?.['@value']).toBe('0.0000001')
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '54.9', null]) expect(decimal(bad)).toBeUndefined()
  })

  it('writes xsd:hexBinary only of hex digits in pairs', () => {
    expect(hexBinary('00ff')).toEqual({'@type': 'xsd:hexBinary', '@value': '00ff'})
    for (const bad of ['0ff', 'xyz0', '', 5]) expect(hexBinary(bad)).toBeUndefined()
  })

  it('leaves out the properties that have no value', () => {
    expect(node({'@id': 'kb:x', a: undefined, b: null, c: '', d: [], e: 0, f: false})).toEqual({'@id': 'kb:x', e: 0, f: false})
  })
})
