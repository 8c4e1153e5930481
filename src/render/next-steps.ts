/**
 * The `Next:` hints that end the text output of init, ingest, testimony add and seal: a short
 * list of what a person would do next with what was just done, read from the state of the case
 * (src/case/next-steps.ts). Text output only, on stdout with the report they follow: --json
 * gives none, and a script that reads the text can take them for what they are.
 */
import {basename} from 'node:path'
import type {CaseProgress} from '../case/next-steps.js'
import type {IngestFileResult, IngestReport} from '../ingest/ingest.js'
import type {SealReport} from '../seal/seal.js'
import type {TestimonyReport} from '../testimony/take-testimony.js'
import type {ConsentScope} from '../testimony/vocabulary.js'
import {plural, safeText} from './text.js'

/** A step: the command to type, and what it does. */
type Step = readonly [command: string, does: string]

/** The steps under `Next:`, their commands in one column, after a blank line; none when there are none. */
function nextLines(steps: readonly Step[]): string[] {
  if (steps.length === 0) return []
  const width = Math.max(...steps.map(([command]) => command.length))
  return ['', ...steps.map(([command, does], i) => `${i === 0 ? 'Next:' : '     '} ${command.padEnd(width)}   ${does}`)]
}

/** A path as typed in a POSIX shell: as it is when plain, else in single quotes. */
export function shellWord(path: string): string {
  const shown = safeText(path)
  return /^[\w@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`
}

/** `custody timestamp`, when the case has a TSA to ask and events wait for trusted time. */
function stampStep(progress: CaseProgress): Step[] {
  const n = progress.unstamped
  return n === null || n === 0 ? [] : [['custody timestamp', `trusted time for the ${plural(n, 'event')} no token covers yet`]]
}

function firstIngested(results: Iterable<IngestFileResult>): string | undefined {
  for (const r of results) if (r.status === 'ingested' && r.exhibit !== undefined) return r.exhibit
  return undefined
}

/** After ingest: look at what went in, stamp it, seal it. Read while the report's results can be (before its close()). */
export function nextAfterIngest(report: IngestReport, progress: CaseProgress): string[] {
  if (report.dryRun) {
    const would = report.counts.wouldIngest
    return nextLines(would > 0 ? [['the same command without --dry-run', `ingests the ${plural(would, 'new file')}`]] : [])
  }

  const {counts} = report
  if (counts.ingested + counts.alreadyPresent === 0) return []
  // The first new exhibit is near the start of the results: the search stops there.
  const first = counts.ingested > 0 ? firstIngested(report.results) : undefined
  return nextLines([
    ...(first === undefined ? [] : [[`custody show ${first}`, 'what was recorded of it: digests, metadata, events'] as const]),
    ['custody list', 'every exhibit of the case'],
    ...stampStep(progress),
    ['custody seal --out FILE.zip --purpose court', 'seal the exhibits into an archive for a court (testimony where the witness consented)'],
  ])
}

/** The purposes a seal can take, in the order a hint offers them. */
const SEAL_PURPOSES: readonly ConsentScope[] = ['court', 'international', 'advocacy']

/** After testimony add: read it back, stamp it, seal it for what the witness consented to (or record consent first). */
export function nextAfterTestimony(report: TestimonyReport, progress: CaseProgress): string[] {
  const witness = safeText(report.witness)
  const purpose = SEAL_PURPOSES.find((scope) => report.consent.scopes.includes(scope))
  return nextLines([
    [`custody show ${witness}`, 'the testimony: interview, consent, statement versions, attachments'],
    [`custody show ${witness} --statement`, 'its statement, as recorded'],
    ...stampStep(progress),
    purpose === undefined
      ? [`custody testimony consent ${witness} --grant SCOPE`, 'when the witness consents to a use; until then no seal takes the testimony']
      : [`custody seal ${witness} --out FILE.zip --purpose ${purpose}`, `seal it for ${purpose === 'court' ? 'a court' : purpose === 'international' ? 'an international body' : 'anonymised advocacy'}, as the witness consented`],
  ])
}

/**
 * After a seal: check the archive as its recipient will, and hand it over with the key's
 * fingerprint, which must reach the recipient another way (anyone can make an archive signed by
 * a key of their own). `typed` is the archive as the user named it.
 */
export function nextAfterSeal(report: SealReport, progress: CaseProgress, typed: string): string[] {
  const fingerprint = report.statement.key.fingerprint
  if (report.encrypted !== null) {
    const file = `${typed}.age`
    return [
      ...nextLines([[`custody verify ${shellWord(file)} --identity KEY.txt`, 'check it with a recipient\'s identity, if you hold one'], ...stampStep(progress)]),
      `      Hand it over with the fingerprint of the key that signed it, sent another way (in person, by phone): ${fingerprint}`,
      `      The recipient decrypts it with \`age -d -i KEY.txt ${shellWord(basename(file))} > ${shellWord(basename(typed))}\`, or checks it as it is with \`custody verify ${shellWord(basename(file))} --identity KEY.txt --key ${fingerprint}\`.`,
    ]
  }

  const archive = shellWord(typed)
  return [
    ...nextLines([[`custody verify ${archive}`, 'check it as its recipient will'], ...stampStep(progress)]),
    `      Hand it over with the fingerprint of the key that signed it, sent another way (in person, by phone): ${fingerprint}`,
    `      The recipient checks it with \`custody verify ${shellWord(basename(typed))} --key ${fingerprint}\`, or without custody by the README.txt in it.`,
  ]
}
