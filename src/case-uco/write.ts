/**
 * The CASE/UCO 1.4 JSON-LD of a verified archive, written as it is made: one @graph, a node a
 * line, exhibits a page at a time from the scratch database the report also reads
 * (src/report/archive-data.ts), so that memory does not grow with the number of exhibits. The
 * order: custody as the tool, the case as an Investigation, the sealing as an InvestigativeAction,
 * each hand-over before the seal (a seal of received exhibits) as one too; then each exhibit (its File, device, GPS position, number, and its events as a chain of
 * actions); each witness's interview (by code only); last the seal's ProvenanceRecord, with every
 * exhibit number. Nothing in it is taken from the time it is written: the same archive gives the
 * same bytes.
 *
 * `writeCaseUco` is what another output calls with an archive open and verified: the PDF report
 * attaches it, compressed as it is written (src/report/attachment.ts).
 */
import {isRecord} from '../formats/guards.js'
import type {ArchiveData} from '../report/archive-data.js'
import type {ArchiveContext} from '../verify/archive/context.js'
import {CUSTODY_VERSION} from '../version.js'
import {eventNodes, exhibitRecord, handOverNodes, identityNode, interviewNodes, toolNode} from './actions.js'
import {CASE_UCO_CONTEXT, iriMaker, type Iri} from './iri.js'
import {dateTime, node, ref, type JsonLdNode} from './literals.js'
import {capturedAtNodes, deviceNodes, fileNode, type ExhibitFacts} from './observables.js'

/** Where the JSON-LD goes: a file as it is written (src/report/sink.ts ReportSink), or a buffer. */
export interface TextOut {
  write(text: string): Promise<void>
}

export interface CaseUcoCounts {
  exhibits: number
  actions: number
  testimonies: number
}

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {})
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** Writes the graph's nodes, each identity once (investigators recur on every event). */
class GraphWriter {
  private readonly named = new Set<string>()

  constructor(
    private readonly out: TextOut,
    readonly iri: Iri,
  ) {}

  async nodes(nodes: JsonLdNode[]): Promise<void> {
    for (const n of nodes) {
      const id = n['@id'] as string
      if (n['@type'] === 'uco-identity:Identity' || n['@type'] === 'uco-identity:Organization') {
        if (this.named.has(id)) continue
        this.named.add(id)
      }

      await this.out.write(`,\n${JSON.stringify(n)}`)
    }
  }

  async person(name: string | undefined): Promise<void> {
    if (name !== undefined) await this.nodes([identityNode(this.iri, name)])
  }
}

/** The case, and the sealing: who sealed, when, for what. */
function sealingNodes(iri: Iri, tool: string, statement: Record<string, unknown>): JsonLdNode[] {
  const kase = record(statement.case)
  const sealer = text(statement.sealer)
  const sealId = String(statement.sealId)
  return [
    node({'@id': iri('investigation'), '@type': 'case-investigation:Investigation', 'uco-core:name': text(kase.title), 'uco-core:description': `case ${String(kase.id)}${text(kase.organisation) === undefined ? '' : ` of ${String(kase.organisation)}`}`, 'uco-core:object': [ref(iri('seal-record'))]}),
    node({
      '@id': iri('seal-action'),
      '@type': 'case-investigation:InvestigativeAction',
      'uco-core:name': 'seal',
      'uco-core:description': `sealed as ${sealId}${text(statement.purpose) === undefined ? '' : `, for ${String(statement.purpose)}`}`,
      'uco-action:performer': sealer === undefined ? undefined : ref(iri('identity', sealer)),
      'uco-action:instrument': ref(tool),
      'uco-action:result': [ref(iri('seal-record'))],
      'uco-action:startTime': dateTime(statement.sealedAt),
    }),
  ]
}

/** The largest metadata record read for its EXIF tags: ExifTool's records are kilobytes; a larger one gets no EXIF facet. */
const METADATA_LIMIT = 4 * 1024 * 1024

/** The tags of an exhibit's metadata record (metadata.json, as the vault wrote it), read as hashed when verified. */
async function metadataTags(context: ArchiveContext, path: unknown): Promise<Record<string, unknown> | undefined> {
  const file = typeof path === 'string' ? context.files.get(path) : undefined
  if (file === undefined || file.size > METADATA_LIMIT) return undefined
  try {
    const bytes = await context.source.readSmall(file.info, METADATA_LIMIT, file.sha256)
    return record(record(JSON.parse(bytes.toString('utf8')) as unknown).tags)
  } catch {
    // A record that cannot be read again, or is not JSON: no EXIF facet (the verifier has said what it found).
    return undefined
  }
}

/** What the archive says of one exhibit: its statement entry, the ingest event's normalised metadata, its metadata record's tags. */
async function exhibitFacts(context: ArchiveContext, data: ArchiveData, stated: Record<string, unknown>): Promise<ExhibitFacts> {
  const id = String(stated.exhibit)
  const payload = record(data.ingest(id)?.payload)
  const normalised = record(record(payload.metadata).normalised)
  const received = payload.received === undefined ? {} : {received: record(payload.received)}
  return {id, stated, normalised, tags: await metadataTags(context, stated.metadataPath), ...received}
}

/**
 * One exhibit: its observables, its number, its events in ledger order, each informed by the one
 * before; a received exhibit's first by the hand-over that brought it.
 */
async function writeExhibit(graph: GraphWriter, tool: string, facts: ExhibitFacts, data: ArchiveData): Promise<number> {
  const {iri} = graph
  await graph.nodes([fileNode(iri, facts), ...deviceNodes(iri, facts), ...capturedAtNodes(iri, facts), exhibitRecord(iri, facts.id)])
  const broughtBy = text(facts.received?.transferId)
  let previous: string | undefined = broughtBy === undefined ? undefined : iri('hand-over', broughtBy)
  let actions = 0
  for (const {seq, event} of data.events(facts.id)) {
    await graph.person(text(event.actor))
    await graph.nodes(eventNodes(iri, tool, {exhibit: facts.id, seq, event, previous}))
    previous = iri('action', seq)
    actions++
  }

  return actions
}

/** The seal's record, last: every exhibit number and record, written a page at a time. */
async function writeSealRecord(out: TextOut, iri: Iri, statement: Record<string, unknown>, data: ArchiveData): Promise<void> {
  const head = node({'@id': iri('seal-record'), '@type': 'case-investigation:ProvenanceRecord', 'uco-core:name': String(statement.sealId), 'uco-core:description': text(statement.note)})
  await out.write(`,\n${JSON.stringify(head).slice(0, -1)},"case-investigation:rootExhibitNumber":[`)
  let first = true
  for (const x of data.exhibits()) {
    await out.write(`${first ? '' : ','}${JSON.stringify(String(x.stated.exhibit))}`)
    first = false
  }

  await out.write(`],"uco-core:object":[${JSON.stringify(ref(iri('seal-action')))}`)
  for (const x of data.exhibits()) await out.write(`,${JSON.stringify(ref(iri('provenance-record', String(x.stated.exhibit))))}`)
  await out.write(']}')
}

/** The JSON-LD of the archive `context` holds, verified, whose statement and events `data` has loaded. */
export async function writeCaseUco(out: TextOut, context: ArchiveContext, data: ArchiveData): Promise<CaseUcoCounts> {
  const statement = context.statement
  const iri = iriMaker(String(statement.sealId))
  const tool = toolNode(iri, text(statement.custodyVersion) ?? CUSTODY_VERSION)
  const graph = new GraphWriter(out, iri)
  await out.write(`{"@context":${JSON.stringify(CASE_UCO_CONTEXT)},\n"@graph":[\n${JSON.stringify(tool)}`)
  await graph.person(text(statement.sealer))
  await graph.nodes(sealingNodes(iri, tool['@id'] as string, statement))
  for (const [i, handOver] of (context.handOvers ?? []).entries()) {
    const stated = Array.isArray(statement.custodians) ? record(statement.custodians[i]) : {}
    await graph.nodes(handOverNodes(iri, tool['@id'] as string, stated, handOver.to))
  }

  const counts: CaseUcoCounts = {exhibits: 0, actions: 0, testimonies: 0}
  for (const x of data.exhibits()) {
    counts.actions += await writeExhibit(graph, tool['@id'] as string, await exhibitFacts(context, data, x.stated), data)
    counts.exhibits++
  }

  for (const given of Array.isArray(statement.testimonies) ? statement.testimonies.filter(isRecord) : []) {
    await graph.nodes(interviewNodes(iri, tool['@id'] as string, given, (id) => data.states(id)))
    counts.testimonies++
  }

  await writeSealRecord(out, iri, statement, data)
  await out.write('\n]}\n')
  return counts
}
