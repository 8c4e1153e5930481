/**
 * The scratch files of one seal, beside its temporary archive (the folder the user chose for it):
 * the two payload manifests' exhibit lines, the statement, and the large levels of the ledger's
 * Merkle tree; and the exhibits chosen. All are removed however the seal ends: it is disposed of
 * with `await using`.
 */
import {closeSync, openSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {SpillFile} from '../io/spill-file.js'
import type {TreeFile} from '../merkle/tree.js'
import {SealChoice} from './choice.js'

export class Scratch implements AsyncDisposable {
  private constructor(
    readonly manifest256: SpillFile,
    readonly manifest512: SpillFile,
    readonly statement: SpillFile,
    /** The large levels of the ledger's Merkle tree (MerkleTree.inFile). */
    readonly tree: TreeFile & {path: string},
    /** The exhibits sealed (a scratch database in the system's temp folder). */
    readonly choice: SealChoice,
  ) {}

  /** Creates the files, named `temp` and a suffix; none may exist. */
  static async create(temp: string): Promise<Scratch> {
    const made: SpillFile[] = []
    const tree = `${temp}.tree`
    let treeFd: number | undefined
    try {
      for (const suffix of ['manifest-sha256', 'manifest-sha512', 'statement']) made.push(await SpillFile.create(`${temp}.${suffix}`))
      treeFd = openSync(tree, 'wx+', 0o600)
      return new Scratch(made[0]!, made[1]!, made[2]!, {fd: treeFd, path: tree}, new SealChoice())
    } catch (error) {
      // The choice's database could not be made (a full temp folder): the files made so far go too.
      await Promise.all(made.map((file) => file.remove()))
      if (treeFd !== undefined) {
        closeSync(treeFd)
        await rm(tree, {force: true})
      }

      throw error
    }
  }

  /** The payload manifests' scratch files, by algorithm. */
  get manifests(): {sha256: SpillFile; sha512: SpillFile} {
    return {sha256: this.manifest256, sha512: this.manifest512}
  }

  private removed = false

  /**
   * Removes every scratch file. The seal calls it before it removes its note (a seal killed
   * between the two must leave no file that no note names), and `await using` calls it again.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.removed) return
    this.removed = true
    await Promise.all([this.manifest256.remove(), this.manifest512.remove(), this.statement.remove()])
    this.choice[Symbol.dispose]()
    try {
      closeSync(this.tree.fd)
    } catch {
      // Closed already: removing twice is harmless, as with the spill files.
    }

    await rm(this.tree.path, {force: true})
  }
}
