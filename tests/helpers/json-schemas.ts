/**
 * The JSON Schemas of custody's --json output (docs/json/, draft 2020-12), loaded into one Ajv:
 * each schema is known by its file name, as the schemas refer to each other
 * (`"$ref": "event.schema.json#/$defs/hex64"`).
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Ajv2020} from 'ajv/dist/2020.js'
import {ROOT} from './cli.js'

export const SCHEMAS = join(ROOT, 'docs', 'json')

/** The schema files, by name (`log.schema.json`). */
export function schemaFiles(): string[] {
  return readdirSync(SCHEMAS)
    .filter((name) => name.endsWith('.schema.json'))
    .sort()
}

let ajv: Ajv2020 | undefined

/** One Ajv holding every schema; strict, so that a misspelt keyword is an error, not a schema that allows anything. */
export function schemas(): Ajv2020 {
  if (ajv !== undefined) return ajv
  ajv = new Ajv2020({allErrors: true, strict: true, allowUnionTypes: true})
  for (const name of schemaFiles()) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, name), 'utf8')) as object, name)
  return ajv
}

/** What is wrong with `document` by the schema `name` (`log.schema.json`): empty when it validates. */
export function schemaErrors(name: string, document: unknown): string[] {
  const validate = schemas().getSchema(name)
  if (validate === undefined) throw new Error(`no schema ${name} in ${SCHEMAS}`)
  if (validate(document)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)} (${e.schemaPath})`)
}
