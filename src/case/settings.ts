/**
 * A case's settings, kept as `config` events in the ledger like every other change of state: the
 * current value of a setting is the one its latest config event gives.
 *
 *   tsa      the Time-Stamp Authorities `custody timestamp` asks (URLs)
 *   tsa-ca   the root certificates their tokens must chain to (PEM, kept in the event itself)
 */
import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {CustodyError, messageOf} from '../errors.js'
import type {ConfigPayload, TrustedRootFormat} from '../formats/events.js'
import type {Case} from './case.js'

export const SETTINGS = ['tsa', 'tsa-ca'] as const
export type SettingName = (typeof SETTINGS)[number]

/** A TSA root certificate the case trusts, as its config event records it. */
export type TrustedRoot = TrustedRootFormat

export interface CaseSettings {
  tsa: string[]
  'tsa-ca': TrustedRoot[]
}

export function caseSettings(kase: Case): CaseSettings {
  const settings: CaseSettings = {tsa: [], 'tsa-ca': []}
  for (const event of kase.ledger.eventsInClear('config')) {
    const config = event.payload
    if (config.setting === 'tsa') settings.tsa = config.value
    else settings['tsa-ca'] = config.value
  }

  return settings
}

export function checkTsaUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CustodyError('INVALID_ARGUMENT', `${JSON.stringify(url)} is not a URL; a TSA is named like https://freetsa.org/tsr`)
  }

  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CustodyError('INVALID_ARGUMENT', `${url} is not an http or https URL; RFC 3161 over HTTP needs one`)
  }

  return parsed.toString()
}

/** Reads root certificates from PEM files, refusing a file that holds none. */
export async function readTrustedRoots(files: readonly string[]): Promise<TrustedRoot[]> {
  // Loaded here, not with this module: the case's settings are read by commands that parse no certificate.
  const {parsePemCertificates, subjectOf} = await import('../timestamps/token.js')
  const roots: TrustedRoot[] = []
  for (const file of files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new CustodyError('INPUT_UNREADABLE', `cannot read the TSA root certificate ${file}: ${messageOf(error)}`, {subject: file})
    }

    const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0])
    if (blocks.length === 0) throw new CustodyError('INVALID_ARGUMENT', `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, {subject: file})
    for (const pem of blocks) {
      let subject: string
      try {
        subject = subjectOf(parsePemCertificates(pem)[0]!)
      } catch {
        throw new CustodyError('INVALID_ARGUMENT', `${file} holds a certificate that cannot be read`, {subject: file})
      }

      const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replaceAll(/\s/g, ''), 'base64')
      roots.push({subject, sha256: createHash('sha256').update(der).digest('hex'), pem: `${pem}\n`})
    }
  }

  return roots
}

/** Records a setting's new value as a config event. */
/** A setting's new value, checked (a URL, a PEM file of certificates): what setSetting() records. Needs no key. */
export async function checkSetting(setting: string, values: readonly string[]): Promise<ConfigPayload> {
  if (!(SETTINGS as readonly string[]).includes(setting)) {
    throw new CustodyError('INVALID_ARGUMENT', `unknown setting ${JSON.stringify(setting)}; the settings are ${SETTINGS.join(', ')}`)
  }

  return setting === 'tsa' ? {setting, value: values.map((v) => checkTsaUrl(v))} : {setting: 'tsa-ca', value: await readTrustedRoots(values)}
}

/** Records a setting checked by checkSetting(). */
export async function setSetting(kase: Case, payload: ConfigPayload, actor?: string): Promise<CaseSettings> {
  await kase.assertIntactHead()
  kase.ledger.append(() => ({
    drafts: [{actor: actor ?? kase.info.investigator, action: 'config', exhibit: null, payload}],
    result: undefined,
  }))
  await kase.recordHead()
  return caseSettings(kase)
}
