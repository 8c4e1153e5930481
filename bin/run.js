#!/usr/bin/env node
// The two parts of oclif that start it, not its whole index: `custody --help` loads no more.
import {execute} from '@oclif/core/execute'
import {settings} from '@oclif/core/settings'

// Always run the compiled commands, whatever NODE_ENV says (oclif looks for TypeScript sources under test/development).
settings.enableAutoTranspile = false
await execute({dir: import.meta.url})
