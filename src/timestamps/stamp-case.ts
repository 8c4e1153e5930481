/**
 * `custody timestamp`: trusted time for the ledger from one or more RFC 3161 Time-Stamp
 * Authorities, over the latest signed checkpoint.
 *
 *   1. choose  the TSAs (--tsa, else the case's `tsa` setting) and the roots their tokens must
 *              chain to (--tsa-ca, else the `tsa-ca` setting); without either, stop before any
 *              network call;
 *   2. what    the latest checkpoint; when nothing but timestamp events came after the last
 *              stamped checkpoint, there is nothing new to stamp;
 *   3. ask     every TSA at once for a token over the checkpoint's exact bytes, and check each
 *              reply (token.ts) before keeping it; a TSA that fails is reported, the others count;
 *   4. record  one `timestamp` event with the tokens and the failures. With no token the
 *              checkpoint is recorded as waiting; the next call that succeeds stamps a newer
 *              checkpoint, and consistency proofs tie the older ones to it.
 */
import {createHash} from 'node:crypto'
import type {Case} from '../case/case.js'
import {caseSettings, checkTsaUrl, readTrustedRoots, type TrustedRoot} from '../case/settings.js'
import {parseCheckpoint, type SignedCheckpoint} from '../checkpoints/checkpoint.js'
import {CustodyError, fields, given, messageOf, said} from '../errors.js'
import type {EventOf} from '../formats/events.js'
import type {TokenFacts} from './token.js'
import {postTimestampQuery} from './tsa-client.js'

export type StoredToken = TokenFacts & {
  tsa: string
  /** Base64 DER TimeStampResp, as the TSA sent it. */
  token: string
}

export interface TimestampRecord {
  /** The timestamp event. */
  eventSeq: number
  time: string
  checkpoint: {seq: number; treeSize: number; sha256: string}
  tokens: StoredToken[]
  failures: {tsa: string; problem: string}[]
  /** The roots the tokens were checked against when they were received. */
  roots: TrustedRoot[]
}

export interface TimestampReport {
  status: 'stamped' | 'waiting' | 'up-to-date'
  checkpoint: {seq: number; treeSize: number; sha256: string}
  tokens: StoredToken[]
  failures: {tsa: string; problem: string}[]
  /** Events not covered by any token before this call (timestamp events themselves excluded). */
  pendingBefore: number
}

function recordFrom(event: EventOf<'timestamp'>): TimestampRecord {
  const {checkpoint, tokens, failures, roots} = event.payload
  return {eventSeq: event.seq, time: event.time, checkpoint, tokens, failures, roots}
}

/** Every timestamp event of the case, oldest first. */
export function timestampHistory(kase: Case): TimestampRecord[] {
  return kase.ledger.eventsInClear('timestamp').map((event) => recordFrom(event))
}

/** The newest checkpoint that holds a token, and how many events came after it (timestamp events aside). */
export function timestampCoverage(kase: Case): {lastStamped?: TimestampRecord; pending: number; waitingSince?: string} {
  const history = timestampHistory(kase)
  const lastStamped = history.findLast((r) => r.tokens.length > 0)
  const from = lastStamped?.checkpoint.treeSize ?? 0
  const stampEvents = history.filter((r) => r.eventSeq >= from).length
  const pending = Math.max(0, kase.ledger.size() - from - stampEvents)
  const waiting = history.filter((r) => r.tokens.length === 0 && r.eventSeq > (lastStamped?.eventSeq ?? -1))
  return {
    ...(lastStamped ? {lastStamped} : {}),
    pending,
    ...(waiting.length > 0 ? {waitingSince: waiting[0]!.time} : {}),
  }
}

function describe(checkpoint: SignedCheckpoint): {seq: number; treeSize: number; sha256: string} {
  const body = parseCheckpoint(checkpoint.body)
  if ('problem' in body) throw new CustodyError('INTEGRITY', `checkpoint ${checkpoint.seq} is damaged (${body.problem}); run \`custody verify\``)
  return {seq: checkpoint.seq, treeSize: body.treeSize, sha256: createHash('sha256').update(checkpoint.body).digest('hex')}
}

export interface StampOptions {
  tsa?: readonly string[]
  tsaCaFiles?: readonly string[]
  actor?: string
  timeoutMs?: number
  signal?: AbortSignal
}

/** The TSAs and roots a stamp is given, as its errors name them. */
const GIVEN = fields({tsa: 'the URL of a TSA', tsaCaFiles: "the TSA's root certificate"})

/** The TSAs to ask and the roots their tokens must chain to (step 1). */
export interface ChosenTsas {
  urls: string[]
  roots: TrustedRoot[]
}

/**
 * Step 1: the TSAs (given, else the case's `tsa` setting) and the roots (given, else `tsa-ca`);
 * without either, refused. Needs no key: a command runs it before it asks for the passphrase.
 */
export async function chooseTsas(kase: Case, options: Pick<StampOptions, 'tsa' | 'tsaCaFiles'>): Promise<ChosenTsas> {
  const settings = caseSettings(kase)
  const urls = (options.tsa?.length ? options.tsa : settings.tsa).map((u) => checkTsaUrl(u))
  if (urls.length === 0) {
    throw new CustodyError('USAGE', said`no Time-Stamp Authority to ask: give ${given(GIVEN.tsa)}, or save one with \`custody config set tsa URL\``)
  }

  const roots: TrustedRoot[] = options.tsaCaFiles?.length ? await readTrustedRoots(options.tsaCaFiles) : settings['tsa-ca']
  if (roots.length === 0) {
    throw new CustodyError(
      'USAGE',
      said`no TSA root certificate to check tokens against: give ${given(GIVEN.tsaCaFiles)} (the TSA's root, PEM), or save it with \`custody config set tsa-ca FILE\``,
    )
  }

  return {urls, roots}
}

/** Stamps the case; `chosen` is what chooseTsas() chose (it chooses itself when not given). */
export async function stampCase(kase: Case, options: StampOptions = {}, chosen?: ChosenTsas): Promise<TimestampReport> {
  // 1. choose
  const {urls, roots} = chosen ?? (await chooseTsas(kase, options))

  // Loaded here, not with this module: `custody status` reads the timestamp coverage and no token.
  const {checkTimestampReply, parsePemCertificates, timestampRequest} = await import('./token.js')
  const trusted = roots.flatMap((r) => parsePemCertificates(r.pem))
  await kase.assertIntactHead()

  // 2. what
  const coverage = timestampCoverage(kase)
  const latest = kase.ledger.latestCheckpoint()
  if (latest === undefined) throw new CustodyError('INTEGRITY', 'the ledger has no signed checkpoint; run `custody verify`')
  const checkpoint = describe(latest)
  if (coverage.pending === 0 && coverage.lastStamped !== undefined) {
    return {status: 'up-to-date', checkpoint: coverage.lastStamped.checkpoint, tokens: [], failures: [], pendingBefore: 0}
  }

  // 3. ask
  const data = Buffer.from(latest.body, 'utf8')
  const answers = await Promise.all(
    urls.map(async (tsa): Promise<StoredToken | {tsa: string; problem: string}> => {
      try {
        const request = timestampRequest(createHash('sha256').update(data).digest())
        const reply = await postTimestampQuery(tsa, request.der, {
          ...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs}),
          ...(options.signal === undefined ? {} : {signal: options.signal}),
        })
        const check = await checkTimestampReply(reply, {data, nonce: request.nonce, trusted})
        if (!check.ok) return {tsa, problem: `its reply was refused: ${check.problem}`}
        const {ok: _ok, ...facts} = check
        return {tsa, ...facts, token: Buffer.from(reply).toString('base64')}
      } catch (error) {
        return {tsa, problem: messageOf(error)}
      }
    }),
  )
  if (options.signal?.aborted) throw new CustodyError('INTERRUPTED', 'interrupted before the tokens were recorded; nothing was added. Run `custody timestamp` again')
  const tokens = answers.filter((a): a is StoredToken => 'token' in a)
  const failures = answers.filter((a): a is {tsa: string; problem: string} => 'problem' in a)

  // 4. record
  kase.ledger.append(() => ({
    drafts: [
      {
        actor: options.actor ?? kase.info.investigator,
        action: 'timestamp',
        exhibit: null,
        payload: {
          checkpoint,
          status: tokens.length > 0 ? 'stamped' : 'waiting',
          tokens,
          failures,
          roots,
        },
      },
    ],
    result: undefined,
  }))
  await kase.recordHead()
  return {status: tokens.length > 0 ? 'stamped' : 'waiting', checkpoint, tokens, failures, pendingBefore: coverage.pending}
}
