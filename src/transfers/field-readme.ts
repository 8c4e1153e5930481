/**
 * README.txt of a field package (docs/design/transfers.md, "The field package: decided"): what the
 * bag holds and how to check it without custody. Everything in it is checked with standard tools
 * and Python 3 (the chain and the Merkle tree), except what only the receiver's key opens.
 */
import {FIELD_PACKAGE_FILES as F} from './field-layout.js'
import type {FieldTransferStatement} from './field-statement.js'
import {custodianFingerprint} from './custodian.js'

/**
 * The chain and the tree of ledger-rows.jsonl, with Python 3 alone, against checkpoint.json: each
 * row's number and previous hash, its envelope's, its body as stored against the envelope's
 * bodySha256, its hash SHA-256 of the previous hash's 32 bytes and the envelope as stored (a
 * carried row's is over its event, in its body: checked with the receiver's key only; carried rows
 * come first, bound by the ledger-converted row after them), and the RFC 6962 root over the rows'
 * leaves the checkpoint's. (tests/e2e/field-package.test.ts runs it as written, and against forgeries.)
 */
export const FIELD_CHAIN_CHECK_PY = [
  "python3 - <<'EOF'",
  'import base64, hashlib, json',
  'h = lambda b: hashlib.sha256(b).digest()',
  'def root(leaves):  # RFC 6962 section 2.1',
  '    if len(leaves) == 1: return leaves[0]',
  '    k = 1',
  '    while k * 2 < len(leaves): k *= 2',
  '    return h(b"\\x01" + root(leaves[:k]) + root(leaves[k:]))',
  `cp = json.load(open('${F.checkpoint}'))`,
  "prev, leaves, hashes, rotations, ok, block, bound = '0' * 64, [], [], [], True, hashlib.sha256(), None",
  `for n, line in enumerate(open('${F.rows}')):`,
  '    r = json.loads(line)',
  "    raw, env = r['envelope'].encode(), json.loads(r['envelope'])",
  "    ok = ok and r['seq'] == n and r['prev'] == prev and env['seq'] == n and env['prev'] == prev and r['run'] == env['run']",
  "    ok = ok and ('bodySha256' not in env or hashlib.sha256(base64.b64decode(r['body'])).hexdigest() == env['bodySha256'])",
  "    if 'carried' in env:  # kept as written by custody encrypt: only first, bound by the next row",
  "        ok = ok and bound is None; block.update(raw + b'\\n'); leaves.append(bytes.fromhex(env['carried']))",
  '    else:',
  "        if bound is None and n > 0: f = env.get('public', {}); ok = ok and f.get('action') == 'ledger-converted' and f.get('carried') == n and f.get('envelopes') == block.hexdigest()",
  "        bound = bound or n; ok = ok and h(bytes.fromhex(prev) + raw).hex() == r['hash']; leaves.append(h(b'\\x00' + raw))",
  "    if env.get('public', {}).get('action') == 'key-rotated': rotations.append((n, env['public']['replaces']))",
  "    prev = r['hash']; hashes.append(prev)",
  "ok = ok and len(leaves) == cp['treeSize'] and root(leaves).hex() == cp['rootHash'] and prev == cp['lastEventHash']",
  "print(len(leaves), 'rows:', 'OK' if ok else 'FAILED')",
  `cps = [json.loads(line) for line in open('${F.checkpoints}')]`,
  "keys = {json.loads(json.loads(l)['envelope']).get('public', {}).get('fingerprint'): json.loads(json.loads(l)['envelope'])['public'].get('publicKey')",
  `        for l in open('${F.rows}') if json.loads(json.loads(l)['envelope']).get('public', {}).get('action', '').startswith('key-')}`,
  'for n, old in rotations:  # each key rotation: a checkpoint of the replaced key over it',
  "    hit = [c for c in cps if json.loads(c['body'])['treeSize'] == n + 1 and json.loads(c['body'])['keyFingerprint'] == old",
  "           and json.loads(c['body'])['rootHash'] == root(leaves[:n + 1]).hex() and json.loads(c['body'])['lastEventHash'] == hashes[n]]",
  "    if hit: open(f'rotation-{n}.json', 'w').write(hit[0]['body']); open(f'rotation-{n}.sig', 'wb').write(bytes.fromhex(hit[0]['signature'])); open(f'rotation-{n}.der', 'wb').write(base64.b64decode(keys[old]))",
  "    print('key rotated at event', n, 'from', old + ':', f'check rotation-{n}.json with rotation-{n}.der as in step 2' if hit else 'NO CHECKPOINT OF THE OLD KEY: FAILED')",
  'EOF',
]

export function fieldPackageReadme(s: Omit<FieldTransferStatement, 'readme'>): string {
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
    `  ${F.checkpoints.padEnd(25)} every checkpoint the sender signed: {body, signature (hex)}`,
    `  ${F.checkpoint.padEnd(25)} the sender's signed checkpoint (its .sig: raw Ed25519)`,
    `  ${F.senderKey.padEnd(25)} the sender's signing key`,
    `  ${F.transfer.padEnd(25)} the transfer statement, RFC 8785 JSON (its .sig: raw Ed25519)`,
    '',
    'Checking it without custody, in this folder (after `age -d -i KEY PACKAGE.zip.age > p.zip`',
    'and `unzip p.zip`):',
    '',
    '1. Every file is the one listed: `sha256sum -c manifest-sha256.txt` and',
    '   `sha256sum -c tagmanifest-sha256.txt` (or `bagit.py --validate .`); transfer.json states',
    "   this README's SHA-256 (\"readme\"), so these instructions are the sender's.",
    '2. The sender signed the statement and the checkpoint (each must print "Signature Verified',
    '   Successfully"; compare the key with the sender: `openssl pkey -pubin -in',
    `   ${F.senderKey} -outform DER | sha256sum\` is the fingerprint custody prints):`,
    `     openssl pkeyutl -verify -pubin -inkey ${F.senderKey} -rawin -in ${F.transfer} -sigfile ${F.transferSignature}`,
    `     openssl pkeyutl -verify -pubin -inkey ${F.senderKey} -rawin -in ${F.checkpoint} -sigfile ${F.checkpointSignature}`,
    `   transfer.json's "from" names the same key (its signingKey is the base64 of that DER).`,
    "3. The ledger's rows are linked, each body is the one its envelope records, and the checkpoint",
    '   signs them (Python 3; must print OK):',
    '',
    ...FIELD_CHAIN_CHECK_PY,
    '',
    "4. Each item of transfer.json names its ingest row (seq) and its objects: each object's vault",
    '   path, SHA-256 and size are those its row\'s envelope states ("public": "original",',
    '   "record"), and the file at data/objects/ with that name (vault/ made data/) has that',
    '   SHA-256 (step 1 checked it against the manifest: `grep` the digest in both).',
    `5. ${F.checkpoints} holds every checkpoint the sender signed. Where the rows rotate the`,
    "   sender's key (a key-rotated row), the checkpoint over that row is signed by the key it",
    '   replaced: the Python above finds it (its root and last hash those of the rows up to the',
    '   rotation), and writes it, its signature and the old key as rotation-N.json, .sig and .der;',
    '   check each: openssl pkeyutl -verify -pubin -keyform DER -inkey rotation-N.der -rawin',
    '   -in rotation-N.json -sigfile rotation-N.sig. `custody verify` checks every checkpoint.',
    "6. What the evidence is needs the receiver's age identity: `age -d -i KEY` opens each object",
    "   (an original's SHA-256 is then `age -d -i KEY data/objects/ab/ab….age | sha256sum`), and a",
    "   row's run key in ledger-runs.jsonl (base64 of an age file holding 32 bytes). A body is",
    '   ChaCha20-Poly1305 under that key (nonce: its first 12 bytes; associated data: the envelope',
    '   without bodySha256), holding a 32-byte salt and the event; SHA-256 of salt and event is the',
    "   envelope's bodyCommitment. Standard tools do not open ChaCha20-Poly1305: `custody verify",
    "   PACKAGE.zip.age --identity KEY` opens every body and object and holds each to the other.",
    '',
  ].join('\n')
}

/**
 * bag-info.txt of a field package: what the statement says, and the payload's size (RFC 8493
 * §2.2.2). Made from them alone, so that a verifier makes it again and compares it byte for byte:
 * it says nothing the signed statement does not.
 */
export function fieldBagInfo(s: FieldTransferStatement, payload: {bytes: number; count: number}): string {
  const line = (label: string, value: string): string => `${label}: ${value.replace(/[\r\n]+/g, ' ')}\n`
  return [
    line('Source-Organization', s.from.organisation ?? 'not recorded'),
    line('Contact-Name', s.from.name),
    line('External-Identifier', s.transferId),
    line('External-Description', `custody field package: ${s.items.length} exhibit(s) as stored, released to ${s.to.name}${s.purpose === null ? '' : ` (${s.purpose})`}`),
    line('Bagging-Date', s.releasedAt.slice(0, 10)),
    line('Bag-Software-Agent', `custody (${s.type})`),
    line('Custody-Transfer-Identifier', s.transferId),
    line('Custody-Released-At', s.releasedAt),
    line('Custody-Tree-Head', `${s.tree.size} ${s.tree.root}`),
    line('Custody-Signing-Key', custodianFingerprint(s.from)),
    line('Payload-Oxum', `${payload.bytes}.${payload.count}`),
  ].join('')
}
