/**
 * Times as people type them at the interview's prompts, read into what custody records: ISO 8601
 * with the zone's offset (record.ts checks it), since the offset of the place matters in court.
 * A time typed without a zone is taken in this computer's zone, at that date (summer time
 * included), and the interview shows it back to be confirmed.
 *
 *   2024-03-05T10:00+02:00, 2024-03-05 10:00 Z   as written: ISO 8601 with its zone (a space may stand for T)
 *   2024-03-05 10:00, 2024-03-05T10:00:30        in this computer's zone
 *   today 10:00, yesterday 22:15                 that day by this computer's clock, in its zone
 *   10:00                                        on the day and in the zone of `day` (the interview's
 *                                                start) when there is one; else today, this computer's zone
 *   now                                          this computer's clock, to the minute
 *
 * Flags do not come through here: a script gives ISO 8601 with its zone, which nobody confirms.
 */
import {CustodyError, said, type Field} from '../errors.js'

export interface TypedTime {
  /** ISO 8601 with its zone: 2024-03-05T10:00+02:00. */
  iso: string
  /** Where the zone came from, when the text gave none: "this computer's zone, Europe/Kyiv". */
  assumed?: string
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(z|utc|[+-]\d{2}:?\d{2})?$/i
const DAY_TIME = /^(today|yesterday)\s+(\d{1,2}):(\d{2})$/i
const TIME_ONLY = /^(\d{1,2}):(\d{2})$/
const ZONE_OF_ISO = /(Z|[+-]\d{2}:\d{2})$/

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** "+02:00" for 120 minutes east of UTC. */
function offsetText(minutes: number): string {
  const abs = Math.abs(minutes)
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** This computer's time zone, by name (Europe/Kyiv), as the runtime knows it. */
export function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** A moment as this computer's clock shows it, with its offset: 2024-03-01T14:05+02:00 (with seconds when asked). */
export function localTime(date: Date, seconds = false): string {
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}${seconds ? `:${pad(date.getSeconds())}` : ''}`
  return `${day}T${time}${offsetText(-date.getTimezoneOffset())}`
}

function refused(field: Field, text: string, why?: string): CustodyError {
  const example = `2024-03-05 10:00 (taken in this computer's zone, ${machineZone()}), 2024-03-05T10:00+02:00, 10:00, yesterday 22:15 or now`
  return new CustodyError('INVALID_ARGUMENT', said`${field} must be a date and time, such as ${example}; got ${JSON.stringify(text)}${why === undefined ? '' : `: ${why}`}`)
}

function checkClock(field: Field, text: string, hours: number, minutes: number, seconds = 0): void {
  if (hours > 23 || minutes > 59 || seconds > 59) throw refused(field, text, 'no such time of day')
}

/** The local date and time in this computer's zone; refused when the calendar has no such day, or the clocks skipped that time. */
function inMachineZone(field: Field, text: string, parts: {year: number; month: number; day: number; hours: number; minutes: number; seconds?: number}): TypedTime {
  const {year, month, day, hours, minutes, seconds} = parts
  checkClock(field, text, hours, minutes, seconds)
  const date = new Date(year, month - 1, day, hours, minutes, seconds ?? 0)
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) throw refused(field, text, 'no such day in the calendar')
  // Date rolls a time the clocks skipped (summer time began) over into the next hour.
  if (date.getHours() !== hours || date.getMinutes() !== minutes) throw refused(field, text, `there was no such time in ${machineZone()}: the clocks changed then`)
  return {iso: localTime(date, seconds !== undefined), assumed: `this computer's zone, ${machineZone()}`}
}

/** A date and time written out, with or without its zone. */
function readDateTime(field: Field, text: string, match: RegExpExecArray): TypedTime {
  const [year, month, day, hours, minutes] = [1, 2, 3, 4, 5].map((i) => Number(match[i]))
  const seconds = match[6] === undefined ? undefined : Number(match[6])
  const zone = match[7]
  if (zone === undefined) return inMachineZone(field, text, {year: year!, month: month!, day: day!, hours: hours!, minutes: minutes!, ...(seconds === undefined ? {} : {seconds})})
  checkClock(field, text, hours!, minutes!, seconds)
  const offset = /^(z|utc)$/i.test(zone) ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
  const iso = `${match[1]}-${match[2]}-${match[3]}T${pad(hours!)}:${match[5]}${match[6] === undefined ? '' : `:${match[6]}`}${offset}`
  const date = new Date(Date.UTC(year!, month! - 1, day!))
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day! || Number(offset.slice(1, 3)) > 14) throw refused(field, text, 'no such day or zone')
  return {iso}
}

/**
 * Reads a time typed at a prompt (see the list above). `day` is the ISO time a bare time of day
 * belongs to (the interview's start, for its end); `now` is this computer's clock.
 */
export function readTime(text: string, field: Field, context: {now: Date; day?: string | undefined}): TypedTime {
  const typed = text.trim()
  if (/^now$/i.test(typed)) return {iso: localTime(context.now), assumed: `this computer's clock and zone, ${machineZone()}`}
  const full = DATE_TIME.exec(typed)
  if (full) return readDateTime(field, text, full)
  const relative = DAY_TIME.exec(typed)
  if (relative) {
    const back = relative[1]!.toLowerCase() === 'yesterday' ? 1 : 0
    const on = new Date(context.now.getFullYear(), context.now.getMonth(), context.now.getDate() - back)
    return inMachineZone(field, text, {year: on.getFullYear(), month: on.getMonth() + 1, day: on.getDate(), hours: Number(relative[2]), minutes: Number(relative[3])})
  }

  const time = TIME_ONLY.exec(typed)
  const zone = context.day === undefined ? undefined : ZONE_OF_ISO.exec(context.day)?.[1]
  if (time && zone !== undefined) {
    checkClock(field, text, Number(time[1]), Number(time[2]))
    return {iso: `${context.day!.slice(0, 10)}T${pad(Number(time[1]))}:${time[2]}${zone}`, assumed: `the day and zone of the start, ${context.day!.slice(0, 10)} ${zone}`}
  }

  if (time) {
    const {now} = context
    return inMachineZone(field, text, {year: now.getFullYear(), month: now.getMonth() + 1, day: now.getDate(), hours: Number(time[1]), minutes: Number(time[2])})
  }

  throw refused(field, text, /^(today|yesterday)$/i.test(typed) ? `give the time too, such as ${typed.toLowerCase()} 10:00` : undefined)
}
