/**
 * A real terminal for the interactive commands: tmux runs the built CLI in a detached session, the
 * test types keys into it and reads the screen back, as a person at the keyboard would.
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {BIN} from './cli.js'

function tmux(...args: string[]): string {
  const result = spawnSync('tmux', args, {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`)
  return result.stdout
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}

/**
 * Writes at `path` an "editor" that types `text` into the file it is given, as a person would, and
 * first runs `before` (a line of sh, "$1" the file), to note what it was given.
 */
export function fakeEditor(path: string, text: string, before = ''): string {
  writeFileSync(path, `#!/bin/sh\n${before}\nprintf '%s' ${quote(text)} > "$1"\n`)
  chmodSync(path, 0o755)
  return path
}

export class Terminal implements Disposable {
  readonly session = `custody-test-${randomBytes(4).toString('hex')}`
  private readonly exitFile: string

  /**
   * Starts `custody ARGS` in a fresh terminal; its exit code is written to `exitFile` when it ends.
   * `unset` names variables it must not have (the terminal's own environment may hold them).
   */
  constructor(args: string[], options: {cwd: string; env: Record<string, string>; exitFile: string; umask?: number; unset?: string[]}) {
    this.exitFile = options.exitFile
    const env = Object.entries({NO_COLOR: '1', ...options.env}).map(([k, v]) => `${k}=${quote(v)}`)
    const umask = options.umask === undefined ? '' : `umask ${options.umask.toString(8).padStart(3, '0')} && `
    const unset = ['CUSTODY_PASSPHRASE', 'CUSTODY_CASE', ...(options.unset ?? [])].map((name) => `-u ${name}`).join(' ')
    const command = `${umask}cd ${quote(options.cwd)} && env ${unset} ${env.join(' ')} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo $? > ${quote(options.exitFile)}; sleep 600`
    tmux('new-session', '-d', '-s', this.session, '-x', '200', '-y', '50', command)
  }

  screen(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', this.session)
  }

  /** Waits until the screen shows `text`; fails with the screen as it is. */
  async waitFor(text: string | RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${String(text)}; it shows:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Types text literally, then presses each named key (Enter, Space, Down, C-c). */
  send(text: string, ...keys: string[]): void {
    if (text !== '') tmux('send-keys', '-t', this.session, '-l', text)
    for (const key of keys) tmux('send-keys', '-t', this.session, key)
  }

  /** Deletes what is on the line (an answer refused and kept, or one given, to be changed), then types `text` and Enter. */
  retype(text: string, deleting = 40): void {
    this.send('', ...Array<string>(deleting).fill('BSpace'))
    this.send(text, 'Enter')
  }

  /** Types `text` once `prompt` is on screen, then Enter. */
  async answer(prompt: string | RegExp, text: string): Promise<void> {
    await this.waitFor(prompt)
    this.send(text, 'Enter')
  }

  /** The command's exit code, once it has ended (128 + the signal's number when a signal ended it). */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (!existsSync(this.exitFile) || readFileSync(this.exitFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`the command did not end; the terminal shows:\n${this.screen()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    return Number(readFileSync(this.exitFile, 'utf8').trim())
  }

  /** Sends `signal` to the custody process itself (not the shell around it), as `kill` would. */
  kill(signal: NodeJS.Signals): void {
    const shell = tmux('list-panes', '-t', this.session, '-F', '#{pane_pid}').trim()
    const children = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', shell], {encoding: 'utf8'}).stdout
    const node = children.split('\n').map((line) => line.trim().split(/\s+/u)).find(([, command]) => command === 'node')
    if (node === undefined) throw new Error(`no custody process in the terminal; the shell's children are:\n${children}`)
    process.kill(Number(node[0]), signal)
  }

  [Symbol.dispose](): void {
    spawnSync('tmux', ['kill-session', '-t', this.session])
  }
}
