/** How a vault object that is not intact is reported, by the vault and testimony checks alike. */
import type {ObjectCheck} from '../../vault/vault.js'

/** The problem's message, and the expected and actual values when the object is there to compare. */
export function describeObject(check: ObjectCheck): {message: string; expected?: string; actual?: string} {
  const expected = check.expected.sha256
  switch (check.status) {
    case 'missing': {
      return {message: `its vault file ${check.path} is missing`}
    }

    case 'unreadable': {
      return {message: `its vault file ${check.path} cannot be read: ${check.detail ?? ''}`}
    }

    case 'truncated': {
      return {message: `its vault file ${check.path} was truncated`, expected: `${check.expected.size} bytes`, actual: `${check.actual?.size} bytes`}
    }

    default: {
      // An encrypted object that does not decrypt whole has no digest to show: the reason is the detail.
      if (check.actual === undefined) return {message: `its vault file ${check.path} was modified: ${check.detail ?? 'it does not read as it was written'}`}
      return {message: `its vault file ${check.path} was modified`, expected: `sha256 ${expected}`, actual: `sha256 ${check.actual.sha256}`}
    }
  }
}
