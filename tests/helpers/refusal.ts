/** The CustodyError a check throws, to look at its fields and message; fails the test if it throws nothing else. */
import {CustodyError} from '../../src/errors.js'

export function refusal(check: () => unknown): CustodyError {
  try {
    check()
  } catch (error) {
    if (error instanceof CustodyError) return error
    throw error
  }

  throw new Error('not refused')
}
