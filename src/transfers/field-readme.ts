/**
 * README.txt of a field package (docs/design/transfers.md, "The field package: decided"): what the
 * bag holds and how to check it without custody. Everything in it is checked with standard tools
 * and Python 3 (the chain and the Merkle tree), except what only the receiver's key opens.
 */
import {FIELD_PACKAGE_FILES as F} from './field-layout.js'
import type {FieldTransferStatement} from './field-statement.js'

/**
 * The chain and the tree of ledger-rows.jsonl, with Python 3 alone, against checkpoint.json: each
 * row's hash is SHA-256 of the previous hash's 32 bytes and the envelope as stored (a carried
 * row's, which holds its leaf, is checked with the receiver's key only), and the RFC 6962 root
 * over the rows' leaves is the checkpoint's. (tests/e2e/field-package.test.ts runs it as written.)
 */
export const FIELD_CHAIN_CHECK_PY = [
  "python3 - <<'EOF'",
  'import hashlib, json',
  'h = lambda b: hashlib.sha256(b).digest()',
  'def root(leaves):  # RFC 6962 section 2.1',
  '    if len(leaves) == 1: return leaves[0]',
  '    k = 1',
  '    while k * 2 < len(leaves): k *= 2',
  '    return h(b"\\x01" + root(leaves[:k]) + root(leaves[k:]))',
  `cp = json.load(open('${F.checkpoint}'))`,
  "prev, leaves, ok, carried = '0' * 64, [], True, 0",
  `for n, line in enumerate(open('${F.rows}')):`,
  '    r = json.loads(line)',
  "    env = r['envelope'].encode()",
  "    ok = ok and r['seq'] == n and r['prev'] == prev",
  "    if json.loads(env).get('carried'):",
  "        carried += 1; leaves.append(bytes.fromhex(json.loads(env)['carried']))",
  '    else:',
  "        ok = ok and h(bytes.fromhex(prev) + env).hex() == r['hash']; leaves.append(h(b'\\x00' + env))",
  "    prev = r['hash']",
  "ok = ok and len(leaves) == cp['treeSize'] and root(leaves).hex() == cp['rootHash'] and prev == cp['lastEventHash']",
  "print(len(leaves), 'rows,', carried, 'carried:', 'OK' if ok else 'FAILED')",
  'EOF',
]

export function fieldPackageReadme(s: FieldTransferStatement): string {
  const objects = s.items.reduce((n, i) => n + i.objects.length, 0)
  return [
    'custody field package',
    '=====================',
    '',
    `Transfer ${s.transferId}, released ${s.releasedAt}`,
    `by ${s.from.name}${s.from.organisation === null ? '' : ` (${s.from.organisation})`}, case ${s.from.case}`,
    `to ${s.to.name}${s.to.organisation === null ? '' : ` (${s.to.organisation})`}, case ${s.to.case}`,
    ...(s.purpose === null ? [] : [`purpose: ${s.purpose.replace(/[\r\n]+/g, ' ')}`]),
    `${s.items.length} exhibit(s), ${objects} object(s), and the sender's ledger up to event ${s.tree.size - 1}.`,
    '',
    'A field laptop holds no key that opens its evidence, so this package carries it as the laptop',
    "stores it: each exhibit's original and metadata record as an age file encrypted to the case's",
    'recipients (the receiver among them), and every row of the ledger: an envelope in clear (event',
    'number, time, previous hash, exhibit ID, run, keyed tags and public facts) and a body sealed',
    "under its run's key, which ledger-runs.jsonl wraps to the recipients. Nothing was decrypted to",
    "make it. The receiver's key opens the bodies and the objects; `custody transfer accept` checks",
    'all of it, computes the digests of the evidence, and signs them in its receipt.',
    '',
    'Files',
    `  data/objects/…/*.age      the objects as stored (paths are keyed addresses, not digests)`,
    `  ${F.rows.padEnd(25)} the ledger's rows: {seq, prev, hash, envelope, body (base64), run}`,
    `  ${F.runs.padEnd(25)} each run's key, wrapped: {id, wrapped (base64 of an age header)}`,
    `  ${F.checkpoint.padEnd(25)} the sender's signed checkpoint (its .sig: raw Ed25519)`,
    `  ${F.senderKey.padEnd(25)} the sender's signing key`,
    `  ${F.transfer.padEnd(25)} the transfer statement, RFC 8785 JSON (its .sig: raw Ed25519)`,
    '',
    'Checking it without custody, in this folder (after `age -d -i KEY PACKAGE.zip.age > p.zip`',
    'and `unzip p.zip`):',
    '',
    '1. Every file is the one listed: `sha256sum -c manifest-sha256.txt` and',
    '   `sha256sum -c tagmanifest-sha256.txt` (or `bagit.py --validate .`).',
    '2. The sender signed the statement and the checkpoint (each must print "Signature Verified',
    '   Successfully"; compare the key with the sender: `openssl pkey -pubin -in',
    `   ${F.senderKey} -outform DER | sha256sum\` is the fingerprint custody prints):`,
    `     openssl pkeyutl -verify -pubin -inkey ${F.senderKey} -rawin -in ${F.transfer} -sigfile ${F.transferSignature}`,
    `     openssl pkeyutl -verify -pubin -inkey ${F.senderKey} -rawin -in ${F.checkpoint} -sigfile ${F.checkpointSignature}`,
    `   transfer.json's "from" names the same key (its signingKey is the base64 of that DER).`,
    "3. The ledger's rows are linked, and the checkpoint signs them (Python 3; must print OK):",
    '',
    ...FIELD_CHAIN_CHECK_PY,
    '',
    "4. Each item of transfer.json names its ingest row (seq) and its objects: each object's vault",
    '   path, SHA-256 and size are those its row\'s envelope states ("public": "original",',
    '   "record"), and the file at data/objects/ with that name (vault/ made data/) has that',
    '   SHA-256 (step 1 checked it against the manifest: `grep` the digest in both).',
    "5. With the receiver's age identity: `age -d -i KEY data/objects/ab/ab….age | sha256sum`",
    "   gives the original's SHA-256, which the ingest row's body records (opened with a run key",
    "   from ledger-runs.jsonl); `custody verify PACKAGE.zip.age --identity KEY` does this for every",
    '   row and object.',
    '',
  ].join('\n')
}
