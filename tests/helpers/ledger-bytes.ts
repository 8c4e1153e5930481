/** What whoever holds the disk reads of a case's ledger: for the tests that search it for what must not be there. */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {CASE_FOLDER, LEDGER_FILE} from '../../src/case/case.js'

/** Every byte of the ledger and its -wal and -shm (an absent one as empty), as latin1 text. */
export function ledgerBytes(root: string): string {
  const path = join(root, CASE_FOLDER, LEDGER_FILE)
  const read = (p: string): Buffer => {
    try {
      return readFileSync(p)
    } catch {
      return Buffer.alloc(0)
    }
  }

  return Buffer.concat([read(path), read(`${path}-wal`), read(`${path}-shm`)]).toString('latin1')
}
