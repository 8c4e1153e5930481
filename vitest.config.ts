import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // End-to-end tests start the real CLI, SQLite and ExifTool processes: give them time on a busy 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Made before the tests and removed after them (tests/helpers/state-home.ts).
    globalSetup: ['tests/helpers/state-home.ts'],
    env: {
      // The passphrase of every test case, also for tests that spawn the CLI themselves. A test
      // that wants no passphrase sets CUSTODY_PASSPHRASE to '' for its child.
      CUSTODY_PASSPHRASE: 'correct horse battery staple',
      // custody keeps the newest checkpoint of every case it writes in $XDG_STATE_HOME/custody:
      // the test run's own folder, never the user's ~/.local/state.
      XDG_STATE_HOME: join(tmpdir(), `custody-test-state-${process.pid}`),
    },
  },
})
