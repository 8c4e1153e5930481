#!/usr/bin/env node
import {execute, settings} from '@oclif/core'

// Always run the compiled commands, whatever NODE_ENV says (oclif looks for TypeScript sources under test/development).
settings.enableAutoTranspile = false
await execute({dir: import.meta.url})
