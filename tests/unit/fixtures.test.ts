import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname

describe('fixtures/README.md', () => {
  it('names every fixture with its true SHA-256', () => {
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8')
    for (const folder of ['camera-samples', 'hostile', 'testimony', 'batch']) {
      for (const name of readdirSync(join(FIXTURES, folder))) {
        const digest = createHash('sha256').update(readFileSync(join(FIXTURES, folder, name))).digest('hex')
        const row = readme.split('\n').find((line) => line.startsWith(`| ${name} |`))
        expect(row, `${folder}/${name} is not in fixtures/README.md`).toBeDefined()
        expect(row).toContain(digest)
      }
    }
  })
})
