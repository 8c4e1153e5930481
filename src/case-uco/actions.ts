/**
 * What was done, as CASE investigative actions: each custody event of an exhibit a
 * case-investigation:InvestigativeAction (performer: who the event names; instrument: custody at
 * the version that sealed; object and result: the exhibit's File; startTime: the event's time),
 * each informed by the exhibit's event before it (case-investigation:wasInformedBy), so that an
 * exhibit's events form its provenance chain; the exhibit's number in a ProvenanceRecord; and a
 * witness's interview, the witness named by code only. Where the interview took place, and the
 * people present, are left out: in a machine export they would help to find the witness.
 */
import {isRecord} from '../formats/guards.js'
import type {Iri} from './iri.js'
import {dateTime, node, ref, type JsonLdNode} from './literals.js'
import {locationNode} from './observables.js'

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {})
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

export function toolNode(iri: Iri, version: string): JsonLdNode {
  return {'@id': iri('tool', 'custody', version), '@type': 'uco-tool:Tool', 'uco-core:name': 'custody', 'uco-tool:version': version}
}

/** Someone an event or the seal names (an investigator, an organisation): an identity with that name. */
export function identityNode(iri: Iri, name: string): JsonLdNode {
  return {'@id': iri('identity', name), '@type': 'uco-identity:Identity', 'uco-core:name': name}
}

/** The exhibit's number, given to its File. */
export function exhibitRecord(iri: Iri, id: string): JsonLdNode {
  return {'@id': iri('provenance-record', id), '@type': 'case-investigation:ProvenanceRecord', 'case-investigation:exhibitNumber': id, 'uco-core:object': [ref(iri('file', id))]}
}

export interface EventInChain {
  exhibit: string
  seq: number
  event: Record<string, unknown>
  /** The IRI of the exhibit's event before this one, if any. */
  previous: string | undefined
}

/** One custody event of an exhibit as an InvestigativeAction, and where the exhibit was collected (ingest). */
export function eventNodes(iri: Iri, tool: string, e: EventInChain): JsonLdNode[] {
  const action = String(e.event.action)
  const file = ref(iri('file', e.exhibit))
  const collected = record(record(e.event.payload).collected)
  const ingest = action === 'ingest'
  const place = ingest ? locationNode(iri, [e.exhibit, 'collected'], collected.latitude, collected.longitude, text(collected.location)) : undefined
  const actor = text(e.event.actor)
  const taken = node({
    '@id': iri('action', e.seq),
    '@type': 'case-investigation:InvestigativeAction',
    'uco-core:name': action,
    'uco-core:description': `custody ledger event ${e.seq}: ${action} of ${e.exhibit}`,
    'uco-action:performer': actor === undefined ? undefined : ref(iri('identity', actor)),
    'uco-action:instrument': ref(tool),
    'uco-action:object': ingest ? undefined : [file],
    'uco-action:result': ingest ? [file, ref(iri('provenance-record', e.exhibit))] : [file],
    'uco-action:location': place === undefined ? undefined : ref(place['@id'] as string),
    'uco-action:startTime': dateTime(e.event.time),
    'case-investigation:wasInformedBy': e.previous === undefined ? undefined : ref(e.previous),
  })
  return place === undefined ? [taken] : [place, taken]
}

/**
 * A hand-over before the seal (a record the seal statement's `custodians` names, which the
 * verifier checked): an InvestigativeAction whose performer is the sender and participant the
 * receiver, each an identity named with its key fingerprint in its description, its objects the
 * Files it brought, from its release to its receipt. A received exhibit's first event here is
 * informed by it, so that its provenance chain reaches back to the sender.
 */
export function handOverNodes(iri: Iri, tool: string, stated: Record<string, unknown>, receiver: {name: string; fingerprint: string}): JsonLdNode[] {
  const from = record(stated.from)
  const sender = String(from.name)
  const items = list(stated.items).map(record)
  const pairs = items.map((i) => `${String(i.exhibit)} as ${String(i.receivedAs)}`).join(', ')
  return [
    identityNode(iri, sender),
    identityNode(iri, receiver.name),
    node({
      '@id': iri('hand-over', String(stated.transferId)),
      '@type': 'case-investigation:InvestigativeAction',
      'uco-core:name': 'transfer',
      'uco-core:description': `${String(stated.transferId)}: released by ${sender} (key ${String(from.fingerprint)}, custody case ${String(from.case)}), received by ${receiver.name} (key ${receiver.fingerprint}); the sender's exhibits ${pairs}. The sender's signed record is in the archive under ${String(stated.folder)}`,
      'uco-action:performer': ref(iri('identity', sender)),
      'uco-action:participant': [ref(iri('identity', receiver.name))],
      'uco-action:instrument': ref(tool),
      'uco-action:object': items.map((i) => ref(iri('file', String(i.receivedAs)))),
      'uco-action:startTime': dateTime(stated.releasedAt),
      'uco-action:endTime': dateTime(stated.receivedAt),
    }),
  ]
}

/**
 * A witness's interview: the witness as an identity named by its code only, the first interviewer
 * as its performer (UCO allows one) and the others as participants, the statement's versions (those in the archive) as results.
 */
export function interviewNodes(iri: Iri, tool: string, given: Record<string, unknown>, inArchive: (exhibit: string) => boolean): JsonLdNode[] {
  const witness = String(given.witness)
  const interview = record(given.interview)
  const interviewers = list(interview.interviewers).map(text).filter((n) => n !== undefined)
  const versions = list(given.versions).map(record)
  const results = versions.map((v) => String(v.exhibit)).filter(inArchive)
  const languages = list(interview.languages).map(String)
  const consent = list(given.consent).map(String)
  const witnessNode = {'@id': iri('witness', witness), '@type': 'uco-identity:Identity', 'uco-core:name': witness, 'uco-core:description': 'a witness, named by code only'}
  const reasons = versions.filter((v) => typeof v.reason === 'string').map((v) => `version ${String(v.version)} (${String(v.exhibit)}): ${String(v.reason)}`)
  const description = [`interview of witness ${witness}`, languages.length > 0 ? `languages: ${languages.join(', ')}` : '', `consent in force: ${consent.length > 0 ? consent.join(', ') : 'none'}`, ...reasons].filter((s) => s !== '').join('; ')
  return [
    ...interviewers.map((name) => identityNode(iri, name)),
    witnessNode,
    node({
      '@id': iri('interview', witness),
      '@type': 'case-investigation:InvestigativeAction',
      'uco-core:name': 'interview',
      'uco-core:description': description,
      'uco-action:performer': interviewers[0] === undefined ? undefined : ref(iri('identity', interviewers[0])),
      'uco-action:participant': [...interviewers.slice(1).map((name) => ref(iri('identity', name))), ref(witnessNode['@id'])],
      'uco-action:instrument': ref(tool),
      'uco-action:result': results.map((id) => ref(iri('file', id))),
      'uco-action:startTime': dateTime(interview.startedAt),
      'uco-action:endTime': dateTime(interview.endedAt),
    }),
  ]
}
