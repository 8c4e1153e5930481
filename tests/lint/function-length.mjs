// Lint step, the last of `npm run lint`: no function in src/ longer than MAX_LINES lines. Counted
// are function declarations, methods, accessors, constructors, function expressions and arrows,
// from the line of their first token (doc comment left out) to the line of their closing brace. A
// long function is a list of steps that wants names.
//
//   node tests/lint/function-length.mjs          the offenders, as file:line name length; exit 1 if any
//   node tests/lint/function-length.mjs --all    every function, longest first
//
// Run it from the repository folder (`npm run lint` does), so that `typescript` resolves from node_modules.
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import ts from 'typescript'

const MAX_LINES = 80
const ROOT = 'src'

function listSources(dir) {
  const files = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...listSources(path))
    else if (entry.isFile() && path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path)
  }
  return files.sort()
}

// The name a reader would look for: the declared name, else the variable, property or argument
// position the function is assigned to, else "(anonymous)".
function nameOf(node) {
  if (node.name !== undefined) return node.name.getText()
  if (ts.isConstructorDeclaration(node)) return 'constructor'
  const parent = node.parent
  if (parent !== undefined) {
    if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name !== undefined) {
      return parent.name.getText()
    }
    if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText().replace(/\s+/g, '').slice(0, 40)})`
  }
  return '(anonymous)'
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node)
  )
}

function measureFile(path) {
  const text = readFileSync(path, 'utf8')
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found = []
  const visit = (node) => {
    if (isFunctionLike(node) && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1
      found.push({file: relative('.', path), line: first, name: nameOf(node), lines: last - first + 1})
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const all = listSources(ROOT).flatMap(measureFile)
const showAll = process.argv.includes('--all')
const offenders = all.filter((f) => f.lines > MAX_LINES)
const shown = (showAll ? all : offenders).sort((a, b) => b.lines - a.lines)
for (const f of shown) console.log(`${f.file}:${f.line} ${f.name} ${f.lines}`)
if (offenders.length > 0) {
  console.error(`function-length: ${offenders.length} function(s) in ${ROOT}/ longer than ${MAX_LINES} lines: split them into named steps`)
  process.exit(1)
}
