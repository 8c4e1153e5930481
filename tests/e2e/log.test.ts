/** `custody log` choosing among the events: --since, --action and --limit, together and with an exhibit. */
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {custody, custodyJson, newCase, SAMPLES} from '../helpers/cli.js'

interface LogJson {
  version: number
  events: Array<{seq: number; action: string; exhibit: string | null}>
}

describe('custody log --since, --action, --limit', () => {
  let kase: {dir: string; remove: () => void}
  // create-case 0, key-created 1, then ingest 2 (EX-000001) and 3 (EX-000002), batch events around them.
  let all: LogJson['events']
  const log = async (...args: string[]): Promise<LogJson['events']> => {
    const result = await custodyJson<LogJson>(['log', ...args, '--case', kase.dir])
    expect(result.code, result.stdout).toBe(0)
    expect(result.json.version).toBe(1)
    return result.json.events
  }

  beforeAll(async () => {
    kase = await newCase()
    const ingested = await custody(['ingest', join(SAMPLES, 'Canon.jpg'), join(SAMPLES, 'PNG.png'), '--case', kase.dir])
    expect(ingested.code, ingested.stderr).toBe(0)
    all = await log()
  })

  afterAll(() => kase.remove())

  it('gives every event without them, and the same events by each', async () => {
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i))
    const ingests = all.filter((e) => e.action === 'ingest')
    expect(ingests.map((e) => e.exhibit)).toEqual(['EX-000001', 'EX-000002'])

    expect(await log('--since', String(ingests[1]!.seq))).toEqual(all.slice(ingests[1]!.seq))
    expect(await log('--since', String(all.length))).toEqual([])
    expect(await log('--action', 'ingest')).toEqual(ingests)
    expect(await log('--action', 'ingest', '--action', 'create-case')).toEqual(all.filter((e) => e.action === 'ingest' || e.action === 'create-case'))
    expect(await log('--limit', '2')).toEqual(all.slice(0, 2))
  })

  it('combines them, and with an exhibit', async () => {
    const ingests = all.filter((e) => e.action === 'ingest')
    expect(await log('--action', 'ingest', '--limit', '1')).toEqual(ingests.slice(0, 1))
    expect(await log('--action', 'ingest', '--since', String(ingests[0]!.seq + 1), '--limit', '5')).toEqual(ingests.slice(1))
    // The flag before the exhibit takes one value: the exhibit stays the argument.
    expect(await log('--action', 'ingest', 'EX-000002')).toEqual(ingests.slice(1))
    expect(await log('EX-000001', '--since', String(ingests[1]!.seq))).toEqual([])

    const text = await custody(['log', '--action', 'ingest', '--limit', '1', '--case', kase.dir])
    expect(text.code).toBe(0)
    expect(text.stdout.trim().split('\n')).toHaveLength(1)
    expect(text.stdout).toContain('EX-000001')
    const none = await custody(['log', '--since', '999', '--case', kase.dir])
    expect(none.stdout).toBe('No events.\n')
  })

  it('refuses values they cannot take, naming the flag (exit 2)', async () => {
    for (const [flag, value, code] of [
      ['--action', 'checkpoint', 'INVALID_ARGUMENT'],
      ['--limit', '0', 'INVALID_ARGUMENT'],
      ['--since', '-1', 'INVALID_ARGUMENT'],
      ['--since', 'yesterday', 'INVALID_ARGUMENT'],
    ] as const) {
      const refused = await custodyJson<{version: number; error: {code: string; subject: string; message: string}}>(['log', flag, value, '--case', kase.dir])
      expect(refused.code, `${flag} ${value}`).toBe(2)
      expect(refused.json.error, `${flag} ${value}`).toMatchObject({code, subject: flag, message: expect.stringContaining(flag) as string})
    }
  })
})
