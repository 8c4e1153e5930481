/**
 * ExifTool ends when custody does, however custody ends.
 *
 * ExifTool runs with `-stay_open True -@ -`: it reads its commands from stdin, and at the end of
 * stdin it does not exit but polls for more, for ever. custody ends its ExifTool processes when it
 * ends normally; when it is killed (SIGKILL, the OOM killer, a closed terminal), nothing would.
 *
 * So Perl runs ExifTool's script in-process behind a few lines that set a one-second alarm: on
 * each, if the process's parent is no longer the custody that started it (a process whose parent
 * ends is handed to another), it exits; else the alarm is set again. It is the same process
 * exiftool-vendored would have started (the same pipes, the same process ID to end it by), and it
 * leaves nothing behind: no second process, so nothing to reap. (ExifTool itself uses no alarm.)
 */
import {spawn, type ChildProcess} from 'node:child_process'

const WATCHED = `
my $custody = getppid();
$SIG{ALRM} = sub { exit 0 if getppid() != $custody; alarm 1; };
alarm 1;
$0 = shift @ARGV;
do $0;
die $@ if $@;
exit 0;
`

/** A process factory for exiftool-vendored: ExifTool's `script` with `args`, ending with custody. */
export function watchedExifTool(script: string, args: readonly string[]): ChildProcess {
  // As exiftool-vendored starts it: LANG=C, and EXIFTOOL_HOME passed on (and PATH, to find Perl).
  const env: NodeJS.ProcessEnv = {LANG: 'C', PATH: process.env.PATH}
  if (process.env.EXIFTOOL_HOME) env.EXIFTOOL_HOME = process.env.EXIFTOOL_HOME
  return spawn('perl', ['-e', WATCHED, script, ...args], {stdio: 'pipe', shell: false, detached: false, env})
}
