#!/usr/bin/env -S node --import tsx
import {fileURLToPath} from 'node:url'
import {Config, Plugin, execute} from '@oclif/core'

// The TypeScript sources as they are now: oclif would otherwise list the commands, their flags and
// their help from oclif.manifest.json, which `npm run build` writes and which is stale from the
// first edit after it. So custody's own commands are read from commands/, and only then the plugins.
process.env.NODE_ENV = 'development'
const root = new Plugin({root: fileURLToPath(new URL('..', import.meta.url)), isRoot: true, ignoreManifest: true})
await root.load()
const config = await Config.load({root: root.root, plugins: new Map([[root.name, root]])})
await config.loadPluginsAndCommands({force: true})
await execute({development: true, loadOptions: config})
