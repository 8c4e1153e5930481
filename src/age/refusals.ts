/**
 * The errors of reading an age file, each naming the object: the file custody was asked to
 * decrypt (a vault object's path, an exhibit), never a key.
 *
 * A file that is not the intact age file it was written as is INTEGRITY (exit 3): its header,
 * a chunk or its end changed, or it is no age file at all. A file that is intact but encrypted to
 * someone else is WRONG_KEY (exit 2): the remedy is another key, not distrust of the file. age
 * cannot tell the two apart when the stanza addressed to the key given was itself altered: such a
 * file reads as WRONG_KEY, and the message says so.
 */
import {CustodyError} from '../errors.js'

/** INTEGRITY: `object` is not an intact age file; `problem` says where and what. */
export function damaged(object: string, problem: string): CustodyError {
  return new CustodyError(
    'INTEGRITY',
    `${object} is not an intact age file: ${problem}. Its bytes changed after it was encrypted (damage or tampering): do not use what was decrypted from it, and restore it from a copy you trust`,
    {subject: object},
  )
}

/** WRONG_KEY: none of the identities given opens `object`; `tried` says what was given. */
export function notForThisKey(object: string, tried: string): CustodyError {
  return new CustodyError(
    'WRONG_KEY',
    `none of the ${tried} opens ${object}: it was encrypted to other recipients (or the part of its header addressed to this key was damaged). Give the identity it was encrypted to`,
    {subject: object},
  )
}
