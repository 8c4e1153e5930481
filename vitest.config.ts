import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // End-to-end tests start the real CLI, SQLite and ExifTool processes: give them time on a busy 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The passphrase of every test case, also for tests that spawn the CLI themselves. A test
    // that wants no passphrase sets CUSTODY_PASSPHRASE to '' for its child.
    env: {CUSTODY_PASSPHRASE: 'correct horse battery staple'},
  },
})
