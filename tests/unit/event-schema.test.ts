/**
 * docs/json/event.schema.json is the event format of src/formats/events.ts as JSON Schema, made
 * from its readers: the file must be what eventJsonSchema() gives (CUSTODY_WRITE_SCHEMAS=1 writes
 * it), every valid event vector must validate, and the schema is never stricter than the reader.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {eventJsonSchema, parseEvent} from '../../src/formats/events.js'
import {SCHEMAS, schemaErrors} from '../helpers/json-schemas.js'

interface Vector {
  desc: string
  event: unknown
  wantErr?: string
}

const FILE = join(SCHEMAS, 'event.schema.json')
const vectors = (JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8')) as {events: Vector[]}).events

describe('docs/json/event.schema.json', () => {
  it('is what the readers of src/formats/events.ts say', () => {
    const made = `${JSON.stringify(eventJsonSchema(), null, 2)}\n`
    if (process.env.CUSTODY_WRITE_SCHEMAS === '1') writeFileSync(FILE, made)
    expect(readFileSync(FILE, 'utf8'), 'docs/json/event.schema.json is out of date: run this test with CUSTODY_WRITE_SCHEMAS=1').toBe(made)
  })

  it('takes every valid vector, and refuses only what parseEvent refuses', () => {
    for (const vector of vectors) {
      const errors = schemaErrors('event.schema.json', vector.event)
      if (vector.wantErr === undefined) expect(errors, vector.desc).toEqual([])
      if (errors.length > 0) expect('problem' in parseEvent(vector.event), vector.desc).toBe(true)
    }

    expect(vectors.filter((v) => v.wantErr !== undefined && schemaErrors('event.schema.json', v.event).length > 0).length).toBeGreaterThan(0)
  })
})
