/**
 * The modes custody gives what it writes, set explicitly by each writer: these run in-process
 * under umask 022 (the CLI's umask 077 is only the second line of defence, see commands/_base.ts).
 */
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {writeFileDurably} from '../../src/io/files.js'
import {Ledger} from '../../src/ledger/ledger.js'
import {SealIntent} from '../../src/seal/seal-intent.js'
import {ZipWriter} from '../../src/zip/writer.js'
import {Vault} from '../../src/vault/vault.js'
import {tempDir} from '../helpers/cli.js'
import {createCaseDraft} from '../helpers/drafts.js'
import {memorySigner} from '../helpers/keys.js'

const modeOf = (path: string): string => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0')

describe('file modes, whatever the umask', () => {
  const tmp = tempDir()
  let umask: number

  beforeAll(() => {
    umask = process.umask(0o022)
  })

  afterAll(() => {
    process.umask(umask)
    tmp.remove()
  })

  it('writes small files durably 0600 by default, and exactly the mode asked for', async () => {
    const head = join(tmp.path, 'head.json')
    await writeFileDurably(head, '{}\n')
    expect(modeOf(head)).toBe('0600')
    const pem = join(tmp.path, 'public.pem')
    process.umask(0o077)
    try {
      await writeFileDurably(pem, 'public\n', {mode: 0o644})
    } finally {
      process.umask(0o022)
    }

    expect(modeOf(pem)).toBe('0644')
  })

  it('keeps the vault in folders 0700 and its objects 0400', async () => {
    const vault = new Vault(join(tmp.path, 'vault'))
    await vault.create()
    const {path} = await vault.putBytes(Buffer.from('a metadata record'))
    expect([modeOf(vault.root), modeOf(join(vault.root, 'sha256')), modeOf(join(vault.root, 'tmp')), modeOf(join(path, '..')), modeOf(path)]).toEqual(['0700', '0700', '0700', '0700', '0400'])
  })

  it('makes the ledger 0600, and SQLite gives its -wal and -shm files the same mode', () => {
    const path = join(tmp.path, 'ledger.sqlite')
    const {ledger} = Ledger.create(path, [createCaseDraft()], {caseId: 'c', signer: memorySigner()})
    try {
      expect(existsSync(`${path}-wal`) && existsSync(`${path}-shm`)).toBe(true)
      expect([modeOf(path), modeOf(`${path}-wal`), modeOf(`${path}-shm`)]).toEqual(['0600', '0600', '0600'])
    } finally {
      ledger.close()
    }
  })

  it("writes a seal's archive and its central directory's scratch file 0600", async () => {
    const path = join(tmp.path, '.out.zip.1-00000000.partial')
    const zip = await ZipWriter.create(path, new Date(0))
    try {
      expect([modeOf(path), modeOf(`${path}.central`)]).toEqual(['0600', '0600'])
    } finally {
      await zip.abort()
    }
  })

  it("keeps a seal's note 0600 in a folder 0700", async () => {
    const dataDir = join(tmp.path, 'case-data')
    const intent = await SealIntent.begin(dataDir, join(tmp.path, 'out.zip'))
    expect([modeOf(join(dataDir, 'seals')), modeOf(intent.file)]).toEqual(['0700', '0600'])
    await intent.recording({id: 'SEAL-0123456789abcdef', sha256: '0'.repeat(64), size: 1, fromSeq: 0})
    expect(modeOf(intent.file)).toBe('0600')
    await intent.remove()
    expect(readdirSync(join(dataDir, 'seals'))).toEqual([])
  })
})
