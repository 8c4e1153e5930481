/**
 * An exhibit as UCO observables: an uco-observable:File with its FileFacet (name, size), its
 * ContentDataFacet (size, MIME type, SHA-256 and SHA-512 as uco-types:Hash) and, where ExifTool
 * found EXIF tags, an EXIFFacet (a uco-types:ControlledDictionary of the tags); the device that
 * made it (uco-observable:Device, DeviceFacet: manufacturer, model, serial number); and where it
 * was made (uco-location:Location, LatLongCoordinatesFacet), from the GPS the file records.
 * Hashes and the dictionary's entries are nodes with IRIs: UCO's shapes refuse blank nodes there.
 */
import {isRecord} from '../formats/guards.js'
import type {Iri} from './iri.js'
import {decimal, hexBinary, node, ref, type JsonLdNode} from './literals.js'

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {})
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** What the exhibit is: the statement's entry, the ingest event's normalised metadata, the metadata record's tags. */
export interface ExhibitFacts {
  id: string
  stated: Record<string, unknown>
  normalised: Record<string, unknown>
  tags: Record<string, unknown> | undefined
  /** An exhibit received from another custodian: the ingest event's `received` (its ID in the sender's case). */
  received?: Record<string, unknown> | undefined
}

/** A received exhibit's second identifier, its ID in the sender's case, as a description of its File. */
function receivedAs(x: ExhibitFacts): string | undefined {
  const r = x.received
  if (r === undefined || typeof r.exhibit !== 'string' || typeof r.case !== 'string') return undefined
  return `received from another custodian: exhibit ${r.exhibit} of custody case ${r.case}, its ledger event ${String(r.seq)}, in ${String(r.transferId)}`
}

function hashNode(iri: Iri, id: string, method: 'SHA256' | 'SHA512', value: unknown): JsonLdNode | undefined {
  const hex = hexBinary(value)
  return hex === undefined ? undefined : {'@id': iri('hash', id, method), '@type': 'uco-types:Hash', 'uco-types:hashMethod': method, 'uco-types:hashValue': hex}
}

function tagValue(value: unknown): string {
  return typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).join(', ') : JSON.stringify(value)
}

/** The EXIF tags ExifTool read (its `EXIF:` group), sorted by name, as one facet. */
function exifFacet(iri: Iri, x: ExhibitFacts): JsonLdNode | undefined {
  const tags = Object.keys(x.tags ?? {})
    .filter((k) => k.startsWith('EXIF:') && x.tags![k] !== null && x.tags![k] !== undefined)
    .sort()
  if (tags.length === 0) return undefined
  const entries = tags.map((k) => ({'@id': iri('exif-entry', x.id, k), '@type': 'uco-types:ControlledDictionaryEntry', 'uco-types:key': k.slice('EXIF:'.length), 'uco-types:value': tagValue(x.tags![k])}))
  return {
    '@id': iri('exif-facet', x.id),
    '@type': 'uco-observable:EXIFFacet',
    'uco-observable:exifData': {'@id': iri('exif-data', x.id), '@type': 'uco-types:ControlledDictionary', 'uco-types:entry': entries},
  }
}

export function fileNode(iri: Iri, x: ExhibitFacts): JsonLdNode {
  const size = Number.isSafeInteger(x.stated.size) ? x.stated.size : undefined
  const facets = [
    node({'@id': iri('file-facet', x.id), '@type': 'uco-observable:FileFacet', 'uco-observable:fileName': text(x.stated.originalName), 'uco-observable:sizeInBytes': size}),
    node({
      '@id': iri('content-data-facet', x.id),
      '@type': 'uco-observable:ContentDataFacet',
      'uco-observable:sizeInBytes': size,
      'uco-observable:mimeType': text(x.normalised.mimeType),
      'uco-observable:hash': [hashNode(iri, x.id, 'SHA256', x.stated.sha256), hashNode(iri, x.id, 'SHA512', x.stated.sha512)].filter((h) => h !== undefined),
    }),
    exifFacet(iri, x),
  ].filter((f) => f !== undefined)
  const received = receivedAs(x)
  return {'@id': iri('file', x.id), '@type': 'uco-observable:File', 'uco-core:name': x.id, ...(received === undefined ? {} : {'uco-core:description': received}), 'uco-core:hasFacet': facets}
}

/** The camera or recorder, one node for each make, model and serial number in the seal; undefined when none is recorded. */
export function deviceNodes(iri: Iri, x: ExhibitFacts): JsonLdNode[] {
  const device = record(x.normalised.device)
  const [make, model, serial] = [text(device.make), text(device.model), text(device.serialNumber)]
  if (make === undefined && model === undefined && serial === undefined) return []
  const key = JSON.stringify([make, model, serial])
  const maker = make === undefined ? undefined : {'@id': iri('organization', make), '@type': 'uco-identity:Organization', 'uco-core:name': make}
  const deviceNode = {
    '@id': iri('device', key),
    '@type': 'uco-observable:Device',
    'uco-core:hasFacet': [node({'@id': iri('device-facet', key), '@type': 'uco-observable:DeviceFacet', 'uco-observable:manufacturer': maker && ref(maker['@id']), 'uco-observable:model': model, 'uco-observable:serialNumber': serial})],
  }
  const made = {
    '@id': iri('relationship', x.id, 'device'),
    '@type': 'uco-observable:ObservableRelationship',
    'uco-core:source': ref(iri('file', x.id)),
    'uco-core:target': ref(deviceNode['@id']),
    'uco-core:kindOfRelationship': 'Created_By',
    'uco-core:isDirectional': true,
  }
  return [...(maker === undefined ? [] : [maker]), deviceNode, made]
}

/** A place as a Location with its coordinates (WGS 84, as EXIF and custody record them). */
export function locationNode(iri: Iri, key: string[], latitude: unknown, longitude: unknown, name?: string): JsonLdNode | undefined {
  const [lat, long] = [decimal(latitude), decimal(longitude)]
  if (lat === undefined || long === undefined) return undefined
  return node({'@id': iri('location', ...key), '@type': 'uco-location:Location', 'uco-core:name': name, 'uco-core:hasFacet': [{'@id': iri('coordinates', ...key), '@type': 'uco-location:LatLongCoordinatesFacet', 'uco-location:latitude': lat, 'uco-location:longitude': long}]})
}

/** Where the file says it was made (its GPS tags), and the relationship that says so. */
export function capturedAtNodes(iri: Iri, x: ExhibitFacts): JsonLdNode[] {
  const gps = record(x.normalised.gps)
  const place = locationNode(iri, [x.id, 'gps'], gps.latitude, gps.longitude)
  if (place === undefined) return []
  const at = {
    '@id': iri('relationship', x.id, 'gps'),
    '@type': 'uco-core:Relationship',
    'uco-core:source': ref(iri('file', x.id)),
    'uco-core:target': ref(place['@id'] as string),
    'uco-core:kindOfRelationship': 'Captured_At',
    'uco-core:isDirectional': true,
    'uco-core:description': 'the GPS position recorded in the file',
  }
  return [place, at]
}
