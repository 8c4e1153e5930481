/**
 * What every custody command shares: `--json`, the documented exit codes, and finding the case.
 *
 * Exit codes: 0 success, 1 some work failed, 2 wrong usage, 3 an integrity check failed.
 * oclif's own catch drops `this.error(msg, {exit})` under --json and exits 1; this one keeps the
 * code in both modes.
 */
import {Command, Flags} from '@oclif/core'
import {Case, locateCase} from '../src/case/case.js'
import {CustodyError} from '../src/errors.js'

export const caseFlag = Flags.string({
  description: 'the case folder (the one holding .custody/); default: $CUSTODY_CASE, else the nearest case above the working directory',
  helpValue: 'DIR',
})

export abstract class CustodyCommand extends Command {
  static override enableJsonFlag = true

  protected openCase(caseDir: string | undefined): Case {
    return Case.open(locateCase({caseDir}))
  }

  /**
   * The first Ctrl-C (or SIGTERM) asks the work to stop cleanly through the signal; a second one
   * exits at once. Call release() when the work is over.
   */
  protected interruptible(message?: string): {signal: AbortSignal; release: () => void} {
    const controller = new AbortController()
    const onInterrupt = (): void => {
      if (controller.signal.aborted) process.exit(1)
      if (message) process.stderr.write(`\n${message}\n`)
      controller.abort()
    }

    process.on('SIGINT', onInterrupt)
    process.on('SIGTERM', onInterrupt)
    return {
      signal: controller.signal,
      release: () => {
        process.off('SIGINT', onInterrupt)
        process.off('SIGTERM', onInterrupt)
      },
    }
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof CustodyError) {
      process.exitCode = err.exitCode
      // One unwrapped line: scripts grep it, and terminals wrap by themselves.
      if (this.jsonEnabled()) this.logJson({error: err.toJSON()})
      else process.stderr.write(`Error: ${err.message}\n`)
      return undefined
    }

    if (err.oclif?.exit !== undefined) err.exitCode = err.oclif.exit
    return super.catch(err)
  }
}
