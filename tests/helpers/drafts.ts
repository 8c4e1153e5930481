/**
 * Events as custody writes them, for unit tests that write a ledger through its API: each draft is
 * one parseEvent() accepts (src/formats/events.ts), with only what a test varies as arguments. The
 * ledger's readers refuse an event custody does not write, so a test's events must be real ones.
 */
import type {CustodyEventDraft, EventOf, PayloadOf} from '../../src/formats/events.js'

type Draft<A extends keyof PayloadOf> = Pick<EventOf<A>, 'actor' | 'action' | 'exhibit' | 'payload'>

const ACTOR = 'tester'
const NO_HASH = '0'.repeat(64)

/** A seal ID from a short hex tag: sealIdOf('a') is SEAL-000000000000000a. */
export function sealIdOf(tag: string): string {
  return `SEAL-${tag.padStart(16, '0')}`
}

/** The first event of a case. */
export function createCaseDraft(prefix = 'EX'): Draft<'create-case'> {
  return {
    actor: ACTOR,
    action: 'create-case',
    exhibit: null,
    payload: {caseId: '00000000-0000-4000-8000-000000000000', title: 't', investigator: ACTOR, organisation: null, prefix, custodyVersion: '0.1.0'},
  }
}

/** A file that could not be taken in; `n` makes each one different. */
export function ingestFailedDraft(n: number): Draft<'ingest-failed'> {
  return {
    actor: ACTOR,
    action: 'ingest-failed',
    exhibit: null,
    payload: {file: {name: `file-${n}`, path: `/evidence/file-${n}`, modifiedAt: null}, error: {code: 'INPUT_EMPTY', message: `/evidence/file-${n} is empty (0 bytes)`}},
  }
}

/** A new exhibit whose original has this SHA-256. */
export function ingestDraft(exhibit: string, sha256: string): Draft<'ingest'> {
  return {
    actor: ACTOR,
    action: 'ingest',
    exhibit,
    payload: {
      file: {name: `${exhibit}.jpg`, path: `/evidence/${exhibit}.jpg`, modifiedAt: null},
      digests: {sha256, sha512: 'b'.repeat(128)},
      size: 1,
      vault: `vault/sha256/${sha256.slice(0, 2)}/${sha256}`,
      collected: {},
      note: null,
      metadata: {
        record: NO_HASH,
        reader: 'ExifTool 13.59',
        normalised: {mimeType: null, fileType: null, captureTime: null, gps: null, device: {make: null, model: null, serialNumber: null}, software: null, image: null, sources: {}},
        warnings: [],
        errors: [],
      },
    },
  }
}

/** An older copy of the case put back, reserving the exhibit numbers up to `reserved`. */
export function restoreAcceptedDraft(reserved: number): Draft<'restore-accepted'> {
  return {
    actor: ACTOR,
    action: 'restore-accepted',
    exhibit: null,
    payload: {reason: 'restored from a backup', lost: {checkpoint: '{}', signature: 'a'.repeat(128), recordedAt: null}, ledger: {size: 1, root: NO_HASH}, reservedExhibitNumbers: reserved},
  }
}

/** A seal of `exhibitCount` exhibits (its sealed-exhibits events are src/seal/seal-record.ts exhibitLists). */
export function sealDraft(sealId: string, exhibitCount: number, actor = ACTOR): Draft<'seal'> {
  return {
    actor,
    action: 'seal',
    exhibit: null,
    payload: {
      sealId,
      archive: {name: 'archive.zip', sha256: NO_HASH, size: 1},
      exhibitCount,
      treeHead: {size: 1, root: NO_HASH},
      sealedAt: '2026-01-01T00:00:00.000Z',
      purpose: null,
      note: null,
      leftOut: [],
    },
  }
}

/** A list of a seal's exhibits, from number `first`. */
export function sealedExhibitsDraft(sealId: string, first: number, exhibits: string[], actor = ACTOR): CustodyEventDraft {
  return {actor, action: 'sealed-exhibits', exhibit: null, payload: {sealId, first, exhibits}}
}
