/**
 * HTML made safe from hostile text: every string from the archive goes through escapeHtml() before
 * it is written, in text and in attribute values alike (HTML Living Standard §13.1.2.6 and
 * §13.1.4: escaping &, <, >, " and ' suffices in both). Control and bidirectional characters are
 * shown as escapes (src/render/text.ts), so that a name cannot hide or reorder what follows it.
 */
import {printable} from './writer.js'

export function escapeHtml(value: unknown): string {
  return printable(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

/** Text of many lines (for a <pre>): each line escaped, the line breaks kept. */
export function escapeLines(value: string): string {
  return value.split('\n').map((line) => escapeHtml(line)).join('\n')
}

/** A table row of cells, each escaped. */
export function row(cells: readonly unknown[], header = false): string {
  const tag = header ? 'th' : 'td'
  return `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>\n`
}

/** A two-column table of labels and values, each escaped. */
export function facts(pairs: ReadonlyArray<readonly [string, unknown]>): string {
  return `<table class="facts">\n${pairs.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>\n`).join('')}</table>\n`
}

/** A heading with an anchor ID made only of safe characters. */
export function heading(level: 2 | 3 | 4, text: string, id: string): string {
  return `<h${level} id="${escapeHtml(id.replaceAll(/[^A-Za-z0-9_-]/g, '_'))}">${escapeHtml(text)}</h${level}>\n`
}

/**
 * The report's style: no fonts, images or anything else loaded (no url(), no @import); A4 and
 * Letter both fit (the page's size is left to the printer, with margins that suit both); verdicts
 * are in words, colour only repeats them.
 */
export const STYLE = `
body { font-family: serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; color: #000; background: #fff; line-height: 1.4; }
h1, h2, h3 { font-family: sans-serif; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #444; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
td, th { overflow-wrap: anywhere; }
.facts th { width: 14rem; }
.checks tr > :nth-child(-n+2) { white-space: nowrap; overflow-wrap: normal; }
.verdict { border: 3px solid #000; padding: 0.6rem; font-weight: bold; font-size: 1.1rem; }
.verdict.failed { border-style: double; border-width: 6px; }
.hash { font-family: monospace; font-size: 0.8rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem; border: 1px solid #888; padding: 0.5rem; }
details > summary { cursor: pointer; font-weight: bold; }
img.thumb { max-width: 20rem; max-height: 20rem; }
section.exhibit { break-inside: auto; border-top: 2px solid #000; margin-top: 1.5rem; }
@page { margin: 18mm 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-before: page; }
  h2.first { break-before: auto; }
  tr, img { break-inside: avoid; }
  details:not([open]) > :not(summary) { display: none; }
}
`

/**
 * Nothing may be loaded: the Content-Security-Policy says so to a browser that honours it, and the
 * page names no resource to load in the first place.
 */
export function documentHead(lang: string, title: string): string {
  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(lang)}">`,
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>\n`,
  ].join('\n')
}
