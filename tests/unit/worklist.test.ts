/** The worklist of an ingest run: its files, their results and the lookups, in a scratch database. */
import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import type {IngestFileResult} from '../../src/ingest/ingest.js'
import type {InputFile} from '../../src/ingest/inputs.js'
import {alreadyPresent, failed, fileRef, ingested, skipped} from '../../src/ingest/results.js'
import {Worklist} from '../../src/ingest/worklist.js'
import {canonicalWithList, jsonWithList} from '../../src/render/json-lines.js'
import {canonicalize, type JsonValue} from '../../src/canonical/jcs.js'

const lists: Worklist[] = []
afterEach(() => {
  for (const list of lists.splice(0)) list.close()
})

function worklist(): Worklist {
  const list = new Worklist()
  lists.push(list)
  return list
}

function file(n: number, size = n): InputFile {
  return {path: `/in/${n}.jpg`, relativePath: `${n}.jpg`, symlinkTarget: null, size}
}

describe('Worklist', () => {
  it('claims each real path once, and says which line claimed it first', () => {
    const work = worklist()
    expect(work.claim('/in/a.jpg', 2)).toBeUndefined()
    expect(work.claim('/in/b.jpg')).toBeUndefined()
    expect(work.claim('/in/a.jpg', 7)).toBe(2)
    expect(work.claim('/in/b.jpg', 9)).toBe(0)
  })

  it('gives the files in the order added, across pages, while results are written between pages', () => {
    const work = worklist()
    for (let n = 1; n <= 130; n++) work.add(file(n))
    expect(work.totals('all')).toEqual({files: 130, bytes: (130 * 131) / 2})
    const seen: number[] = []
    for (const {i, file: f} of work.files('pending')) {
      seen.push(f.size)
      if (f.size % 2 === 0) work.setResult(i, ingested(fileRef(f.path), {exhibit: `EX-${f.size}`, sha256: 'a'.repeat(64), size: f.size, seq: f.size, metadataWarnings: [], noMetadata: false, changedFrom: null}))
    }

    expect(seen).toEqual(Array.from({length: 130}, (_, k) => k + 1))
    const odd = [...work.files('pending')].map((item) => item.file)
    expect(odd).toEqual(Array.from({length: 65}, (_, k) => file(2 * k + 1)))
    expect(work.totals('pending')).toEqual({files: 65, bytes: 65 * 65})
    expect([...work.files('all')]).toHaveLength(130)
  })

  it('reports the up-front results first, then each file, a file without a result as unfinished; and counts them', () => {
    const work = worklist()
    work.addResult(failed(fileRef('/in/missing.jpg'), {code: 'INPUT_MISSING', message: 'no'}))
    for (let n = 1; n <= 5; n++) work.add(file(n, 100 * n))
    const done: IngestFileResult[] = [
      ingested(fileRef('/in/1.jpg', {line: 3}), {exhibit: 'EX-000001', sha256: 'a'.repeat(64), size: 100, seq: 2, metadataWarnings: ['odd'], noMetadata: false, changedFrom: null}),
      alreadyPresent(fileRef('/in/2.jpg'), {exhibit: 'EX-000001', sha256: 'a'.repeat(64), size: 200, seq: 3, reason: 'already in the case as EX-000001 (recorded as presented again)'}),
      ingested(fileRef('/in/3.jpg'), {exhibit: 'EX-000002', sha256: 'c'.repeat(64), size: 300, seq: 4, metadataWarnings: [], noMetadata: true, changedFrom: null}),
      failed(fileRef('/in/4.jpg'), {code: 'INPUT_EMPTY', message: 'empty'}),
    ]
    const items = [...work.files('all')]
    done.forEach((result, k) => work.setResult(items[k]!.i, result))
    const results = [...work.results((f) => skipped(fileRef(f.path), 'not reached'))]
    expect(results).toEqual([failed(fileRef('/in/missing.jpg'), {code: 'INPUT_MISSING', message: 'no'}), ...done, skipped(fileRef('/in/5.jpg'), 'not reached')])
    expect(work.counts()).toEqual({counts: {ingested: 2, alreadyPresent: 1, failed: 2, skipped: 1}, bytesIngested: 400})
  })

  it('keeps the last of what earlier runs took in of a path, and the first file of each content', () => {
    const work = worklist()
    expect(work.hasEarlier()).toBe(false)
    work.remember({path: '/in/a.jpg', exhibit: 'EX-000001', size: 5, modifiedAt: '2024-01-01T00:00:00.000Z'})
    work.remember({path: '/in/a.jpg', exhibit: 'EX-000003', size: 6, modifiedAt: null})
    expect(work.hasEarlier()).toBe(true)
    expect(work.earlier('/in/a.jpg')).toEqual({path: '/in/a.jpg', exhibit: 'EX-000003', size: 6, modifiedAt: null})
    expect(work.earlier('/in/b.jpg')).toBeUndefined()
    expect(work.firstWithContent('f'.repeat(64), '/in/a.jpg')).toBeUndefined()
    expect(work.firstWithContent('f'.repeat(64), '/in/b.jpg')).toBe('/in/a.jpg')
  })
})

/** `value` with `list` put at `path` by hand, in a deep copy (a member that is there keeps its place; a new one comes last). */
function withListAt(value: object, path: readonly string[], list: unknown[]): unknown {
  const copy = structuredClone(value) as {[key: string]: unknown}
  let node = copy
  for (const step of path.slice(0, -1)) {
    const inner = node[step]
    node = node[step] = typeof inner === 'object' && inner !== null ? {...(inner as object)} : {}
  }

  node[path.at(-1)!] = list
  return copy
}

describe('JSON with a list too long to hold', () => {
  const json = fc.jsonValue({maxDepth: 3})
  const key = fc.string({maxLength: 4})
  const value = fc.dictionary(key, json, {maxKeys: 4})
  const path = fc.array(key, {minLength: 1, maxLength: 3})

  it('jsonWithList writes the same text as JSON.stringify(value, null, 2), the list anywhere in the object, at any depth (property)', () => {
    fc.assert(
      fc.property(value, path, fc.array(json, {maxLength: 5}), (v, p, list) => {
        expect([...jsonWithList(v, p as [string, ...string[]], list)].join('\n')).toBe(JSON.stringify(withListAt(v, p, list), null, 2))
      }),
    )
  })

  it('canonicalWithList gives the RFC 8785 canonical JSON in pieces, the list anywhere, at any depth (property)', () => {
    fc.assert(
      fc.property(value, path, fc.array(json, {maxLength: 5}), (v, p, list) => {
        expect([...canonicalWithList(v, p as [string, ...string[]], list as JsonValue[])].join('')).toBe(canonicalize(withListAt(v, p, list) as JsonValue))
      }),
    )
  })
})
