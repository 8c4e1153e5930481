/**
 * Check 3 of `custody verify ARCHIVE`, manifests: every line of both payload manifests matches its
 * file (RFC 8493 §2.1.3, §3), every payload file is in both, and every line of both tag manifests
 * (§2.2.1) matches its file. A payload manifest grows with the case and is read as a stream, a
 * line at a time with a bound on each; a tag manifest is small and read whole.
 */
import {BAG_LIMITS, PAYLOAD_MANIFESTS, parseManifestLine, smallFileLimit, TAG_MANIFESTS} from '../../seal/bag-layout.js'
import {messageOf} from '../../errors.js'
import type {Check, Finding} from '../checklist.js'
import type {ProblemList} from '../problem-list.js'
import {concluded, findings, readSmallText, type ArchiveContext} from './context.js'

type Algorithm = 'sha256' | 'sha512'

export interface Manifest {
  name: string
  algorithm: Algorithm
  payload: boolean
}

/**
 * What a manifest line's path names: whether an earlier line of the same manifest named it, and
 * its digest. The index counts the lines of a payload manifest that name each file; a tag manifest
 * is small, and its listed paths are kept aside.
 */
function lister(context: ArchiveContext, manifest: Manifest): (path: string) => {twice: boolean; digest: string | undefined} {
  const tagListed = new Set<string>()
  return (path) => {
    if (manifest.payload) {
      const file = context.files.listed(path, manifest.algorithm)
      return {twice: (file?.times ?? 0) > 1, digest: file?.digest}
    }

    const twice = tagListed.has(path)
    tagListed.add(path)
    return {twice, digest: context.files.get(path)?.[manifest.algorithm]}
  }
}

async function linesOf(context: ArchiveContext, manifest: Manifest, size: number): Promise<AsyncIterable<string> | Iterable<string>> {
  const file = context.files.get(manifest.name)!
  if (manifest.payload) return context.source.lines(file.info, BAG_LIMITS.manifestLine)
  const lines = ((await readSmallText(context, manifest.name)) ?? '').split('\n')
  if (size > (smallFileLimit(manifest.name) ?? 0)) throw new Error(`${size} bytes, more than any genuine tag manifest`)
  return lines
}

/** Checks each line of one manifest against the files; false when a line is not a manifest line (the rest is not read). */
async function checkLines(context: ArchiveContext, manifest: Manifest, size: number, found: ProblemList<Finding>): Promise<boolean> {
  const {name, algorithm, payload} = manifest
  const listed = lister(context, manifest)
  let line = 0
  for await (const entry of await linesOf(context, manifest, size)) {
    line++
    if (entry === '') continue
    const parsed = parseManifestLine(entry)
    if (parsed === undefined) {
      found.push({subject: name, message: `line ${line} is not "<digest>  <path>"`})
      return false
    }

    const {hex, path} = parsed
    const {twice, digest} = listed(path)
    if (twice) found.push({subject: `${name} line ${line}`, message: `${path} is listed twice`})
    if (payload && !path.startsWith('data/')) {
      found.push({subject: `${name} line ${line}`, message: `${path} is not a payload file`})
    } else if (digest === undefined) {
      found.push({subject: path, message: `listed in ${name} (line ${line}) but not in the bag`})
    } else if (digest !== hex) {
      found.push({subject: path, message: `its ${algorithm === 'sha256' ? 'SHA-256' : 'SHA-512'} does not match ${name} line ${line}`, expected: hex, actual: digest})
    }
  }

  return true
}

export async function checkManifest(context: ArchiveContext, manifest: Manifest, found: ProblemList<Finding>): Promise<void> {
  const file = context.files.get(manifest.name)
  if (file === undefined) {
    found.push({subject: manifest.name, message: 'missing'})
    return
  }

  let wellFormed: boolean
  try {
    wellFormed = await checkLines(context, manifest, file.size, found)
  } catch (error) {
    found.push({subject: manifest.name, message: `cannot be read: ${messageOf(error)}`})
    return
  }

  if (manifest.payload && wellFormed) {
    const naming = manifest.algorithm === 'sha256' ? 'listed256' : 'listed512'
    for (const path of context.files.unnamed('data/', naming)) found.push({subject: path, message: `is in the bag but not in ${manifest.name}`})
  }
}

export const manifestsCheck: Check<ArchiveContext> = {
  name: 'manifests',
  async run(context) {
    const found = findings()
    for (const [index, algorithm] of (['sha256', 'sha512'] as const).entries()) {
      await checkManifest(context, {name: PAYLOAD_MANIFESTS[index]!, algorithm, payload: true}, found)
      await checkManifest(context, {name: TAG_MANIFESTS[index]!, algorithm, payload: false}, found)
    }

    return concluded(context, found, `${context.payload.count} payload files against SHA-256 and SHA-512 manifests; tag manifests`)
  },
}
