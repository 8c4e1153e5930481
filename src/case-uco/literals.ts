/**
 * JSON-LD values as the CASE/UCO shapes check them (SHACL sh:datatype): a reference to a node,
 * an xsd:dateTime, an xsd:decimal and an xsd:hexBinary, each written only when its text is a valid
 * lexical form of its type (XML Schema 1.1 Part 2, §3.3.7, §3.3.3, §3.3.15), never guessed.
 */
export type JsonLdNode = Record<string, unknown>

export const ref = (id: string): {'@id': string} => ({'@id': id})

/** An xsd:dateTime from custody's times (RFC 3339, or ISO 8601 without seconds as the interview records them). */
export function dateTime(value: unknown): {'@type': 'xsd:dateTime'; '@value': string} | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/.exec(value)
  if (match === null) return undefined
  return {'@type': 'xsd:dateTime', '@value': `${match[1]!}${match[2] ?? ':00'}${match[3] ?? ''}`}
}

/** An xsd:decimal from a number (never in exponent form, which xsd:decimal does not allow). */
export function decimal(value: unknown): {'@type': 'xsd:decimal'; '@value': string} | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  const text = /e/i.test(String(value)) ? value.toFixed(20).replace(/\.?0+$/, '') : String(value)
  return {'@type': 'xsd:decimal', '@value': text}
}

export function hexBinary(value: unknown): {'@type': 'xsd:hexBinary'; '@value': string} | undefined {
  return typeof value === 'string' && /^(?:[0-9a-fA-F]{2})+$/.test(value) ? {'@type': 'xsd:hexBinary', '@value': value} : undefined
}

/** A node without the properties that have no value (JSON-LD would drop a null; custody writes none). */
export function node(properties: Record<string, unknown>): JsonLdNode {
  return Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)))
}
