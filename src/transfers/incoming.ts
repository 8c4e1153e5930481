/**
 * The case's custodians folder (.custody/custodians/): where a received package and the receipt
 * given for it are kept (`keptNames`, the one place that lays them out), and the copies
 * `custody transfer accept` makes of a package before it checks it
 * (`.custody/custodians/.incoming-<pid>-<8 hex>.zip.age`): what a killed accept leaves, which the
 * next accept removes and `custody verify` names meanwhile.
 */
import {readdir} from 'node:fs/promises'
import {basename, join} from 'node:path'
import {errnoOf} from '../errors.js'
import type {TransferItem} from '../formats/events.js'
import {custodianLine, type Custodian} from './custodian.js'

/** Where received packages are kept, under the case's .custody/ folder. */
export const CUSTODIANS_FOLDER = 'custodians'

/**
 * What a receiver reads of a package's statement, whatever its kind: a seal's transfer statement
 * (transfer-statement.ts), or a field package's (field-statement.ts), whose items' digests the
 * receiver computed from the opened ingest events (`sealId` null).
 */
export interface Arrival {
  transferId: string
  sealId: string | null
  from: Custodian
  releasedAt: string
  purpose: string | null
  items: TransferItem[]
}

/**
 * What `transfer-received` and `transfer-refused` both record of a package that arrived: its
 * transfer and seal, the sender as its identity line, and the package as received (its file's
 * name, the SHA-256 and size of the copy checked).
 */
export function arrivalOf(arrival: Arrival, file: string, copy: {sha256: string; size: number}): {transferId: string; sealId: string | null; from: string; package: {name: string; sha256: string; size: number}} {
  return {transferId: arrival.transferId, sealId: arrival.sealId, from: custodianLine(arrival.from), package: {name: basename(file), sha256: copy.sha256, size: copy.size}}
}

/** The kept package's name, and its receipt's, under .custody/custodians/<sender case>/. */
export function keptNames(senderCase: string, transferId: string): {folder: string; pkg: string; receipt: string} {
  const folder = `${CUSTODIANS_FOLDER}/${senderCase}`
  const pkg = `${folder}/${transferId}.zip.age`
  return {folder, pkg, receipt: keptReceiptOf(pkg)}
}

/** The receipt kept beside a kept package (`kept`, as a `transfer-received` event records it). */
export function keptReceiptOf(kept: string): string {
  return kept.replace(/\.zip\.age$/, '.receipt')
}

/** The name of a new copy, by this process. */
export function incomingName(random: string): string {
  return `.incoming-${process.pid}-${random}.zip.age`
}

/** The pid in a copy's name, if `name` is one. */
export function incomingOwner(name: string): number | undefined {
  const match = /^\.incoming-(\d+)-[0-9a-f]{8}\.zip\.age$/.exec(name)
  return match === null ? undefined : Number(match[1])
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errnoOf(error) === 'EPERM'
  }
}

/** The copies in the case's custodians folder that no running accept owns (killed ones left them). */
export async function staleCopies(dataDir: string): Promise<string[]> {
  const names = await readdir(join(dataDir, CUSTODIANS_FOLDER)).catch(() => [])
  return names.filter((name) => {
    const pid = incomingOwner(name)
    return pid !== undefined && pid !== process.pid && !running(pid)
  })
}
