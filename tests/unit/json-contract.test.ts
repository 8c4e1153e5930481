/**
 * The JSON contract, without running a command: every error code has its exit code in one table
 * (src/errors.ts ERROR_CODES), which docs/json/error.schema.json and README's list of codes both
 * follow; every command's schema takes the error document and refuses what is not documented.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CustodyError, ERROR_CODES, unforeseenError, type CustodyErrorCode} from '../../src/errors.js'
import {errorDocument, successDocument} from '../../src/render/json-output.js'
import {ROOT} from '../helpers/cli.js'
import {SCHEMAS, schemaErrors, schemaFiles} from '../helpers/json-schemas.js'

const SHARED = new Set(['common.schema.json', 'event.schema.json', 'seal-statement.schema.json'])
const commandSchemas = schemaFiles().filter((name) => !SHARED.has(name) && name !== 'error.schema.json')

describe('error codes', () => {
  it('are those of docs/json/error.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(SCHEMAS, 'error.schema.json'), 'utf8')) as {$defs: {code: {enum: string[]}}}
    expect(schema.$defs.code.enum).toEqual(Object.keys(ERROR_CODES))
  })

  it("are README's, each with its exit code", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const listed = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d) \|/gm)].map(([, code, exit]) => [code, Number(exit)])
    expect(Object.fromEntries(listed)).toEqual(ERROR_CODES)
  })

  it('give each error its exit code', () => {
    for (const [code, exit] of Object.entries(ERROR_CODES)) expect(new CustodyError(code as CustodyErrorCode, 'x').exitCode, code).toBe(exit)
  })
})

describe('the documents', () => {
  it('always give an error its code, message and subject (null when it has none), and the version', () => {
    expect(errorDocument(new CustodyError('USAGE', 'plain'))).toEqual({version: 1, error: {code: 'USAGE', message: 'plain', subject: null}})
    const named = new CustodyError('INVALID_ARGUMENT', 'said otherwise', {subject: '/a.zip', field: 'out', problems: [{line: 2, message: 'bad'}], problemCount: 3})
    expect(errorDocument(named, '--out: as the command says it')).toEqual({
      version: 1,
      error: {code: 'INVALID_ARGUMENT', message: '--out: as the command says it', subject: '/a.zip', field: 'out', problems: [{line: 2, message: 'bad'}], problemCount: 3},
    })
    expect(Object.keys(successDocument({b: 1, a: 2}))).toEqual(['version', 'b', 'a'])
  })

  it('validate against every command schema as an error, and nothing undocumented does', () => {
    expect(commandSchemas.length).toBeGreaterThan(20)
    const error = errorDocument(new CustodyError('CASE_NOT_FOUND', 'no case here'))
    for (const name of commandSchemas) {
      expect(schemaErrors(name, error), name).toEqual([])
      expect(schemaErrors(name, {...error, extra: true}), name).not.toEqual([])
      expect(schemaErrors(name, {...error, error: {...error.error, errno: -2}}), name).not.toEqual([])
      expect(schemaErrors(name, {...error, version: 2}), name).not.toEqual([])
      expect(schemaErrors(name, {version: 1, error: {code: 'ENOENT', message: 'x', subject: null}}), name).not.toEqual([])
    }
  })
})

describe('an error custody did not foresee', () => {
  const systemError = (code: string, errno: number, path: string): Error =>
    Object.assign(new Error(`${code}: what the system says, open '${path}'`), {errno, code, syscall: 'open', path})

  it('is a system error in words, naming its file, never its errno and syscall as fields', () => {
    const error = unforeseenError(systemError('EACCES', -13, '/cases/x/.custody/tmp'))
    expect(error.code).toBe('SYSTEM_ERROR')
    expect(error.exitCode).toBe(1)
    expect(error.subject).toBe('/cases/x/.custody/tmp')
    expect(error.message).toMatch(/^the system refused what custody asked of it: permission denied \(EACCES\) \(\/cases\/x\/.custody\/tmp\)\. Check/)
    expect(errorDocument(error)).toEqual({version: 1, error: {code: 'SYSTEM_ERROR', message: error.message, subject: '/cases/x/.custody/tmp'}})
  })

  it('is DISK_FULL when the disk is full, and INTERNAL when it is no system error; a CustodyError stays as it is', () => {
    expect(unforeseenError(systemError('ENOSPC', -28, '/cases/x/a')).code).toBe('DISK_FULL')
    const bug = unforeseenError(new TypeError("Cannot read properties of undefined (reading 'seq')"))
    expect(bug.code).toBe('INTERNAL')
    expect(bug.message).toContain("Cannot read properties of undefined (reading 'seq'). This is a fault in custody")
    const own = new CustodyError('USAGE', 'mine')
    expect(unforeseenError(own)).toBe(own)
  })
})
