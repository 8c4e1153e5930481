/**
 * Check 1, `ledger file`: the SQLite file is sound (PRAGMA integrity_check) and its append-only
 * triggers are there. A trigger missing means the schema was changed outside custody, which is
 * how a row gets edited or deleted.
 */
import {TRIGGERS} from '../../ledger/schema.js'
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

    const missing = TRIGGERS.filter((name) => !facts.triggers.includes(name))
    for (const name of missing) {
      problems.push({
        check: 'ledger-schema',
        subject: kase.ledger.path,
        message: `the append-only trigger ${name} has been removed: someone changed the ledger's schema outside custody`,
        expected: name,
        actual: 'missing',
      })
    }

    const detail = sound ? `SQLite integrity ok, ${TRIGGERS.length - missing.length}/${TRIGGERS.length} append-only triggers` : 'SQLite integrity check failed'
    return resultOf(detail, problems)
  },
}
