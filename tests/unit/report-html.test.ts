/**
 * The report's escaping (src/report/html.ts): archive text is hostile, in text and in attribute
 * values alike; control and bidirectional characters cannot hide or reorder what follows them.
 */
import {describe, expect, it} from 'vitest'
import {escapeHtml, escapeLines, facts, heading, row} from '../../src/report/html.js'

describe('escapeHtml', () => {
  it('escapes the five characters that end text or an attribute', () => {
    expect(escapeHtml(`<script>"x"&'y'</script>`)).toBe('&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;')
    expect(escapeHtml('"><img src=x onerror=alert(1)>')).toBe('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;')
  })

  it('shows control and bidirectional characters as escapes', () => {
    expect(escapeHtml('a\u202Egpj.exe')).toBe('a\\u{202e}gpj.exe')
    expect(escapeHtml('line\nbreak\u0000')).toBe('line\\nbreak\\x00')
  })

  it('gives nothing for null and undefined, numbers as written, objects as JSON (escaped)', () => {
    expect(escapeHtml(null)).toBe('')
    expect(escapeHtml(undefined)).toBe('')
    expect(escapeHtml(12.5)).toBe('12.5')
    expect(escapeHtml({a: '<b>'})).toBe('{&quot;a&quot;:&quot;&lt;b&gt;&quot;}')
  })

  it('keeps the line breaks of a block, each line escaped', () => {
    expect(escapeLines('unzip <a>\ncd "b"')).toBe('unzip &lt;a&gt;\ncd &quot;b&quot;')
  })

  it('escapes every cell, label and heading, and an anchor ID to safe characters', () => {
    expect(row(['<x>', 1], true)).toBe('<tr><th>&lt;x&gt;</th><th>1</th></tr>\n')
    expect(facts([['<k>', '<v>']])).toContain('<th scope="row">&lt;k&gt;</th><td>&lt;v&gt;</td>')
    expect(heading(3, '<h>', 'exhibit-"><x')).toBe('<h3 id="exhibit-___x">&lt;h&gt;</h3>\n')
  })
})
