/**
 * Scratch databases whose temp folder fails them. SQLite itself reports the failure: a database
 * held to a few pages by PRAGMA max_page_count answers SQLITE_FULL, as a full temp folder does
 * (the end-to-end test in bad-input.test.ts fills a real one, a tmpfs).
 */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach, describe, expect, it} from 'vitest'
import {CustodyError} from '../../src/errors.js'
import {openScratchDatabase, scratchFolder, scratchWork} from '../../src/io/scratch-db.js'
import {tempDir} from '../helpers/cli.js'

const work = tempDir('custody-scratch-')
afterAll(() => work.remove())

/** A scratch database that fills up after a few rows. */
function smallScratch(): ReturnType<typeof openScratchDatabase> {
  const db = openScratchDatabase('CREATE TABLE row (value TEXT NOT NULL)')
  db.pragma('max_page_count = 8')
  return db
}

function fill(db: ReturnType<typeof openScratchDatabase>): void {
  const insert = db.prepare('INSERT INTO row (value) VALUES (?)')
  for (let i = 0; i < 1000; i++) insert.run('x'.repeat(1000))
}

describe('a scratch database that cannot be written', () => {
  it('fails with DISK_FULL, naming the temp folder and what to do, from any statement', () => {
    const db = smallScratch()
    try {
      let thrown: unknown
      try {
        fill(db)
      } catch (error) {
        thrown = error
      }

      expect(thrown).toBeInstanceOf(CustodyError)
      expect(thrown).toMatchObject({code: 'DISK_FULL', exitCode: 1, subject: scratchFolder()})
      expect((thrown as Error).message).toBe(
        `the temp folder ${scratchFolder()} is full: custody keeps its working index of large work there ($TMPDIR, else /var/tmp or /tmp). Free some space there, or point TMPDIR at a folder with room (TMPDIR=/path/with/room custody ...), and run the same command again`,
      )
      // What SQLite said is kept as the cause.
      expect((thrown as Error).cause).toMatchObject({code: 'SQLITE_FULL'})
      // SQLite rolled back all the work had written: what it would conclude from here is void.
      expect(db.inTransaction).toBe(false)
      expect(db.prepare<[], number>('SELECT count(*) FROM row').pluck().get()).toBe(0)
      // Statements made with pluck() and read with iterate() are still the database's own.
      db.prepare('INSERT INTO row (value) VALUES (?), (?)').run('a', 'b')
      expect([...db.prepare<[], string>('SELECT value FROM row ORDER BY value').pluck().iterate()]).toEqual(['a', 'b'])
    } finally {
      db.close()
    }
  })

  it('ends the work it belongs to with that failure, even when the work caught it and carried on', async () => {
    const verdict = scratchWork('verify could not finish, which says nothing about the case', async () => {
      const db = smallScratch()
      try {
        fill(db)
      } catch {
        // As verification does with what goes wrong while it reads: a problem of the input.
        return 'INTEGRITY CHECK FAILED'
      } finally {
        db.close()
      }

      return 'intact'
    })
    await expect(verdict).rejects.toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringMatching(/^verify could not finish, which says nothing about the case: the temp folder .* is full: /) as unknown,
    })
  })

  it('leaves other errors of the work, and its result, alone', async () => {
    await expect(scratchWork('x', async () => 'intact')).resolves.toBe('intact')
    await expect(
      scratchWork('x', async () => {
        const db = openScratchDatabase('CREATE TABLE row (value TEXT NOT NULL)')
        try {
          db.prepare('INSERT INTO row (value) VALUES (NULL)').run()
        } finally {
          db.close()
        }
      }),
    ).rejects.toMatchObject({code: 'SQLITE_CONSTRAINT_NOTNULL'})
  })
})

describe('scratchFolder', () => {
  const saved = {TMPDIR: process.env.TMPDIR, SQLITE_TMPDIR: process.env.SQLITE_TMPDIR}
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  it('is the folder SQLite chooses: $SQLITE_TMPDIR, else $TMPDIR, else /var/tmp, when each is a folder', () => {
    const a = join(work.path, 'a')
    const b = join(work.path, 'b')
    mkdirSync(a)
    mkdirSync(b)
    delete process.env.SQLITE_TMPDIR
    process.env.TMPDIR = b
    expect(scratchFolder()).toBe(b)
    process.env.SQLITE_TMPDIR = a
    expect(scratchFolder()).toBe(a)
    process.env.SQLITE_TMPDIR = join(work.path, 'missing')
    expect(scratchFolder()).toBe(b)
    process.env.TMPDIR = join(work.path, 'missing')
    expect(scratchFolder()).toBe('/var/tmp')
  })
})
