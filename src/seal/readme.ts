/** README.txt of a sealed bag: what each file is, and how to check it all without custody. */
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
    '  tagmanifest-sha256.txt     SHA-256 of the files above and of this README',
    '  tagmanifest-sha512.txt     SHA-512 of the same',
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

/** HOW TO CHECK IT, steps 1 to 3: the files against the manifests and the statement, the events against the tree head. */
function checkFiles(bag: string): string[] {
  return [
    'HOW TO CHECK IT',
    '',
    '1. Unpack and check every file against both manifests:',
    '',
    '     unzip ARCHIVE.zip',
    `     cd ${bag}`,
    '     sha256sum -c manifest-sha256.txt',
    '     sha512sum -c manifest-sha512.txt',
    '     sha256sum -c tagmanifest-sha256.txt',
    '     sha512sum -c tagmanifest-sha512.txt',
    '',
    '   Every line must say OK. The Library of Congress validator checks the same and more:',
    '',
    `     bagit.py --validate ${bag}`,
    '',
    '   Only what data/custody/seal.json names is vouched for (its signature is checked in step 4):',
    '   the files under data/ must be exactly the exhibits it lists (each "path" and',
    '   "metadataPath") and the files of data/custody/ it names; README.txt must have the SHA-256',
    '   its "readme" gives (sha256sum README.txt); bag-info.txt only repeats what it states. A file',
    '   that is in the manifests but not in seal.json is not part of this seal.',
    '',
    '2. Compare each exhibit\'s digests in data/custody/seal.json with the manifests, and with any',
    '   digest recorded when it was collected.',
    '',
    '3. Check the custody events (data/custody/events.jsonl). Each line holds an "event" (the',
    '   ledger entry), its "hash", "prev" (the hash of the ledger entry before it), "leafHash" and',
    '   "inclusionProof". The event\'s canonical form is its JSON with object keys sorted and no',
    '   spaces (RFC 8785, JSON Canonicalization Scheme). Then:',
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
  ]
}

/** Step 4: the signatures of the checkpoint and the statement, and the key that made them. */
function checkSignatures(s: DescribedSeal): string[] {
  return [
    '4. Check who vouches for the tree head. Both commands must print "Signature Verified',
    '   Successfully" (OpenSSL 3):',
    '',
    `     openssl pkeyutl -verify -pubin -inkey ${s.key.path} -rawin -in ${s.checkpoint.path} -sigfile ${s.checkpoint.signature}`,
    `     openssl pkeyutl -verify -pubin -inkey ${s.key.path} -rawin -in data/custody/seal.json -sigfile data/custody/seal.json.sig`,
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

/** Step 5: the trusted time (RFC 3161), or why there is none. */
function checkTime(s: DescribedSeal): string[] {
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
          '5. Check the trusted time. Obtain the Time-Stamp Authority\'s root certificate yourself',
          '   (the copy in data/custody/tsa-roots.pem is the one custody used, for convenience), then:',
          '',
          ...s.timestamp.tokens.map((t) => `     openssl ts -verify -data ${s.timestamp!.checkpoint} -in ${t.path} -CAfile TSA-ROOT.pem`),
          '',
          '   Each must print "Verification: OK". `openssl ts -reply -in TOKEN.tsr -text` shows the',
          '   time (genTime). If the TSA\'s certificate has expired since, add `-attime SECONDS`',
          '   (the genTime as seconds since 1970): a token is judged at the time it was made.',
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

/** README.txt of the bag `bag`: its sections in order. */
export function bagReadme({bag, statement: s, exhibits}: {bag: string; statement: DescribedSeal; exhibits: number}): string {
  const lines = [
    ...heading(s, exhibits),
    ...whatIsHere(s),
    ...checkFiles(bag),
    ...checkSignatures(s),
    ...checkTime(s),
    ...checkTestimony(s),
    ...earlierSealsSteps(s, s.testimonies.length === 0 ? 6 : 7),
    '   With custody installed, `custody verify ARCHIVE.zip --tsa-ca TSA-ROOT.pem` does all of the',
    '   above in one command, straight from the ZIP.',
    '',
  ]
  return `${lines.join('\n')}`
}
