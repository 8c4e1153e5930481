/** README.txt of a sealed bag: what each file is, and how to check it all without custody. */
import {CUSTODIANS_DIR, ROTATIONS_FILE, type SealedCustodian} from './bag-layout.js'
import type {DescribedSeal} from './statement.js'

/**
 * The check of earlier-seals.jsonl with Python 3 alone: RFC 9162 section 2.1.4.2, step for step,
 * over each line, against the sealed checkpoint. (tests/e2e/rollback.test.ts runs it as written.)
 */
export const CONSISTENCY_CHECK_PY = [
  "python3 - <<'EOF'",
  'import hashlib, json',
  'def node(l, r): return hashlib.sha256(bytes([1]) + l + r).digest()',
  'def consistent(m, n, old, new, proof):  # RFC 9162 section 2.1.4.2',
  '    if m == n: return not proof and old == new',
  '    path = ([old] if m & (m - 1) == 0 else []) + proof',
  '    if m > n or not path: return False',
  '    fn, sn = m - 1, n - 1',
  '    while fn & 1: fn, sn = fn >> 1, sn >> 1',
  '    fr = sr = path[0]',
  '    for c in path[1:]:',
  '        if sn == 0: return False',
  '        if fn & 1 or fn == sn:',
  '            fr, sr = node(c, fr), node(c, sr)',
  '            while fn and not fn & 1: fn, sn = fn >> 1, sn >> 1',
  '        else: sr = node(sr, c)',
  '        fn, sn = fn >> 1, sn >> 1',
  '    return sn == 0 and fr == old and sr == new',
  "cp = json.load(open('data/custody/checkpoint.json'))",
  "for line in open('data/custody/earlier-seals.jsonl'):",
  '    s = json.loads(line)',
  "    ok = consistent(s['treeHead']['size'], cp['treeSize'], bytes.fromhex(s['treeHead']['root']),",
  "                    bytes.fromhex(cp['rootHash']), [bytes.fromhex(h) for h in s['consistencyProof']])",
  "    print(s['sealId'], s['treeHead']['size'], 'OK' if ok else 'FAILED')",
  'EOF',
]

function earlierSealsSteps(s: DescribedSeal, step: number): string[] {
  if (s.earlierSeals === null) return []
  return [
    `${step}. Earlier seals. ${s.earlierSeals.path} lists the ${s.earlierSeals.count === 1 ? 'seal' : `${s.earlierSeals.count} seals`} of this case that the`,
    '   ledger had recorded when this archive was sealed: seal ID, the SHA-256 of its ZIP, its tree',
    '   head, and an RFC 9162 (section 2.1.4) consistency proof that its tree is the start of this',
    '   archive\'s. With an earlier archive in hand, this shows that both come from one ledger that',
    '   only grew: no event was removed or changed in between, and no older copy was put back. Check',
    '   the proofs against checkpoint.json with Python 3, in this folder (the lines below start in',
    '   the first column, as Python needs; each seal must be followed by OK):',
    '',
    ...CONSISTENCY_CHECK_PY,
    '',
    '   Then the earlier archive\'s data/custody/checkpoint.json must state the same treeSize and',
    '   rootHash as its line here, and `sha256sum` of its ZIP must print its archiveSha256 (unless',
    '   the ZIP was made again from the unzipped bag). An earlier archive that is not listed here',
    '   cannot be linked to this one.',
    '',
  ]
}

/** The seal at a glance: what a reader of the archive sees first. */
function heading(s: DescribedSeal, exhibits: number): string[] {
  return [
    `SEALED EVIDENCE ARCHIVE ${s.sealId}`,
    '',
    `Case:       ${s.case.title} (${s.case.id})`,
    `Sealed by:  ${s.sealer}, ${s.sealedAt}`,
    ...(s.purpose ? [`Purpose:    ${s.purpose}`] : []),
    `Exhibits:   ${exhibits}`,
    ...(s.testimonies.length ? [`Testimony:  ${s.testimonies.length} witness statement(s), by witness code only`] : []),
    `Tree head:  ${s.treeHead.size} events, root ${s.treeHead.root}`,
    `Signed by:  Ed25519 key ${s.key.fingerprint}`,
    `Timestamp:  ${s.timestamp ? `events 0..${s.timestamp.treeSize - 1} stamped by ${s.timestamp.tokens.map((t) => `${t.tsa} at ${t.genTime}`).join('; ')}` : 'none (the events are signed, not timestamped)'}`,
    `Made by:    custody ${s.custodyVersion}`,
    '',
    'This folder is a BagIt 1.0 bag (RFC 8493). Everything in it can be checked with standard',
    'tools; you do not need custody, and you do not need to trust it.',
    '',
  ]
}

/** WHAT IS HERE: every file the bag can hold, those this seal has among them. */
function whatIsHere(s: DescribedSeal): string[] {
  return [
    'WHAT IS HERE',
    '',
    '  bagit.txt                  the BagIt declaration',
    '  bag-info.txt               who sealed what and when (case ID, seal ID, tree head)',
    '  manifest-sha256.txt        SHA-256 of every file under data/',
    '  manifest-sha512.txt        SHA-512 of every file under data/',
    '  tagmanifest-sha256.txt     SHA-256 of the files above, this README and verify-bag.py',
    '  tagmanifest-sha512.txt     SHA-512 of the same',
    '  verify-bag.py              a checker of this bag, in Python 3 (see step 3)',
    '  data/exhibits/ID/original/NAME',
    '                             the exhibit, byte for byte as it was collected',
    '  data/exhibits/ID/metadata.json',
    '                             ExifTool\'s complete metadata record of the exhibit',
    '  data/custody/seal.json     the seal statement: case, sealer, time, purpose, tree head, and',
    '                             each exhibit with its digests, original file name and path here',
    '  data/custody/events.jsonl  the custody events of these exhibits, one per line, each with',
    '                             its hash, the previous hash and a Merkle inclusion proof',
    '  data/custody/checkpoint.json',
    '                             the custody ledger\'s tree head when sealed (size, root hash),',
    '                             signed by the investigator: checkpoint.json.sig',
    '  data/custody/investigator.pem',
    '                             the investigator\'s public key (Ed25519)',
    '  data/custody/seal.json.sig the investigator\'s signature of seal.json',
    ...(s.earlierSeals === null
      ? []
      : [
          `  ${s.earlierSeals.path}`,
          '                             the seals of this case made before this one, each with a proof',
          '                             that its tree is the start of this archive\'s tree',
        ]),
    ...custodianFiles(s.custodians),
    ...(s.transfer === undefined
      ? []
      : [
          `  ${s.transfer.path}`,
          '                             the transfer statement: who released these exhibits to whom,',
          '                             when and why, each exhibit with its SHA-256, SHA-512 and size;',
          '                             signed by the investigator: transfer.json.sig',
          ...(s.transfer.consistency === null ? [] : [`  ${s.transfer.consistency}`, "                             proof that the tree the receiver last acknowledged is the start of this one"]),
        ]),
    ...(s.timestamp
      ? [
          ...(s.timestamp.checkpoint === s.checkpoint.path
            ? []
            : [
                `  ${s.timestamp.checkpoint}`,
                '                             an earlier signed checkpoint that a Time-Stamp Authority stamped',
                '  data/custody/consistency-proof.json',
                '                             proof that the stamped tree is the start of the sealed one',
              ]),
          ...s.timestamp.tokens.map((t) => `  ${t.path}\n                             RFC 3161 token from ${t.tsa}`),
          '  data/custody/tsa-roots.pem the TSA root certificates the tokens were checked against',
        ]
      : []),
    '',
  ]
}

/** WHAT IS HERE, in a seal of received exhibits: each hand-over's record and its files. */
function custodianFiles(custodians: readonly SealedCustodian[] | undefined): string[] {
  if (custodians === undefined || custodians.length === 0) return []
  return [
    `  ${CUSTODIANS_DIR}/CASE/TRANSFER/`,
    `                             for ${custodians.length === 1 ? 'the hand-over' : `each of the ${custodians.length} hand-overs`} that brought exhibits to this case, the`,
    '                             sender\'s own record of it (CASE: the sender\'s case ID,',
    '                             TRANSFER: the transfer ID; step 4 lists them), holding:',
    '    transfer.json            the sender\'s transfer statement, signed: transfer.json.sig',
    '    checkpoint.json          the sender\'s ledger tree head, signed: checkpoint.json.sig',
    '    sender.pem               the sender\'s public key (Ed25519)',
    '    events.jsonl             the sender\'s events of these exhibits, with its first event and key',
    '                             events, each with its inclusion proof to the sender\'s checkpoint.json;',
    '                             from a field package (transfer.json\'s type custody-field-transfer/v1),',
    '                             every row of the sender\'s ledger up to it, in order, the others as',
    '                             their envelopes alone (time, exhibit ID, public facts; no event)',
    '    receipt.json             this case\'s receipt of the hand-over, signed: receipt.json.sig; its',
    '                             "cosignature" is this case\'s signature of the sender\'s checkpoint.json',
    '    receiver.pem             the key that signed the receipt, one of this case\'s',
    ...(custodians.some((c) => c.files.rotations !== undefined)
      ? [`    ${ROTATIONS_FILE}          where the sender rotated its key: the checkpoint over each rotation,`, '                             signed by the key it replaced']
      : []),
  ]
}

/** Where the archive is to be checked: its name, and its bag's folder. */
interface Names {
  archive: string
  bag: string
}

/**
 * A PowerShell line that checks each line of a manifest with Get-FileHash (whose hex is upper case:
 * -eq ignores case). The manifest is read as UTF-8, which Windows PowerShell 5 does not assume.
 */
function powershellCheck(manifest: string, algorithm: 'SHA256' | 'SHA512'): string {
  return `Get-Content -Encoding UTF8 ${manifest} | ForEach-Object { $hash, $file = $_ -split '  ', 2; if ((Get-FileHash -Algorithm ${algorithm} -LiteralPath $file).Hash -eq $hash) { "OK $file" } else { "FAILED $file" } }`
}

/** A file name as typed in a POSIX shell or PowerShell: quoted (single quotes) unless it is plain. */
export function typedName(name: string, shell: 'posix' | 'powershell' = 'posix'): string {
  if (/^[A-Za-z0-9._+-]+$/.test(name)) return name
  return shell === 'posix' ? `'${name.replaceAll("'", `'\\''`)}'` : `'${name.replaceAll("'", "''")}'`
}

/** HOW TO CHECK IT, step 1: unpack, and every file against the manifests, on Linux, macOS and Windows. */
function checkManifests({archive, bag}: Names, custodians: boolean): string[] {
  return [
    'HOW TO CHECK IT',
    '',
    `Start in the folder that holds ${archive}. Each command below is typed as it is; the folder`,
    'each is typed in is said with it.',
    '',
    '1. Unpack, go into the bag, and check every file against both manifests:',
    '',
    `     unzip ${typedName(archive)}`,
    `     cd ${bag}`,
    '     sha256sum -c manifest-sha256.txt',
    '     sha512sum -c manifest-sha512.txt',
    '     sha256sum -c tagmanifest-sha256.txt',
    '     sha512sum -c tagmanifest-sha512.txt',
    '',
    '   Every line must say OK. On macOS, the same with shasum, in the same folders:',
    '',
    '     shasum -a 256 -c manifest-sha256.txt',
    '     shasum -a 512 -c manifest-sha512.txt',
    '     shasum -a 256 -c tagmanifest-sha256.txt',
    '     shasum -a 512 -c tagmanifest-sha512.txt',
    '',
    '   In Windows PowerShell, unpack and go in with',
    '',
    `     Expand-Archive -LiteralPath ${typedName(archive, 'powershell')} -DestinationPath .`,
    `     cd ${bag}`,
    '',
    '   then check each manifest (each line must print OK):',
    '',
    `     ${powershellCheck('manifest-sha256.txt', 'SHA256')}`,
    `     ${powershellCheck('manifest-sha512.txt', 'SHA512')}`,
    `     ${powershellCheck('tagmanifest-sha256.txt', 'SHA256')}`,
    `     ${powershellCheck('tagmanifest-sha512.txt', 'SHA512')}`,
    '',
    `   The Library of Congress validator checks the same and more; in ${bag}:`,
    '',
    '     bagit.py --validate .',
    '',
    '   Only what data/custody/seal.json names is vouched for (its signature is checked in step 4):',
    '   the files under data/ must be exactly the exhibits it lists (each "path" and',
    ...(custodians
      ? [
          '   "metadataPath") and the files of data/custody/ and data/custodians/ it names (those of',
          '   data/custodians/ with the "sha256" it gives each); README.txt and verify-bag.py must have',
          '   the SHA-256 its "readme" and "checker" give (sha256sum README.txt verify-bag.py);',
        ]
      : [
          '   "metadataPath") and the files of data/custody/ it names; README.txt and verify-bag.py must',
          '   have the SHA-256 its "readme" and "checker" give (sha256sum README.txt verify-bag.py);',
        ]),
    '   bag-info.txt only repeats what it states. A file that is in the manifests but not in',
    '   seal.json is not part of this seal.',
    '',
    '2. Compare each exhibit\'s digests in data/custody/seal.json with the manifests, and with any',
    '   digest recorded when it was collected.',
    '',
  ]
}

/** Step 3: the events against the tree head; a program's work, and the two programs that do it. */
function checkEvents({archive, bag}: Names): string[] {
  return [
    '3. Check the custody events (data/custody/events.jsonl) and their proofs. That is thousands of',
    '   hash computations, a program\'s work rather than a person\'s. Two programs do it:',
    '',
    `   In ${bag}, with Python 3 (its standard library only):`,
    '',
    '     python3 verify-bag.py',
    '',
    `   In the folder holding ${archive}, where custody is installed:`,
    '',
    `     custody verify ${typedName(archive)}`,
    '',
    '   verify-bag.py is plain Python, commented: read it before you run it. It checks every line of',
    '   both manifests, every event\'s hash and its inclusion proof against the signed tree head',
    '   (data/custody/checkpoint.json), and what seal.json states, and exits with 0 only if all of it',
    '   holds. It cannot check signatures or timestamps: steps 4 and 5 do. It must be the program that',
    '   was sealed: `sha256sum verify-bag.py` must print the "sha256" of "checker" in seal.json, whose',
    '   signature step 4 checks.',
    '',
    '   What they compute, for anyone who writes their own: each line of events.jsonl holds an',
    '   "event" (the ledger entry), its "hash", "prev" (the hash of the ledger entry before it),',
    '   "leafHash" and "inclusionProof". The event\'s canonical form is its JSON with object keys',
    '   sorted and no spaces (RFC 8785, JSON Canonicalization Scheme), as the line holds it. Then:',
    '',
    '     hash     = SHA-256( the 32 bytes of prev || canonical event )',
    '     leafHash = SHA-256( 0x00 || canonical event )                  (RFC 6962 section 2.1)',
    '',
    '   and the inclusion proof, applied as RFC 9162 section 2.1.3.2 describes (each step',
    '   combines two hashes as SHA-256( 0x01 || left || right )), must lead from leafHash at',
    '   index "seq" to the "rootHash" in data/custody/checkpoint.json. That ties every event of every',
    '   exhibit to one tree head: an event changed, added or removed would not lead there.',
    '   data/custody/seal.json also states how many events the file holds and its SHA-256.',
    '',
    '   A line from an encrypted case\'s ledger also holds an "envelope" and a "salt": its "hash" and',
    '   "leafHash" are then over the canonical envelope in place of the event, and',
    '',
    '     SHA-256( the 32 bytes of salt || canonical event ) = the envelope\'s "bodyCommitment"',
    '',
    '   with the envelope\'s "seq", "prev", "time" and "exhibit" the event\'s. A case encrypted after it',
    '   was made (custody encrypt) has lines of both kinds: its events of before, as they were written.',
    '',
  ]
}

/** Step 4: the signatures of the checkpoint and the statement, and the key that made them. */
function checkSignatures(s: DescribedSeal): string[] {
  return [
    `4. Check who vouches for the tree head. In the bag's folder, ${s.transfer === undefined ? 'both commands' : 'each command'} must print`,
    '   "Signature Verified Successfully" (OpenSSL 3):',
    '',
    `     openssl pkeyutl -verify -pubin -inkey ${s.key.path} -rawin -in ${s.checkpoint.path} -sigfile ${s.checkpoint.signature}`,
    `     openssl pkeyutl -verify -pubin -inkey ${s.key.path} -rawin -in data/custody/seal.json -sigfile data/custody/seal.json.sig`,
    ...(s.transfer === undefined
      ? []
      : [
          `     openssl pkeyutl -verify -pubin -inkey ${s.key.path} -rawin -in ${s.transfer.path} -sigfile ${s.transfer.signature}`,
          '',
          '   This archive is a transfer package: the third command checks the transfer statement,',
          `   whose SHA-256 seal.json states ("transfer"), and whose "items" must be the exhibits of`,
          '   seal.json with the same "sha256", "sha512" and "size" (verify-bag.py compares them).',
        ]),
    '',
    '   The key\'s fingerprint is the SHA-256 of its DER form:',
    '',
    `     openssl pkey -pubin -in ${s.key.path} -outform DER | sha256sum`,
    '',
    `   It must be ${s.key.fingerprint.slice(7)}, the fingerprint that the`,
    '   "key-created" or "key-rotated" event in events.jsonl records (proven into the tree like the',
    '   others), and the "keyFingerprint" in checkpoint.json. checkpoint.json\'s "treeSize" and',
    '   "rootHash" are the tree head that every inclusion proof above must lead to.',
    '',
  ]
}

/**
 * The commands of a hand-over's record, typed in its folder (verify-bag.py prints the same): the
 * sender's signatures, the receipt's, the receipt's cosignature of the sender's checkpoint, and the
 * sender's fingerprint. The cosignature is hex inside receipt.json: grep finds it, for the receipt
 * is canonical JSON (RFC 8785), in which a quote inside a text is always escaped, so
 * `"cosignature":"` is that field and nothing else; xxd -r -p makes the 64 bytes openssl reads.
 */
export const CUSTODIAN_COMMANDS = [
  'openssl pkeyutl -verify -pubin -inkey sender.pem -rawin -in checkpoint.json -sigfile checkpoint.json.sig',
  'openssl pkeyutl -verify -pubin -inkey sender.pem -rawin -in transfer.json -sigfile transfer.json.sig',
  'openssl pkeyutl -verify -pubin -inkey receiver.pem -rawin -in receipt.json -sigfile receipt.json.sig',
  `grep -o '"cosignature":"[0-9a-f]*"' receipt.json | cut -c16-143 | xxd -r -p | openssl pkeyutl -verify -pubin -inkey receiver.pem -rawin -in checkpoint.json -sigfile /dev/stdin`,
  'openssl pkey -pubin -in sender.pem -outform DER | sha256sum',
] as const

/** The folders README.txt lists one by one: beyond, seal.json names them (its "custodians"). */
const LISTED_CUSTODIANS = 50

/** Step 4, in a seal of received exhibits: who vouches for each hand-over's record, by openssl. */
function checkCustodians(custodians: readonly SealedCustodian[] | undefined): string[] {
  if (custodians === undefined || custodians.length === 0) return []
  const one = custodians.length === 1
  const folder = one ? custodians[0]!.folder : `${CUSTODIANS_DIR}/CASE/TRANSFER`
  const listed = custodians.slice(0, LISTED_CUSTODIANS).map((c) => `     ${c.from.case}/${c.transferId}  from ${c.from.name}, fingerprint ${c.from.fingerprint.slice(7)}`)
  return [
    `   Exhibits came to this case from other custodians, in ${one ? 'one hand-over' : `${custodians.length} hand-overs`}. The sender's record of`,
    `   ${one ? 'it' : 'each'} is in ${one ? 'its folder' : 'a folder of its own'} under ${CUSTODIANS_DIR}/: the sender's signed transfer statement and`,
    '   checkpoint, its events of the exhibits, and this case\'s signed receipt. Starting in the bag\'s',
    ...(one
      ? ['   folder, go into it: there the first four openssl commands must print "Signature Verified', '   Successfully", and the last the sender\'s fingerprint:']
      : [
          "   folder, go into each (CASE/TRANSFER: a sender's case and transfer, as listed below): there",
          '   the first four openssl commands must print "Signature Verified Successfully", and the last',
          "   the sender's fingerprint:",
        ]),
    '',
    `     cd ${folder}`,
    ...CUSTODIAN_COMMANDS.map((c) => `     ${c}`),
    '     cd ../../../..',
    '',
    '   The first two show the sender vouches for its checkpoint and transfer statement; the third',
    '   that this case signed the receipt with receiver.pem; the fourth takes the receipt\'s',
    '   "cosignature", which receipt.json holds as hex (grep finds it: in canonical JSON no text',
    '   holds an unescaped quote), turns it into bytes with xxd -r -p, and checks it is this case\'s',
    '   signature of the sender\'s checkpoint.json, byte for byte. verify-bag.py (step 3) checks the',
    '   rest: the sender\'s events against its checkpoint.json as step 3 describes, sender.pem against',
    '   its key events, the transfer statement and receipt against the checkpoint and this case, and',
    '   each received exhibit\'s ingest here against the sender\'s ingest of it. custody verify checks',
    `   all of it, signatures included. ${one ? 'The sender' : 'The senders'}, with ${one ? 'its' : 'each'} key's fingerprint, which ${one ? 'it' : 'each'} can confirm:`,
    '',
    ...listed,
    ...(custodians.length > LISTED_CUSTODIANS ? [`     ... and ${custodians.length - LISTED_CUSTODIANS} more, each named in seal.json's "custodians" (its "folder" and "from")`] : []),
    ...(custodians.some((c) => c.files.rotations !== undefined)
      ? [
          '',
          `   A sender that rotated its key has ${ROTATIONS_FILE} in its record: for each rotation, its checkpoint`,
          '   over it signed by the key it replaced. verify-bag.py checks it against the events and prints',
          '   the openssl commands that check its signature, each of which must print "Signature',
          '   Verified Successfully".',
        ]
      : []),
    '',
  ]
}

/** Step 5: the trusted time (RFC 3161), or why there is none. */
function checkTime(s: DescribedSeal, names: Names): string[] {
  return [
    ...(s.timestamp
      ? [
          ...(s.timestamp.checkpoint === s.checkpoint.path
            ? []
            : [
                `   The stamped checkpoint (step 5) is signed too, by the key in ${s.timestamp.key}:`,
                '',
                `     openssl pkeyutl -verify -pubin -inkey ${s.timestamp.key} -rawin -in ${s.timestamp.checkpoint} -sigfile ${s.timestamp.checkpoint}.sig`,
                '',
              ]),
          '5. Check the trusted time. Obtain the Time-Stamp Authority\'s root certificate yourself, from',
          `   the TSA (${[...new Set(s.timestamp.tokens.map((t) => t.tsa))].join(', ')}), and replace TSA-ROOT.pem below with the`,
          '   file you saved it in (data/custody/tsa-roots.pem is the copy custody used, for comparison).',
          `   In ${names.bag}:`,
          '',
          ...s.timestamp.tokens.map((t) => `     openssl ts -verify -data ${s.timestamp!.checkpoint} -in ${t.path} -CAfile TSA-ROOT.pem`),
          '',
          '   Each must print "Verification: OK". `openssl ts -reply -in TOKEN.tsr -text` shows the',
          '   time (genTime). If the TSA\'s certificate has expired since, judge the token at the time it',
          '   was made, by adding -attime and its genTime in seconds since 1970:',
          '',
          ...s.timestamp.tokens.map((t) => `     openssl ts -verify -data ${s.timestamp!.checkpoint} -in ${t.path} -CAfile TSA-ROOT.pem -attime ${Math.floor(Date.parse(t.genTime) / 1000)}`),
          '',
          `   The token proves that ${s.timestamp.checkpoint} existed at that time, and with it the`,
          `   first ${s.timestamp.treeSize} events of the ledger, whose Merkle root it states.`,
          ...(s.timestamp.checkpoint === s.checkpoint.path
            ? []
            : [
                '   data/custody/consistency-proof.json shows (RFC 9162 section 2.1.4) that those events are',
                `   the first ${s.timestamp.treeSize} of the tree in ${s.checkpoint.path}, so every event above with a "seq"`,
                `   below ${s.timestamp.treeSize} existed by that time. Later events are signed but not timestamped.`,
              ]),
          '',
        ]
      : [
          '5. There is no trusted timestamp in this archive: the times in it are the investigator\'s',
          '   own clock, vouched for by the signature only.',
          '',
        ]),
  ]
}

/** Step 6, when testimony is sealed: what its record proves, and how a disclosed identity is checked. */
function checkTestimony(s: DescribedSeal): string[] {
  return [
    ...(s.testimonies.length === 0
      ? []
      : [
          `6. Witness testimony: ${s.testimonies.map((t) => `${t.witness} (${t.exhibit})`).join(', ')}.`,
          '   A testimony\'s statement is an exhibit (version 1); each correction is a later version,',
          '   its own exhibit; recordings and photos the witness handed over are exhibits too.',
          '   data/custody/seal.json lists them under "testimonies", with the consent in force when',
          '   sealed, which covers this archive\'s purpose. The events "testimony", "testimony-amended"',
          '   and "consent-changed" in events.jsonl (proven as in step 3) record the interview, every',
          '   version with its reason, and every change of consent since. Changes take effect in the',
          '   order of their "at" (the time the witness gave it; equal times in the order of "seq").',
          '   "identifyingContent" lists where the witness\'s name or contact was found when a version',
          '   was recorded (the events\' "contentCheck"), never what; an archive for advocacy',
          '   (anonymised use) holds no testimony that has any.',
          '',
          '   Witnesses appear only by code. Their identities are not in this archive, only',
          '   "identityCommitment": the SHA-256 of the identity record kept encrypted in the case. If an',
          '   identity is disclosed lawfully (`custody testimony identity CODE --disclose FILE`), check',
          '   that it is the record made at the interview with:',
          '',
          '     sha256sum FILE',
          '',
          '   which must print that witness\'s identityCommitment.',
          '',
        ]),
  ]
}

/** README.txt of the bag `bag`, sealed as `archive`: its sections in order. */
export function bagReadme({archive, bag, statement: s, exhibits}: Names & {statement: DescribedSeal; exhibits: number}): string {
  const names = {archive, bag}
  const lines = [
    ...heading(s, exhibits),
    ...whatIsHere(s),
    ...checkManifests(names, (s.custodians ?? []).length > 0),
    ...checkEvents(names),
    ...checkSignatures(s),
    ...checkCustodians(s.custodians),
    ...checkTime(s, names),
    ...checkTestimony(s),
    ...earlierSealsSteps(s, s.testimonies.length === 0 ? 6 : 7),
    `   With custody installed, in the folder holding ${archive}, one command does all of the above`,
    '   straight from the ZIP:',
    '',
    `     custody verify ${typedName(archive)}${s.timestamp ? ' --tsa-ca TSA-ROOT.pem' : ''}`,
    '',
  ]
  return `${lines.join('\n')}`
}
