/**
 * The JSON-LD context of custody's CASE/UCO export and the IRIs of its own nodes. CASE 1.4 and
 * UCO 1.4 name their terms under https://ontology.caseontology.org/ and
 * https://ontology.unifiedcyberontology.org/; custody's nodes are `kb:` IRIs that end with a UUID
 * (as UCO's identifier advisory asks), a name-based UUID of the seal ID and what the node stands
 * for (an exhibit ID, an event's ledger position): the same archive gives the same IRIs, and the same bytes.
 */
import {createHash} from 'node:crypto'

export const CASE_UCO_CONTEXT = {
  'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
  kb: 'urn:custody:',
  'uco-action': 'https://ontology.unifiedcyberontology.org/uco/action/',
  'uco-core': 'https://ontology.unifiedcyberontology.org/uco/core/',
  'uco-identity': 'https://ontology.unifiedcyberontology.org/uco/identity/',
  'uco-location': 'https://ontology.unifiedcyberontology.org/uco/location/',
  'uco-observable': 'https://ontology.unifiedcyberontology.org/uco/observable/',
  'uco-tool': 'https://ontology.unifiedcyberontology.org/uco/tool/',
  'uco-types': 'https://ontology.unifiedcyberontology.org/uco/types/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
} as const

/** RFC 9562 §6.6: the URL namespace, under which custody's own namespace is named. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'

/**
 * A name-based UUID, version 5 (RFC 9562 §5.5: SHA-1 of the namespace and the name, version and
 * variant bits set), so that anyone can derive the same IRI with a standard tool. SHA-1 serves
 * here as a name, not as a proof: nothing in custody's evidence rests on it.
 */
export function nameUuid(namespace: string, name: string): string {
  const bytes = createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** custody's namespace: the URL namespace's UUID of the kb: prefix. */
const CUSTODY_NAMESPACE = nameUuid(URL_NAMESPACE, 'urn:custody:')

/** Makes the IRIs of one seal's nodes: `kb:KIND-UUID`, the UUID hashed from the seal ID, the kind and its parts. */
export function iriMaker(sealId: string): (kind: string, ...parts: Array<string | number>) => string {
  return (kind, ...parts) => `kb:${kind}-${nameUuid(CUSTODY_NAMESPACE, [sealId, kind, ...parts.map(String)].join('\u0000'))}`
}

export type Iri = ReturnType<typeof iriMaker>
