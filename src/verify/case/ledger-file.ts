/**
 * Check 1, `ledger file`: the SQLite file is sound (PRAGMA integrity_check) and its append-only
 * triggers are there. A trigger missing means the schema was changed outside custody, which is
 * how a row gets edited or deleted. In a schema-3 ledger given the address key, every row's keyed
 * tags and exhibit column are also those its event gives (src/ledger/tagged-store.ts): lookups
 * refuse a row whose index names another event, but only this finds one made not to be found.
 */
import type {UntrueIndex} from '../../ledger/ledger.js'
import {RUNS_TRIGGERS, SEALED_SCHEMA_VERSION, TRIGGERS} from '../../ledger/schema.js'
import type {CaseCheck, CaseFinding} from './context.js'
import {resultOf} from './context.js'

export const ledgerFileCheck: CaseCheck = {
  name: 'ledger file',
  run({kase}) {
    const facts = kase.ledger.schemaFacts()
    const problems: CaseFinding[] = []
    const sound = facts.integrity.length === 1 && facts.integrity[0] === 'ok'
    if (!sound) {
      problems.push({check: 'ledger-file', subject: kase.ledger.path, message: `SQLite integrity check failed: ${facts.integrity.slice(0, 5).join('; ')}`})
    }

    // Schema 4's runs table has its own three.
    const triggers: readonly string[] = kase.ledger.schema === SEALED_SCHEMA_VERSION ? [...TRIGGERS, ...RUNS_TRIGGERS] : TRIGGERS
    const missing = triggers.filter((name) => !facts.triggers.includes(name))
    for (const name of missing) {
      problems.push({
        check: 'ledger-schema',
        subject: kase.ledger.path,
        message: `the append-only trigger ${name} has been removed: someone changed the ledger's schema outside custody`,
        expected: name,
        actual: 'missing',
      })
    }

    const untrue = indexProblems(kase.ledger.untrueIndexes())
    problems.push(...(untrue ?? []))
    const indexed = untrue === undefined ? '' : untrue.length === 0 ? ', keyed index true to every event' : `, keyed index untrue to ${untrue.length} ${untrue.length === 1 ? 'column' : 'columns'}`
    const detail = sound ? `SQLite integrity ok, ${triggers.length - missing.length}/${triggers.length} append-only triggers${indexed}` : 'SQLite integrity check failed'
    return resultOf(detail, problems)
  },
}

/** Each row whose index is not its event's, as a problem; undefined when there was nothing to check it with. */
function indexProblems(untrue: Iterable<UntrueIndex> | undefined): CaseFinding[] | undefined {
  if (untrue === undefined) return undefined
  return [...untrue].map(({seq, column}) => ({
    check: 'ledger-file',
    subject: `event ${seq}`,
    message: `the ${column} column of event ${seq} is not the one its event gives: the ledger's index was changed outside custody, so that a lookup misses the event or takes it for another`,
  }))
}
