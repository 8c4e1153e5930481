/**
 * Part of the chain check: exhibits are numbered one after the other, each ingest giving the next
 * number after those given or reserved (a restore-accepted event reserves the numbers a lost copy
 * of the case may have given: accept-restore.ts); and what each ingest event claims of its
 * exhibit's vault objects goes to the claim index, for the vault check.
 */
import {HEX64, isRecord} from '../../formats/guards.js'
import {formatExhibitId} from '../../formats/ids.js'
import type {ClaimIndex, ExhibitClaim} from '../claim-index.js'
import type {CaseFinding} from './context.js'

/** Reads an exhibit's claims from an ingest event without trusting its shape. */
export function claimOf(seq: number, event: Record<string, unknown>): ExhibitClaim | string {
  const payload = event.payload
  if (!isRecord(payload) || !isRecord(payload.digests)) return 'its payload has no digests'
  const {sha256, sha512} = payload.digests
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return 'its SHA-256 is not 64 hex digits'
  const metadata = isRecord(payload.metadata) ? payload.metadata : {}
  return {
    exhibit: typeof event.exhibit === 'string' ? event.exhibit : `event ${seq}`,
    seq,
    sha256,
    sha512: typeof sha512 === 'string' ? sha512 : undefined,
    size: typeof payload.size === 'number' ? payload.size : undefined,
    record: typeof metadata.record === 'string' && HEX64.test(metadata.record) ? metadata.record : undefined,
  }
}

export class ExhibitNumbers {
  /** The number of the last exhibit given or reserved: each ingest must give the next. */
  private last = 0

  constructor(
    private readonly prefix: string,
    private readonly problems: CaseFinding[],
    private readonly claims: ClaimIndex,
  ) {}

  /** The next event of the chain (a custody event: the chain check has checked its version). */
  event(seq: number, event: Record<string, unknown>): void {
    const at = `event ${seq}`
    if (event.action === 'restore-accepted') {
      const reserved = isRecord(event.payload) ? event.payload.reservedExhibitNumbers : undefined
      if (typeof reserved !== 'number' || !Number.isSafeInteger(reserved) || reserved < 0) {
        this.problems.push({check: 'event', subject: at, message: 'the restore-accepted event reserves no exhibit numbers (reservedExhibitNumbers)', actual: String(reserved)})
      } else {
        this.last = Math.max(this.last, reserved)
      }
    }

    if (event.action !== 'ingest') return
    this.last++
    const expectedId = formatExhibitId(this.prefix, this.last)
    if (event.exhibit !== expectedId) {
      this.problems.push({check: 'event', subject: at, message: `exhibit IDs are not sequential: this ingest should have created ${expectedId}`, expected: expectedId, actual: String(event.exhibit)})
    }

    const claim = claimOf(seq, event)
    if (typeof claim === 'string') this.problems.push({check: 'event', subject: at, message: `ingest event is malformed: ${claim}`})
    else this.claims.add(claim)
  }
}
