import {arch, platform} from 'node:os'
import {CustodyCommand, prose} from './_base.js'

export interface VersionReport {
  /** custody's version, as package.json gives it (`version` is the JSON output's own, as in every --json document). */
  custody: string
  node: string
  platform: string
  arch: string
}

export default class Version extends CustodyCommand {
  static override args = {}

  static override description = prose`Show custody's version, and the Node.js and system it runs on.

The same as \`custody --version\` (or \`-v\`). Quote it when you report a problem, and in a
record of how evidence was handled: every sealed archive also names the custody version that
made it.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'custody/0.1.0 linux-x64 node-v20.19.0'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: "The same, as JSON: custody's version is `custody` (`version` is the JSON output format's, as in every --json document)"},
  ]

  async run(): Promise<VersionReport> {
    await this.parse(Version)
    const report = {custody: this.config.version, node: process.version, platform: platform(), arch: arch()}
    this.log(this.config.userAgent)
    return report
  }
}
