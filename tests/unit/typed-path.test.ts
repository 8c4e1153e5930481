/** Paths typed or pasted at a prompt (src/io/typed-path.ts): read as a shell reads one word. */
import {describe, expect, it} from 'vitest'
import {pathReadings, shellWord} from '../../src/io/typed-path.js'

const read = (text: string) => pathReadings(text, '/work', '/home/x')

describe('pathReadings', () => {
  it('unquotes what terminals paste for a dragged file, the reading as typed after it', () => {
    expect(read("'/home/x/My Files/statement.txt'")).toEqual(['/home/x/My Files/statement.txt', "/work/'/home/x/My Files/statement.txt'"])
    expect(read('/home/x/My\\ Files/a.txt')[0]).toBe('/home/x/My Files/a.txt')
    expect(read('"/home/x/My Files/say \\"no\\".txt"')[0]).toBe('/home/x/My Files/say "no".txt')
    expect(read("'/home/x/It'\\''s here.txt'")[0]).toBe("/home/x/It's here.txt")
    // Drag and drop leaves a space after the path.
    expect(read("'/home/x/My Files/a.txt' ")[0]).toBe('/home/x/My Files/a.txt')
  })

  it('reads ~ as the home folder, only unquoted and at the start', () => {
    expect(read('~/statement.txt')).toEqual(['/home/x/statement.txt'])
    expect(read('~')).toEqual(['/home/x'])
    expect(read("'~/a.txt'")[0]).toBe('/work/~/a.txt')
    expect(read('~other/a.txt')[0]).toBe('/work/~other/a.txt')
  })

  it('reads a file:// URL', () => {
    expect(read('file:///home/x/My%20Files/a.txt')[0]).toBe('/home/x/My Files/a.txt')
  })

  it('resolves a relative path in the working folder, and keeps a text that is no one word as typed', () => {
    expect(read('a.txt')).toEqual(['/work/a.txt'])
    expect(read('My Files/a.txt')).toEqual(['/work/My Files/a.txt'])
    expect(read("'/home/x/open")).toEqual(["/work/'/home/x/open"])
    expect(read('  ')).toEqual([])
  })
})

describe('shellWord', () => {
  it('is undefined for more than one word or a quote left open', () => {
    expect(shellWord('a b')).toBeUndefined()
    expect(shellWord('"a')).toBeUndefined()
    expect(shellWord("a'b c'd")).toEqual({word: 'ab cd', tilde: false})
  })
})
