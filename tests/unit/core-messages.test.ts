/**
 * A guard: the core's errors name input fields, never a command-line flag (src/errors.ts). It reads
 * the text of every `new CustodyError(...)` and every `said` message under src/ with the TypeScript
 * parser and refuses `--flag` in it, except inside a whole command in backticks, the documented form
 * of a next step (`custody seal --finish SEAL-ID`). Text built elsewhere and passed in as a variable
 * is not seen: the guard catches the common case, the review the rest.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'
import {ROOT} from '../helpers/cli.js'

/** The text of a literal, with `${}` for what a template puts in. */
function textOf(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((span) => `\${}${span.literal.text}`).join('')
  return undefined
}

/** `--flag` in the text, once next steps (a `custody …` command in backticks) are taken out. */
function namesFlag(text: string): boolean {
  return /(^|[^\w-])--[a-z]/.test(text.replaceAll(/`custody [^`]*`/g, ''))
}

/** Each place of `source` where an error's text names a flag: "file:line: text". */
function flagsInErrors(file: string, source: string): string[] {
  const parsed = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const literals = (node: ts.Node): void => {
    const text = textOf(node)
    if (text !== undefined && namesFlag(text)) found.push(`${file}:${parsed.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${text}`)
    ts.forEachChild(node, literals)
  }

  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && node.expression.getText() === 'CustodyError') return node.arguments?.forEach(literals)
    if (ts.isTaggedTemplateExpression(node) && node.tag.getText() === 'said') return literals(node.template)
    ts.forEachChild(node, visit)
  }

  visit(parsed)
  return found
}

describe("the core's errors", () => {
  it('are refused when their text names a flag, outside a next step in backticks', () => {
    const source = [
      "throw new CustodyError('INVALID_ARGUMENT', `--out must name a .zip file, got ${out}`)",
      "const message = said`choose another ${OUTPUT.out}, or add --force`",
      "new CustodyError('USAGE', cond ? 'fine' : 'give --tsa URL')",
      "new CustodyError('STORAGE_FAILED', `kept at ${temp}; run \\`custody seal --finish ${id}\\` to put it in place`)",
      "new CustodyError('USAGE', said`${OUTPUT.out} must name a .zip file`) // not --out",
      "const hint = 'a --flag outside an error is not this guard\\'s'",
    ].join('\n')
    expect(flagsInErrors('example.ts', source)).toEqual([
      'example.ts:1: --out must name a .zip file, got ${}',
      'example.ts:2: choose another ${}, or add --force',
      'example.ts:3: give --tsa URL',
    ])
  })

  it('name no flag anywhere under src/', () => {
    const src = join(ROOT, 'src')
    const files = readdirSync(src, {recursive: true, encoding: 'utf8'}).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(100)
    expect(files.flatMap((f) => flagsInErrors(relative(ROOT, join(src, f)), readFileSync(join(src, f), 'utf8')))).toEqual([])
  })
})
