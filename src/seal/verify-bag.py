#!/usr/bin/env python3
"""verify-bag.py: checks a bag sealed by custody, with Python 3.8+ and its standard library alone.

Run it in the bag's top folder (the one holding bagit.txt): python3 verify-bag.py [BAGDIR]
Exit 0 when every check holds, 1 when any fails (each failure names its file, line or event),
2 when BAGDIR is not a bag. Each check prints one line, OK or FAILED:
  bag        bagit.txt declares BagIt 1.0 (RFC 8493 section 2.1.1); nothing is at the top but the
             tag files, README.txt, this script and data/
  payload    every line of both payload manifests matches its file, every file under data/ is in
             both (RFC 8493 section 3), and bag-info.txt's Payload-Oxum is right
  tag files  every line of both tag manifests matches its file
  events     for each event of data/custody/events.jsonl: its hash, SHA-256(the 32 bytes of prev
             || the event); its RFC 6962 leaf hash, SHA-256(0x00 || the event); its inclusion proof
             (RFC 9162 section 2.1.3.2) to the rootHash of data/custody/checkpoint.json; its seq and
             prev links. custody stores an event as its RFC 8785 canonical JSON and copies it into
             events.jsonl byte for byte, so those bytes are hashed as they are. An encrypted case
             stores each event as an envelope in clear and its body encrypted: its lines carry the
             envelope (which the hash, leaf and proof are over), the event in clear, and a salt,
             and SHA-256(the 32 bytes of salt || the event) must be the envelope's bodyCommitment.
  key        data/custody/investigator.pem is a key that a key event records, and the one
             checkpoint.json names (by its fingerprint, the SHA-256 of its DER form)
  statement  data/custody/seal.json against the rest: case, tree head, the events file's count and
             SHA-256, README.txt's SHA-256, bag-info.txt; each exhibit's original (SHA-256,
             SHA-512, size), metadata record and ingest event; each file of each hand-over's
             record under data/custodians/ (its "custodians"), with the SHA-256 it states; every
             file under data/ is one it names
  proofs     RFC 9162 section 2.1.4.2 consistency proofs: the tree of the timestamped checkpoint,
             and of each earlier seal, is the start of the sealed one
  transfer   in a transfer package only: data/custody/transfer.json names this case as sender,
             this seal and its tree head, and lists exactly the statement's exhibits with their
             SHA-256, SHA-512 and size; a consistency proof from the receiver's last receipt holds
  custodians in a seal of exhibits received from other custodians, each hand-over's record,
             data/custodians/<sender's case>/<transfer>/: its events.jsonl, as the events check
             does this case's, against its checkpoint.json, as many as the statement says, the
             first of the sender's case (from a field package, every row of the sender's tree in
             order, whose leaves make the rootHash: each an event, or a row's envelope alone, its
             hash and leaf over the envelope, never of an exhibit received, whose events must all
             be there; and for each rotation of the sender's key, in rotations.jsonl, a checkpoint
             of the key it replaced whose rootHash and lastEventHash are those rows'), a key event
             recording sender.pem, which checkpoint.json
             and the statement name; transfer.json of that transfer, from that case to this one,
             on that checkpoint's tree head, listing the exhibits received; receipt.json of that
             transfer, received by this case intact, its senderCheckpoint checkpoint.json's very
             text, naming as its signer receiver.pem, a key this case's key events record, each
             exhibit received as the statement says; this case's transfer-received event names
             that tree head and receipt. And each exhibit whose ingest here says it was received
             is, in its sender's events, an ingest at the seq it names, with the same SHA-256
NOT checked, as the standard library has neither Ed25519 nor RFC 3161: the signatures of
checkpoint.json, seal.json (and transfer.json), that the key is a sound Ed25519 key, and the
timestamp tokens; in each hand-over's record, the signatures of checkpoint.json, transfer.json and
receipt.json, and the receipt's cosignature of checkpoint.json. The script prints the openssl
commands for those. Until they pass, the checks above show a bag that agrees with itself, which
anyone can make; the signatures show who vouches for it.
Files are read 1 MiB at a time, never whole; a few hundred bytes are kept for each file, exhibit
and hand-over; a line longer than any genuine one (an event over 1 MiB, which custody refuses) is
refused.
"""
import base64, hashlib, json, os, re, stat, sys

EVENT_LINE = (1 << 20) + (64 << 10)  # custody's MAX_EVENT_BYTES, with the proof beside it
MANIFEST_LINE, EXHIBIT, STATEMENT_REST, SHOWN = 16 << 10, 64 << 10, 16 << 20, 50
TAG_FILES = ('bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'manifest-sha512.txt',
             'tagmanifest-sha256.txt', 'tagmanifest-sha512.txt', 'README.txt', 'verify-bag.py')
C = 'data/custody/'
EVENTS, CHECKPOINT, KEY, STATEMENT = C + 'events.jsonl', C + 'checkpoint.json', C + 'investigator.pem', C + 'seal.json'
STAMPED, STAMPED_KEY = C + 'timestamped-checkpoint.json', C + 'timestamped-checkpoint.pem'
CONSISTENCY, EARLIER = C + 'consistency-proof.json', C + 'earlier-seals.jsonl'
TRANSFER, TRANSFER_CONSISTENCY = C + 'transfer.json', C + 'transfer-consistency.json'
CUSTODIANS, MOST_CUSTODIANS = 'data/custodians/', 10000
CUSTODIAN_FILES = (('transfer', 'transfer.json'), ('transferSignature', 'transfer.json.sig'), ('checkpoint', 'checkpoint.json'),
                   ('checkpointSignature', 'checkpoint.json.sig'), ('senderKey', 'sender.pem'), ('receiverKey', 'receiver.pem'),
                   ('events', 'events.jsonl'), ('receipt', 'receipt.json'), ('receiptSignature', 'receipt.json.sig'))
SENDER_CASE, TRANSFER_ID = re.compile(r'[0-9a-f-]{36}\Z'), re.compile(r'TRANSFER-[0-9a-f]{16}\Z')
GENESIS, HEX64 = '0' * 64, re.compile(r'[0-9a-f]{64}\Z')
UNSHOWABLE = re.compile('[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]')  # nor can a name drive the terminal

class Refused(Exception):
    """A problem that stops a check."""

class Check:
    """One line of the report, and its problems: all counted, the first SHOWN kept."""
    def __init__(self, name):
        self.name, self.problems, self.failed = name, [], 0

    def fail(self, subject, message, expected=None, found=None):
        self.failed += 1
        if len(self.problems) < SHOWN:
            more = '' if expected is None else ' (expected %s, found %s)' % (expected, found)
            problem = '%s: %s%s' % (subject, message, more)
            self.problems.append(UNSHOWABLE.sub(lambda m: '\\x%02x' % ord(m.group()), problem))

    def report(self, summary):
        failed = ': %d problem%s' % (self.failed, 's' * (self.failed > 1)) if self.failed else ''
        print('%-10s %-6s %s%s' % (self.name, 'FAILED' if self.failed else 'OK', summary, failed))
        print(''.join('    %s\n' % p for p in self.problems), end='')
        if self.failed > SHOWN:
            print('    ... and %d more' % (self.failed - SHOWN))
        return not self.failed

def parse(raw):
    """A JSON object, or None. A repeated key (which one counts?), NaN or deep nesting is refused."""
    def unique(pairs):
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError('a repeated key')
        return dict(pairs)
    def refuse(constant):
        raise ValueError('%s is not JSON' % constant)
    try:
        value = json.loads(raw, object_pairs_hook=unique, parse_constant=refuse)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None

def field(value, *keys):
    """value[k1][k2]..., or None where a step is missing."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value

def hashes(value):
    """A list of at most 64 hex SHA-256 hashes, as bytes; or None."""
    if isinstance(value, list) and len(value) <= 64 and all(HEX64.match(str(h)) for h in value):
        return [bytes.fromhex(h) for h in value]

def digests(path, *algorithms):
    hs, size = [hashlib.new(a) for a in algorithms], 0
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            size += len(chunk)
            for h in hs:
                h.update(chunk)
    return [h.hexdigest() for h in hs] + [size]

def node(left, right):
    return hashlib.sha256(b'\x01' + left + right).digest()  # RFC 6962 section 2.1

def inclusion_root(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2: the root that a proof leads to from leaf `index` of `size`; None if none."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None

class Range:
    """RFC 6962 section 2.1: the root of a growing list of leaf hashes, in O(log n) memory (the roots of its
    complete subtrees, largest first, folded from the right)."""
    def __init__(self):
        self.subtrees, self.size = [], 0
    def push(self, leaf):
        size, h = 1, leaf
        while self.subtrees and self.subtrees[-1][0] == size:
            size, h = size * 2, node(self.subtrees.pop()[1], h)
        self.subtrees.append((size, h))
        self.size += 1
    def root(self):
        h = self.subtrees[-1][1] if self.subtrees else hashlib.sha256(b'').digest()
        for _, left in reversed(self.subtrees[:-1]):
            h = node(left, h)
        return h

def consistent(m, n, old, new, proof):
    """RFC 9162 section 2.1.4.2: the tree of m leaves, root `old`, is the start of that of n, root `new`."""
    if m == n:
        return not proof and old == new
    if not 0 < m < n or not proof:
        return False
    path = ([old] if m & (m - 1) == 0 else []) + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new

class PayloadFile:
    """A file under data/: its digests, which payload manifests list it (bits 1, 2), whether the statement names it."""
    __slots__ = ('sha256', 'sha512', 'size', 'listed', 'named')

    def __init__(self, sha256, sha512, size):
        self.sha256, self.sha512, self.size, self.listed, self.named = sha256, sha512, size, 0, False

class Bag:
    """The bag's folder, and what each check finds for the next. Every read goes through here:
    regular files only, never through a link; under data/, only the files that walk() found."""
    def __init__(self, root):
        self.root, self.files, self.ingested, self.keys, self.stated = root, {}, {}, {}, {}
        self.custodians, self.received, self.handed = [], [], {}  # the statement's hand-overs; this case's side of them
        self.rotations = []  # each field sender's key rotation: (folder, checkpoint, signature, the replaced key's DER in base64)
        self.checkpoint = self.statement = self.key = self.events = self.case = None

    def has(self, name):
        if name.startswith('data/'):
            return name in self.files
        try:
            return '/' not in name and stat.S_ISREG(os.lstat(os.path.join(self.root, name)).st_mode)
        except OSError:
            return False

    def small(self, name, limit):
        """A small file, whole; b'' when it is not there."""
        if not self.has(name):
            return b''
        with open(os.path.join(self.root, name), 'rb') as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise Refused('%s is larger than any genuine one (%d bytes): it was not read' % (name, limit))
        return data

    def lines(self, name, limit):
        """Each line of a file with its number; a line over `limit` bytes stops the reading."""
        if not self.has(name):
            raise Refused('%s is missing' % name)
        with open(os.path.join(self.root, name), 'rb') as f:
            for n, raw in enumerate(iter(lambda: f.readline(limit + 1), b''), 1):
                if len(raw) > limit:
                    raise Refused('%s line %d is longer than any genuine one (%d bytes): '
                                  'the rest was not read' % (name, n, limit))
                yield n, raw

    def walk(self, c):
        """Every file under data/, hashed once with SHA-256 and SHA-512 together."""
        data = os.path.join(self.root, 'data')
        if os.path.islink(data):
            return
        for top, folders, names in os.walk(data, onerror=lambda e: c.fail(e.filename, e.strerror)):
            folders.sort()
            for name in sorted(folders + names):
                full = os.path.join(top, name)
                path, mode = os.path.relpath(full, self.root).replace(os.sep, '/'), os.lstat(full).st_mode
                if stat.S_ISREG(mode):
                    self.files[path] = PayloadFile(*digests(full, 'sha256', 'sha512'))
                elif not stat.S_ISDIR(mode):
                    c.fail(path, 'is not a regular file or folder (a link, a device): it was not read')

    def info(self, label):
        lines = self.small('bag-info.txt', 64 << 10).decode('utf-8', 'replace').split('\n')
        return dict((k.strip(), v.strip()) for k, _, v in (line.partition(':') for line in lines)).get(label)

def check_bag(c, bag):
    if bag.small('bagit.txt', 1024) != b'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n':
        c.fail('bagit.txt', 'does not declare BagIt 1.0 in UTF-8')
    data = os.path.join(bag.root, 'data')
    if os.path.islink(data) or not os.path.isdir(data):
        c.fail('data', 'is not a folder')
    for name in sorted(set(os.listdir(bag.root)) - {'data'}):
        if name not in TAG_FILES or not bag.has(name):
            c.fail(name, 'is not a file of a sealed bag: nothing vouches for it')
    return 'bagit.txt, and what is at the top of the bag'

def check_manifest(c, bag, name, algorithm, digest_of):
    """Each line of a manifest against digest_of(path). A path that could leave the bag is refused, never opened."""
    seen = set()
    for n, raw in bag.lines(name, MANIFEST_LINE):
        at = '%s line %d' % (name, n)
        match = re.match(r'([0-9a-fA-F]+)[ \t]+\*?(.+)\Z', raw.decode('utf-8', 'replace').rstrip('\n'))
        path = match.group(2) if match else ''
        if not match:
            c.fail(at, 'is not "<digest>  <path>"')
        elif path.startswith('/') or '\\' in path or any(p in ('', '.', '..') for p in path.split('/')):
            c.fail(at, '%s is not a path inside the bag (RFC 8493 section 2.1.3): refused' % path)
        elif path in seen:
            c.fail(at, '%s is listed twice' % path)
        else:
            listed, actual = match.group(1).lower(), digest_of(path)
            if actual is None:
                c.fail(at, '%s is not a file this manifest can list' % path)
            elif actual != listed:
                c.fail(path, 'its %s does not match %s' % (algorithm.upper().replace('SHA', 'SHA-'), at), listed, actual)
        seen.add(path)
    return seen

def check_payload(c, bag):
    bag.walk(c)
    for bit, algorithm in ((1, 'sha256'), (2, 'sha512')):
        name = 'manifest-%s.txt' % algorithm
        for path in check_manifest(c, bag, name, algorithm, lambda p: getattr(bag.files.get(p), algorithm, None)):
            if path in bag.files:
                bag.files[path].listed |= bit
        for path in (p for p, f in bag.files.items() if not f.listed & bit):
            c.fail(path, 'is in the bag but not in %s' % name)
    oxum = '%d.%d' % (sum(f.size for f in bag.files.values()), len(bag.files))
    if bag.info('Payload-Oxum') != oxum:
        c.fail('bag-info.txt', 'its Payload-Oxum is not the payload', oxum, bag.info('Payload-Oxum'))
    return '%d files under data/ (Payload-Oxum %s) against both manifests' % (len(bag.files), oxum)

def check_tags(c, bag):
    listed = set()
    for algorithm in ('sha256', 'sha512'):
        def tag(path):
            if path.startswith('data/') or not bag.has(path):
                return None
            return digests(os.path.join(bag.root, path), algorithm)[0]
        listed |= check_manifest(c, bag, 'tagmanifest-%s.txt' % algorithm, algorithm, tag)
    unlisted = '; verify-bag.py is not among them' if bag.has('verify-bag.py') and 'verify-bag.py' not in listed else ''
    return '%d tag files against both tag manifests%s' % (len(listed), unlisted)

def read_checkpoint(bag, name):
    """A checkpoint (custody-checkpoint/v1): the ledger's size and RFC 6962 root when it was signed."""
    cp = parse(bag.small(name, 4096))
    if field(cp, 'type') != 'custody-checkpoint/v1' or type(cp.get('treeSize')) is not int or cp['treeSize'] < 1 \
            or not all(HEX64.match(str(cp.get(k))) for k in ('rootHash', 'lastEventHash')):
        raise Refused('%s is missing or not a custody checkpoint' % name)
    return cp

def envelope_line(raw):
    """A line of an encrypted case: its fields, the envelope's bytes under 'stored'; or its problem."""
    e, names = parse(raw), {'envelope', 'event', 'hash', 'inclusionProof', 'leafHash', 'prev', 'salt', 'seq'}
    if e is None or set(e) != names or not isinstance(e['event'], dict) or not isinstance(e['envelope'], dict):
        return 'is not an object of "envelope", "event", "hash", "inclusionProof", "leafHash", "prev", "salt" and "seq"'
    e['proof'] = hashes(e['inclusionProof'])
    if type(e['seq']) is not int or e['seq'] < 0 or e['proof'] is None \
            or not all(HEX64.match(str(e[k])) for k in ('hash', 'leafHash', 'prev', 'salt')):
        return 'its seq is not a whole number, or a hash or the salt is not 64 hex digits'
    tail = (',"hash":"%s","inclusionProof":[%s],"leafHash":"%s","prev":"%s","salt":"%s","seq":%d}\n' % (
        e['hash'], ','.join('"%s"' % h for h in e['inclusionProof']), e['leafHash'], e['prev'], e['salt'], e['seq'])).encode()
    try:  # the envelope's bytes end where its JSON does; the event's bytes follow ',"event":'
        text = raw[len(b'{"envelope":'):-len(tail)].decode('utf-8')
        end = json.JSONDecoder().raw_decode(text)[1]
    except ValueError:
        end, text = None, ''
    if not raw.startswith(b'{"envelope":') or not raw.endswith(tail) or end is None or not text[end:].startswith(',"event":'):
        return 'is not laid out as custody writes it, so its envelope and event cannot be told apart'
    e['stored'], body, env = text[:end].encode('utf-8'), text[end + len(',"event":'):].encode('utf-8'), e['envelope']
    if env.get('v') != 2 or hashlib.sha256(bytes.fromhex(e['salt']) + body).hexdigest() != env.get('bodyCommitment'):
        return "its event is not the one its envelope commits to: SHA-256(salt || event) is not the envelope's bodyCommitment"
    wrong = [k for k in ('seq', 'prev', 'time', 'exhibit') if env.get(k, False) != e['event'].get(k, True)]
    if wrong:
        return 'its envelope and its event state another %s' % ', '.join(wrong)
    return e

def row_line(raw):
    """A line of a field sender's record holding a row's envelope alone: its fields, the envelope's bytes under
    'stored'; or its problem. Its hash is SHA-256(prev || envelope) and its leaf SHA-256(0x00 || envelope)."""
    e = parse(raw)
    if e is None or set(e) != {'envelope', 'hash', 'leafHash', 'prev', 'seq'} or not isinstance(e['envelope'], dict) \
            or type(e['seq']) is not int or e['seq'] < 0 or not all(HEX64.match(str(e[k])) for k in ('hash', 'leafHash', 'prev')):
        return 'is not an object of "envelope", "hash", "leafHash", "prev" and "seq", its hashes 64 hex digits'
    tail = (',"hash":"%s","leafHash":"%s","prev":"%s","seq":%d}\n' % (e['hash'], e['leafHash'], e['prev'], e['seq'])).encode()
    if not raw.startswith(b'{"envelope":') or not raw.endswith(tail):
        return 'is not laid out as custody writes it, so its envelope cannot be told apart'
    e['stored'], env = raw[len(b'{"envelope":'):-len(tail)], e['envelope']
    if env.get('v') != 2 or 'carried' in env or not HEX64.match(str(env.get('bodyCommitment'))):
        return 'its envelope is not one that is its own leaf (v 2, with a bodyCommitment, not carried)'
    if (env.get('seq'), env.get('prev')) != (e['seq'], e['prev']):
        return 'its envelope does not state the seq and prev written beside it'
    if hashlib.sha256(bytes.fromhex(e['prev']) + e['stored']).hexdigest() != e['hash']:
        return 'its hash does not match its envelope: the row was changed'
    if hashlib.sha256(b'\x00' + e['stored']).hexdigest() != e['leafHash']:
        return 'its leaf hash does not match its envelope'
    return e

def event_line(raw):
    """An events.jsonl line: its fields, with the event's bytes as stored under 'stored'; or its problem."""
    if raw.startswith(b'{"envelope":'):
        return envelope_line(raw)
    e = parse(raw)
    if e is None or set(e) != {'event', 'hash', 'inclusionProof', 'leafHash', 'prev', 'seq'} \
            or not isinstance(e['event'], dict):
        return 'is not an object of "event", "hash", "inclusionProof", "leafHash", "prev" and "seq"'
    e['proof'] = hashes(e['inclusionProof'])
    if type(e['seq']) is not int or e['seq'] < 0 or e['proof'] is None \
            or not all(HEX64.match(str(e[k])) for k in ('hash', 'leafHash', 'prev')):
        return 'its seq is not a whole number, or a hash is not 64 hex digits'
    # Canonical JSON, "event" first: what stands between this head and tail is the event as stored.
    tail = (',"hash":"%s","inclusionProof":[%s],"leafHash":"%s","prev":"%s","seq":%d}\n' % (
        e['hash'], ','.join('"%s"' % h for h in e['inclusionProof']), e['leafHash'], e['prev'], e['seq'])).encode()
    if not raw.startswith(b'{"event":') or not raw.endswith(tail):
        return 'is not laid out as custody writes it, so its event cannot be told apart'
    e['stored'] = raw[len(b'{"event":'):-len(tail)]
    return e

def check_events(c, bag):
    cp = bag.checkpoint = read_checkpoint(bag, CHECKPOINT)
    whole, last, n = hashlib.sha256(), None, 0
    for n, raw in bag.lines(EVENTS, EVENT_LINE):
        whole.update(raw)
        e = event_line(raw)
        if isinstance(e, str):
            c.fail('%s line %d' % (EVENTS, n), e)
            continue
        last = check_chained(c, cp, e, last, 'event %d' % e['seq'], 'checkpoint.json')
        note_event(c, bag, 'event %d' % e['seq'], e['event'], e['event'].get('payload') if isinstance(e['event'].get('payload'), dict) else {})
    bag.events = [n, whole.hexdigest()]
    return '%d events against the root %s... of %d in checkpoint.json' % (n, cp['rootHash'][:16], cp['treeSize'])

def check_chained(c, cp, e, last, at, checkpoint):
    """One line read by event_line() (at names it) against the checkpoint cp (named `checkpoint`) and
    the line before it (last: its seq and hash; None for the first): its hash, leaf hash, inclusion
    proof, and its place in the ledger. Returns its seq and hash, the next line's `last`."""
    seq, prev, event, root = e['seq'], e['prev'], e['event'], bytes.fromhex(cp['rootHash'])
    if event.get('seq') != seq or event.get('prev') != prev:
        c.fail(at, 'does not state the seq and prev written beside it')
    computed = hashlib.sha256(bytes.fromhex(prev) + e['stored']).hexdigest()  # custody's chain
    if computed != e['hash']:
        c.fail(at, 'its hash does not match its content: the event was changed', e['hash'], computed)
    leaf = hashlib.sha256(b'\x00' + e['stored']).digest()  # RFC 6962 section 2.1
    if leaf.hex() != e['leafHash']:
        c.fail(at, 'its leaf hash does not match its content', e['leafHash'], leaf.hex())
    reached = inclusion_root(seq, cp['treeSize'], leaf, e['proof'])
    if reached != root:
        c.fail(at, "its inclusion proof does not lead to %s's rootHash" % checkpoint,
               cp['rootHash'], reached.hex() if reached else 'a proof of the wrong length')
    if last is None and (seq, prev) != (0, GENESIS):
        c.fail(at, "comes first, but the first must be the case's first event (seq 0, prev 64 zeros)")
    elif last is not None and seq <= last[0]:
        c.fail(at, 'is not in ledger order: it comes after event %d' % last[0])
    elif last is not None and seq == last[0] + 1 and prev != last[1]:
        c.fail(at, 'does not chain to event %d' % last[0], last[1], prev)
    if seq == cp['treeSize'] - 1 and e['hash'] != cp['lastEventHash']:
        c.fail(at, "its hash is not %s's lastEventHash" % checkpoint, cp['lastEventHash'], e['hash'])
    return seq, e['hash']

def note_event(c, bag, at, event, payload):
    """What later checks need: the case, each exhibit's digests at ingest, each key that a key event records."""
    if event.get('seq') == 0:
        bag.case = payload.get('caseId')
    if event.get('action') == 'ingest' and isinstance(event.get('exhibit'), str):
        digest = payload.get('digests')
        bag.ingested[event['exhibit']] = [field(digest, 'sha256'), field(digest, 'sha512'), payload.get('size')]
        if isinstance(payload.get('received'), dict):
            bag.received.append((event['exhibit'], payload['received'], field(digest, 'sha256')))
    if event.get('action') == 'transfer-received' and isinstance(payload.get('transferId'), str):
        bag.handed[payload['transferId']] = [field(payload, 'treeHead'), field(payload, 'receipt', 'sha256')]
    if event.get('action') in ('key-created', 'key-rotated'):
        try:
            der = base64.b64decode(payload.get('publicKey'), validate=True)
        except (TypeError, ValueError):
            der = b''
        fingerprint = 'SHA256:' + hashlib.sha256(der).hexdigest()
        if der and payload.get('fingerprint') == fingerprint:
            bag.keys[fingerprint] = der
        else:
            c.fail(at, 'the fingerprint it records is not the SHA-256 of its key', fingerprint, payload.get('fingerprint'))

def pem_key(data):
    """A PEM public key's fingerprint (the SHA-256 of its DER form) and DER; None if it is not one."""
    pem = re.match(br'-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=\n]+)-----END PUBLIC KEY-----\n\Z', data)
    if pem:
        der = base64.b64decode(pem.group(1).replace(b'\n', b''))
        return 'SHA256:' + hashlib.sha256(der).hexdigest(), der

def check_key(c, bag):
    key = pem_key(bag.small(KEY, 4096))
    if key is None:
        raise Refused('%s is missing or not a PEM public key' % KEY)
    bag.key, der = key
    if bag.keys.get(bag.key) != der:
        c.fail(KEY, 'is not a key that a key event of events.jsonl records')
    if field(bag.checkpoint, 'keyFingerprint') != bag.key:
        c.fail(CHECKPOINT, 'names another key than investigator.pem', bag.key, field(bag.checkpoint, 'keyFingerprint'))
    return 'investigator.pem, %s, against the key events and checkpoint.json' % bag.key

def read_statement(bag, on_exhibit):
    """seal.json as custody writes it (JSON.stringify(statement, null, 2)), a line at a time: each
    exhibit is parsed alone and handed to on_exhibit, the rest parsed with "exhibits" left empty.
    Returns the rest and the number of exhibits."""
    rest, rest_size, block, block_size, count = [], 0, [], 0, 0
    state = 'rest'  # or, in the list of exhibits, 'first', 'more', 'last'; or 'exhibit', in one
    for n, raw in bag.lines(STATEMENT, STATEMENT_REST):
        if state == 'exhibit':
            block.append(raw)
            block_size += len(raw)
            if block_size > EXHIBIT:
                raise Refused('%s line %d: an exhibit is longer than any genuine one' % (STATEMENT, n))
            if raw in (b'    }\n', b'    },\n'):
                x, count = parse(b''.join(block).rstrip(b',\n')), count + 1
                if x is None:
                    raise Refused('%s line %d: the exhibit that ends there is not a JSON object' % (STATEMENT, n))
                on_exhibit(x)
                state = 'more' if raw.endswith(b',\n') else 'last'
        elif state in ('first', 'more') and raw == b'    {\n':
            block, block_size, state = [raw], len(raw), 'exhibit'
        elif state == 'last' and raw in (b'  ]\n', b'  ],\n'):
            rest.append(raw)
            state = 'rest'
        elif state != 'rest':
            raise Refused('%s line %d is not laid out as custody writes it' % (STATEMENT, n))
        else:
            rest.append(raw)
            rest_size, state = rest_size + len(raw), 'first' if raw == b'  "exhibits": [\n' else 'rest'
            if rest_size > STATEMENT_REST:
                raise Refused('%s is longer than any genuine statement' % STATEMENT)
    s = parse(b''.join(rest))
    if state != 'rest' or field(s, 'exhibits') != []:
        raise Refused('%s is not a statement laid out as custody writes it' % STATEMENT)
    return s, count

def check_exhibit(c, bag, x):
    """One exhibit of the statement, against its files and its ingest event."""
    if not all(isinstance(x.get(k), str) for k in ('exhibit', 'path', 'metadataPath', 'sha256', 'sha512', 'metadataRecord')):
        return c.fail(STATEMENT, 'an exhibit lacks its ID, paths or digests')
    xid, original, record, stated = x['exhibit'], x['path'], x['metadataPath'], [x['sha256'], x['sha512'], x.get('size')]
    bag.stated[xid] = stated
    folder = 'data/exhibits/%s/' % xid
    if '/' in xid or not original.startswith(folder + 'original/') or '/' in original[len(folder) + 9:] \
            or record != folder + 'metadata.json':
        return c.fail(xid, 'its files are not in its own folder %s' % folder)
    for path in (original, record):
        if path not in bag.files or bag.files[path].named:
            c.fail(xid, '%s is not in the bag, or another exhibit names it too' % path)
        else:
            bag.files[path].named = True
    f, m, ingest = bag.files.get(original), bag.files.get(record), bag.ingested.pop(xid, None)
    if f and [f.sha256, f.sha512, f.size] != stated:
        c.fail(xid, 'its original is not the one the statement states (SHA-256, SHA-512, size)',
               stated, [f.sha256, f.sha512, f.size])
    if m and m.sha256 != x['metadataRecord']:
        c.fail(xid, 'its metadata record is not the one the statement states', x['metadataRecord'], m.sha256)
    if ingest != stated:
        c.fail(xid, 'its ingest event is not in events.jsonl, or states other digests or size', stated, ingest)

def check_statement(c, bag):
    s, exhibits = read_statement(bag, lambda x: check_exhibit(c, bag, x))
    cp, readme, earlier, bag.statement = bag.checkpoint or {}, bag.small('README.txt', 1 << 20), bag.files.get(EARLIER), s
    checker = bag.small('verify-bag.py', 256 << 10)
    head = [field(s, 'treeHead', 'size'), field(s, 'treeHead', 'root')]
    for what, stated, found in (
            ('type and version', [s.get('type'), s.get('version')], ['custody-seal', 1]),
            ('case, against event 0 and checkpoint.json', [field(s, 'case', 'id')] * 2, [bag.case, cp.get('case')]),
            ("tree head, against checkpoint.json's", head, [cp.get('treeSize'), cp.get('rootHash')]),
            ("checkpoint's tree size", field(s, 'checkpoint', 'treeSize'), cp.get('treeSize')),
            ('key, against investigator.pem', field(s, 'key', 'fingerprint'), bag.key),
            ('events file (count, SHA-256)', [field(s, 'events', 'count'), field(s, 'events', 'sha256')], bag.events),
            ("README.txt's SHA-256", field(s, 'readme', 'sha256'), hashlib.sha256(readme).hexdigest() if readme else None),
            ("verify-bag.py's SHA-256", field(s, 'checker', 'sha256'), hashlib.sha256(checker).hexdigest() if checker else None),
            ("earlier seals' SHA-256", field(s, 'earlierSeals', 'sha256'), earlier.sha256 if earlier else None),
            ('seal ID, against bag-info.txt', s.get('sealId'), bag.info('Custody-Seal-Identifier')),
            ("transfer statement's SHA-256", field(s, 'transfer', 'sha256'), bag.files[TRANSFER].sha256 if TRANSFER in bag.files else None),
            ('tree head, against bag-info.txt', '%s %s' % tuple(head), bag.info('Custody-Tree-Head'))):
        if stated != found:
            c.fail(STATEMENT, 'its %s is not what the bag holds' % what, stated, found)
    for path in stated_files(s):
        if path not in bag.files or not path.startswith(C):
            c.fail(STATEMENT, 'it names %s, which is not a custody file of the bag' % path)
        else:
            bag.files[path].named = True
    if 'custodians' in s:
        bag.custodians = stated_custodians(c, bag, s['custodians'])
    for path in (p for p, f in bag.files.items() if not f.named):
        c.fail(path, 'is under data/, but the seal statement does not name it: nothing vouches for it')
    return '%d exhibits against their files and ingest events; the files under data/ against it' % exhibits

def stated_files(s):
    """The custody files the statement names (its "path", "signature", "checkpoint", "key", "roots"...)."""
    named = {STATEMENT, STATEMENT + '.sig'}
    if field(s, 'timestamp', 'checkpoint') == STAMPED:
        named.add(STAMPED + '.sig')
    def collect(value):
        for key, v in value.items() if isinstance(value, dict) else enumerate(value if isinstance(value, list) else []):
            if key in ('path', 'signature', 'checkpoint', 'key', 'consistencyProof', 'consistency', 'roots') and isinstance(v, str):
                named.add(v)
            collect(v)
    collect([s.get(k) for k in ('events', 'checkpoint', 'key', 'timestamp', 'earlierSeals', 'transfer')])
    return sorted(named)

def stated_custodians(c, bag, stated):
    """The hand-overs' records the statement names (its "custodians"), each file where custody puts it,
    data/custodians/<sender's case>/<transfer ID>/<name>, with the SHA-256 it states: the records read well."""
    if not isinstance(stated, list) or not 0 < len(stated) <= MOST_CUSTODIANS:
        return c.fail(STATEMENT, 'its custodians is not a list of 1 to %d hand-overs' % MOST_CUSTODIANS) or []
    records = []
    for i, r in enumerate(stated):
        kase, transfer = str(field(r, 'from', 'case')), str(field(r, 'transferId'))
        folder = CUSTODIANS + kase + '/' + transfer
        items = field(r, 'items')
        if not SENDER_CASE.match(kase) or not TRANSFER_ID.match(transfer) or field(r, 'folder') != folder \
                or not isinstance(field(r, 'files'), dict) or type(field(r, 'eventCount')) is not int or not isinstance(items, list) \
                or not all(isinstance(field(x, 'exhibit'), str) and isinstance(field(x, 'receivedAs'), str) for x in items):
            c.fail(STATEMENT, "its custodians[%d] does not name its sender's case, its transfer, their folder, "
                              'files, items and event count as custody writes them' % i)
            continue
        before = c.failed
        optional = (('rotations', 'rotations.jsonl'),) if field(r, 'files', 'rotations') is not None else ()
        for role, name in CUSTODIAN_FILES + optional:
            path, f = '%s/%s' % (folder, name), bag.files.get('%s/%s' % (folder, name))
            if field(r, 'files', role, 'path') != path:
                c.fail(STATEMENT, 'its custodians[%d].files.%s is not %s' % (i, role, path))
            elif f is None or f.named:
                c.fail(STATEMENT, 'it names %s, which is not in the bag, or is named twice' % path)
            else:
                f.named = True
                if f.sha256 != field(r, 'files', role, 'sha256'):
                    c.fail(path, 'is not the file the seal statement states', field(r, 'files', role, 'sha256'), f.sha256)
        if c.failed == before:
            records.append(r)
    return records

def check_proofs(c, bag):
    cp, s, done = bag.checkpoint, bag.statement, []
    if cp is None or s is None:
        raise Refused('checkpoint.json or seal.json could not be read')
    stamped = read_checkpoint(bag, STAMPED) if field(s, 'timestamp', 'checkpoint') == STAMPED else cp
    if stamped is not cp:
        p = parse(bag.small(CONSISTENCY, 64 << 10))
        ends = [field(p, 'from', 'treeSize'), field(p, 'from', 'rootHash'), field(p, 'to', 'treeSize'), field(p, 'to', 'rootHash')]
        if ends != [stamped['treeSize'], stamped['rootHash'], cp['treeSize'], cp['rootHash']] \
                or not consistent(ends[0], ends[2], bytes.fromhex(ends[1]), bytes.fromhex(ends[3]), hashes(p['proof']) or []):
            c.fail(CONSISTENCY, "does not prove the timestamped checkpoint's tree to be the start of the sealed one")
        done.append('the timestamped checkpoint (%d events)' % stamped['treeSize'])
    if s.get('timestamp') is not None and field(s, 'timestamp', 'treeSize') != stamped['treeSize']:
        c.fail(STATEMENT, "its timestamp's tree size is not the timestamped checkpoint's",
               stamped['treeSize'], field(s, 'timestamp', 'treeSize'))
    if s.get('earlierSeals') is not None:
        n = 0
        for n, raw in bag.lines(EARLIER, 16 << 10):
            e = parse(raw)
            size, root, proof = field(e, 'treeHead', 'size'), str(field(e, 'treeHead', 'root')), hashes(field(e, 'consistencyProof'))
            if type(size) is not int or not HEX64.match(root) or proof is None \
                    or not consistent(size, cp['treeSize'], bytes.fromhex(root), bytes.fromhex(cp['rootHash']), proof):
                c.fail('%s line %d' % (EARLIER, n),
                       'seal %s: its proof does not lead from its tree head to the sealed one' % field(e, 'sealId'))
        if n != field(s, 'earlierSeals', 'count'):
            c.fail(EARLIER, 'does not hold as many seals as the statement says', field(s, 'earlierSeals', 'count'), n)
        done.append('%d earlier seal%s' % (n, 's' * (n != 1)))
    return 'consistent with the sealed tree: %s' % ', '.join(done) if done else 'none in this bag'

def check_transfer(c, bag):
    """A transfer package's statement against the seal's: sender, seal, tree head, items, consistency."""
    s = bag.statement or {}
    if s.get('transfer') is None:
        return 'none: a seal, not a transfer package'
    t = parse(bag.small(TRANSFER, 1 << 20))
    if not isinstance(t, dict) or t.get('type') != 'custody-transfer/v1':
        raise Refused('%s is not a transfer statement (custody-transfer/v1)' % TRANSFER)
    for what, stated, found in (('sender', field(t, 'from', 'case'), field(s, 'case', 'id')), ('seal ID', t.get('sealId'), s.get('sealId')),
                                ('tree head', t.get('archiveTree'), s.get('treeHead')), ('release time', t.get('releasedAt'), s.get('sealedAt'))):
        if stated != found:
            c.fail(TRANSFER, 'its %s is not the sealed one' % what, found, stated)
    items = t.get('items') if isinstance(t.get('items'), list) else []
    listed = {}
    for item in items:
        x = item.get('exhibit') if isinstance(item, dict) else None
        if x in listed or bag.stated.get(x) != [item.get('sha256'), item.get('sha512'), item.get('size')]:
            c.fail('%s item %s' % (TRANSFER, x), 'is listed twice, or is not an exhibit of the statement with these digests and size')
        listed[x] = True
    if len(listed) != len(bag.stated):
        c.fail(TRANSFER, 'does not list every exhibit of the statement', len(bag.stated), len(listed))
    ack, cp = t.get('acknowledged'), bag.checkpoint or {}
    if ack is not None:
        p = parse(bag.small(TRANSFER_CONSISTENCY, 64 << 10))
        ends = [field(p, 'from', 'treeSize'), field(p, 'from', 'rootHash'), field(p, 'to', 'treeSize'), field(p, 'to', 'rootHash')]
        if ends != [field(ack, 'size'), field(ack, 'root'), cp.get('treeSize'), cp.get('rootHash')] \
                or not consistent(ends[0], ends[2], bytes.fromhex(ends[1]), bytes.fromhex(ends[3]), hashes(p['proof']) or []):
            c.fail(TRANSFER_CONSISTENCY, "does not prove the receiver's last acknowledged tree to be the start of the sealed one")
    who = lambda k: '%s %s' % (field(t, k, 'name'), field(t, k, 'case'))
    return '%s from %s to %s, released %s; %d items' % (t.get('transferId'), who('from'), who('to'), t.get('releasedAt'), len(items))

def check_custodians(c, bag):
    """Each hand-over's record under data/custodians/ (the statement's "custodians") holds, and every
    exhibit this case says it received (its ingest's "received") is, in the sender's events, that exhibit."""
    if not bag.custodians and not bag.received and not bag.handed and field(bag.statement, 'custodians') is None:
        return 'none: no exhibit came from another custodian'
    senders, records, listed = {}, {}, {}  # by transfer ID: each looked up once, so the cost grows with the bag
    for r in bag.custodians:
        senders[r['transferId']] = check_custodian(c, bag, r)
        records.setdefault(r['transferId'], r)
        listed.setdefault(r['transferId'], {(x['exhibit'], x['receivedAs']) for x in r['items']})
    for xid, got, sha256 in bag.received:
        tid = field(got, 'transferId')
        r = records.get(tid) if isinstance(tid, str) else None
        theirs = senders.get(tid, {}).get(field(got, 'exhibit')) if isinstance(tid, str) else None
        if r is None:
            c.fail(xid, 'was received in %s, but the bag holds no record of that hand-over that reads well' % tid)
        elif theirs is None or theirs[0] != field(got, 'seq') or field(got, 'case') != r['from']['case']:
            c.fail(xid, "was received as the sender's %s (its event %s), which the sender's events.jsonl does not hold as an ingest"
                   % (field(got, 'exhibit'), field(got, 'seq')))
        elif theirs[1] != sha256:
            c.fail(xid, "is not the file the sender ingested as %s: another SHA-256" % field(got, 'exhibit'), theirs[1], sha256)
        if r is not None and (field(got, 'exhibit'), xid) not in listed[tid]:
            c.fail(xid, "the statement's record of %s does not list it" % tid)
    for tid in bag.handed:
        if tid not in records:
            c.fail(EVENTS, "this case's transfer-received event of %s is in it, but the bag holds no record of that hand-over" % tid)
    n = len(bag.custodians)
    return "%d hand-over%s (the sender's events, checkpoint and transfer statement, this case's receipt); " \
           '%d exhibit%s received' % (n, 's' * (n != 1), len(bag.received), 's' * (len(bag.received) != 1))

def check_custodian(c, bag, r):
    """One hand-over's record: the sender's events against its checkpoint, its transfer statement and this
    case's receipt against both and this bag. Returns the sender's ingests of what was received (exhibit: seq, SHA-256)."""
    folder, tid, sender = r['folder'], r['transferId'], r['from']
    at = lambda name: '%s/%s' % (folder, name)
    try:
        cp = read_checkpoint(bag, at('checkpoint.json'))
    except Refused as e:
        return c.fail(at('checkpoint.json'), str(e)) or {}
    head, key = {'size': cp['treeSize'], 'root': cp['rootHash']}, pem_key(bag.small(at('sender.pem'), 4096))
    if key is None or key[0] != sender.get('fingerprint') or key[0] != cp.get('keyFingerprint') or cp.get('case') != sender.get('case'):
        c.fail(at('sender.pem'), "is not the sender's key that checkpoint.json and the statement name, or checkpoint.json is of another case",
               [sender.get('fingerprint'), sender.get('case')], [key and key[0], cp.get('keyFingerprint'), cp.get('case')])
    wanted = {x['exhibit'] for x in r['items']} | {field(g, 'exhibit') for _, g, _ in bag.received if field(g, 'transferId') == tid}
    t = parse(bag.small(at('transfer.json'), 1 << 20))
    ingests = sender_events(c, bag, r, cp, key, wanted, field(t, 'type') == 'custody-field-transfer/v1')
    if field(t, 'type') != 'custody-field-transfer/v1' and field(r, 'files', 'rotations') is not None:
        c.fail(at('rotations.jsonl'), 'is in the record of a sealed transfer package, whose transfer.json carries its rotations: custody never puts it there')
    # A seal's transfer statement, or a field package's (custody-field-transfer/v1), whose tree head is "tree".
    tree = {'custody-transfer/v1': 'archiveTree', 'custody-field-transfer/v1': 'tree'}.get(field(t, 'type'))
    if tree is None:
        c.fail(at('transfer.json'), 'is not a transfer statement (custody-transfer/v1 or custody-field-transfer/v1)')
    else:
        for what, stated, found in (('transfer ID', tid, t.get('transferId')), ("sender's case", sender.get('case'), field(t, 'from', 'case')),
                                    ("sender's name and organisation, as it signed them", [sender.get('name'), sender.get('organisation')],
                                     [field(t, 'from', 'name'), field(t, 'from', 'organisation')]),
                                    ('receiver (to.case), against this case', bag.case, field(t, 'to', 'case')),
                                    ("tree head (%s), against the sender's checkpoint.json" % tree, head, t.get(tree)),
                                    ('release time', r.get('releasedAt'), t.get('releasedAt'))):
            if stated != found:
                c.fail(at('transfer.json'), 'its %s is not the one it must be' % what, stated, found)
        listed = {field(x, 'exhibit') for x in (t.get('items') if isinstance(t.get('items'), list) else [])}
        for x in (x['exhibit'] for x in r['items'] if x['exhibit'] not in listed):
            c.fail(at('transfer.json'), 'does not list %s, which the statement says it brought' % x)
    check_receipt(c, bag, r, cp)
    if bag.handed.get(tid) != [head, bag.files[at('receipt.json')].sha256]:
        c.fail(folder, "this case's transfer-received event of %s is not in events.jsonl, or names another tree head or receipt" % tid,
               [head, bag.files[at('receipt.json')].sha256], bag.handed.get(tid))
    return ingests

def decoded(text):
    """The bytes of a base64 text; b'' when it is not one."""
    try:
        return base64.b64decode(text, validate=True) if isinstance(text, str) else b''
    except ValueError:
        return b''

def read_rotations(c, bag, r):
    """A field record's rotations.jsonl (when the statement names one): {tree size: (line, checkpoint)}, each line
    canonical {"body", "signature"}, the body a checkpoint, in order of tree size."""
    path, found = field(r, 'files', 'rotations', 'path'), {}
    if path is None:
        return found
    for n, raw in bag.lines(path, 8 << 10):
        e = parse(raw)
        cp = parse(e['body'].encode('utf-8')) if e is not None and isinstance(e.get('body'), str) else None
        if e is None or set(e) != {'body', 'signature'} or not re.match(r'[0-9a-f]{128}\Z', str(e['signature'])) \
                or raw != (json.dumps(e, separators=(',', ':'), ensure_ascii=False, sort_keys=True) + '\n').encode('utf-8') \
                or field(cp, 'type') != 'custody-checkpoint/v1' or type(cp.get('treeSize')) is not int or cp['treeSize'] <= max(found, default=0):
            c.fail('%s line %d' % (path, n), 'is not a checkpoint as custody writes it ({"body", "signature"}, canonical, in order of tree size)')
            continue
        found[cp['treeSize']] = ('%s line %d' % (path, n), cp, e)
    return found

def sender_events(c, bag, r, cp, key, wanted, whole):
    """The sender's events.jsonl against its checkpoint, as check_events does this case's; the first must
    be of the sender's case, a key event must record sender.pem. From a field package (`whole`), every row
    of the sender's tree is there in order, each line's seq its place: an event, or a row's envelope alone
    (row_line) which must not be of a `wanted` exhibit; their leaves make the checkpoint's rootHash.
    Returns the ingests of `wanted` (exhibit: seq, SHA-256)."""
    path, ingests, last, n, recorded, tree = r['files']['events']['path'], {}, None, 0, False, Range()
    rotations, keys = read_rotations(c, bag, r) if whole else {}, []  # the sender's keys: (seq, fingerprint)
    for n, raw in bag.lines(path, EVENT_LINE):
        e = row_line(raw) if whole and 'event' not in (parse(raw) or {'event': None}) else event_line(raw)
        if isinstance(e, str):
            c.fail('%s line %d' % (path, n), e)
            continue
        at = '%s event %d' % (path, e['seq'])
        if whole:
            tree.push(bytes.fromhex(e['leafHash']))
            if e['seq'] != n - 1:
                c.fail('%s line %d' % (path, n), 'holds event %d where event %d should be: rows were removed, added or moved' % (e['seq'], n - 1))
        if 'event' in e:
            event = e['event']
            payload = event.get('payload') if isinstance(event.get('payload'), dict) else {}
            last = check_chained(c, cp, e, last, at, "the sender's checkpoint.json")
        else:  # a row's envelope alone: its public facts are what the row says in clear
            event, payload = dict(e['envelope'], action=field(e, 'envelope', 'public', 'action')), field(e, 'envelope', 'public') or {}
            if last is not None and e['prev'] != last[1]:
                c.fail(at, 'does not chain to event %d' % last[0], last[1], e['prev'])
            if event.get('exhibit') in wanted:
                c.fail(at, 'is of %s, which the record brought, yet holds its envelope alone: the event was left out' % event['exhibit'])
            last = e['seq'], e['hash']
        if event.get('seq') == 0 and (event.get('action'), payload.get('caseId')) != ('create-case', r['from']['case']):
            c.fail(at, "is not the first event of the sender's case", r['from']['case'], payload.get('caseId'))
        if 'event' in e and event.get('action') == 'ingest' and event.get('exhibit') in wanted:
            ingests[event['exhibit']] = (event.get('seq'), field(payload, 'digests', 'sha256'))
        if event.get('action') in ('key-created', 'key-rotated') and key is not None and payload.get('fingerprint') == key[0]:
            recorded = recorded or decoded(payload.get('publicKey')) == key[1]
        if whole and event.get('action') in ('key-created', 'key-rotated') and len(keys) < 1000:
            keys.append((e['seq'], payload.get('fingerprint'), payload.get('publicKey')))
        if whole and e['seq'] + 1 in rotations:
            check_rotation(c, rotations[e['seq'] + 1], tree.root().hex(), e['hash'], r['from']['case'])
    for (_, old, der), (seq, new, _) in zip(keys, keys[1:]):
        at, checkpoint, line = rotations.pop(seq + 1, (None, None, None))
        if field(checkpoint, 'keyFingerprint') != old:
            c.fail('%s event %d' % (path, seq), "rotates the sender's key to %s, and rotations.jsonl holds no checkpoint of the key "
                   'it replaces (%s) over it: nothing shows the sender made that rotation' % (new, old))
        elif UNSHOWABLE.search(line['body']) or not re.match(r'[A-Za-z0-9+/]+=*\Z', str(der)):
            c.fail(at, 'holds a checkpoint, or its key event a key, that custody never writes (a character it would not show)')
        else:  # its signature, by the replaced key, is openssl's to check
            bag.rotations.append((r['folder'], line['body'], line['signature'], der))
    for at, _, _ in rotations.values():
        c.fail(at, "vouches for no key rotation of the sender's events")
    if whole and (n, tree.root().hex(), last and last[1]) != (cp['treeSize'], cp['rootHash'], cp['lastEventHash']):
        c.fail(path, "its rows are not the tree the sender's checkpoint.json signs (their number, Merkle root or last hash): "
               'rows were removed, added or changed', [cp['treeSize'], cp['rootHash']], [n, tree.root().hex()])
    if n != r['eventCount']:
        c.fail(path, 'does not hold as many events as the statement says', r['eventCount'], n)
    if key is not None and not recorded:
        c.fail(r['files']['senderKey']['path'], "is not a key that a key event of the sender's events records")
    return ingests

def check_rotation(c, rotation, root, last, case):
    """A rotation checkpoint against the sender's rows up to it (the root and last hash they give) and its case.
    Its signature, by the key it names, the one the rotation replaced, is openssl's to check (README.txt, step 4)."""
    at, cp, _ = rotation
    if (cp.get('rootHash'), cp.get('lastEventHash'), cp.get('case')) != (root, last, case):
        c.fail(at, "signs another tree than the sender's first rows, or another case: rows were changed",
               [root, last, case], [cp.get('rootHash'), cp.get('lastEventHash'), cp.get('case')])

def check_receipt(c, bag, r, cp):
    """This case's receipt of the hand-over: for this transfer, received by this case intact, cosigning the
    sender's checkpoint (its very text), signed by receiver.pem, a key of this case; the items received as stated."""
    path, tid = r['files']['receipt']['path'], r['transferId']
    t, key = parse(bag.small(path, 1 << 20)), pem_key(bag.small(r['files']['receiverKey']['path'], 4096))
    if field(t, 'type') != 'custody-receipt/v1':
        return c.fail(path, 'is not a transfer receipt (custody-receipt/v1)')
    checkpoint = bag.small(r['files']['checkpoint']['path'], 4096).decode('utf-8', 'replace')
    for what, stated, found in (('transfer ID', tid, t.get('transferId')), ('condition', 'intact', t.get('condition')),
                                ('receiver (receivedBy.case), against this case', bag.case, field(t, 'receivedBy', 'case')),
                                ("senderCheckpoint, against the sender's checkpoint.json", checkpoint, t.get('senderCheckpoint')),
                                ('receipt time', r.get('receivedAt'), t.get('receivedAt'))):
        if stated != found:
            c.fail(path, 'its %s is not the one it must be' % what, stated, found)
    if key is None or key[1] != decoded(field(t, 'receivedBy', 'signingKey')) or bag.keys.get(key[0]) != key[1]:
        c.fail(r['files']['receiverKey']['path'], "is not the key the receipt names as its signer, or not a key of this case's key events")
    items = t.get('items') if isinstance(t.get('items'), list) else []
    for x in r['items']:
        if not any(field(i, 'exhibit') == x['exhibit'] and field(i, 'receivedAs') == x['receivedAs'] for i in items):
            c.fail(path, 'does not say %s was received as %s' % (x['exhibit'], x['receivedAs']))

def print_unchecked(bag):
    """What the standard library cannot check, and the openssl (3.0 or later) commands of README.txt that do."""
    t, fingerprint = field(bag.statement, 'timestamp'), (bag.key or 'SHA256:?')[7:]
    verify = '    openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s -sigfile %s.sig'
    print('signatures NOT CHECKED: the standard library has no Ed25519. In this folder, with OpenSSL 3,')
    print('    each must print "Signature Verified Successfully":')
    print(verify % (KEY, CHECKPOINT, CHECKPOINT) + '\n' + verify % (KEY, STATEMENT, STATEMENT))
    if field(bag.statement, 'transfer') is not None:
        print(verify % (KEY, TRANSFER, TRANSFER))
    if field(t, 'checkpoint') == STAMPED:
        print(verify % (STAMPED_KEY if field(t, 'key') == STAMPED_KEY else KEY, STAMPED, STAMPED))
    print('  and this must print %s, the fingerprint the investigator gave you by another way:' % fingerprint)
    print('    openssl pkey -pubin -in %s -outform DER | sha256sum' % KEY)
    print_custodians(bag.custodians)
    print_rotations(bag.rotations)
    tokens = field(t, 'tokens') if isinstance(field(t, 'tokens'), list) else []
    if not tokens:
        return print('timestamps none: the events are signed, not timestamped')
    stamped = STAMPED if field(t, 'checkpoint') == STAMPED else CHECKPOINT
    print('timestamps NOT CHECKED: the standard library has no RFC 3161. With the Time-Stamp Authority\'s')
    print('    root certificate, obtained yourself, as TSA-ROOT.pem, each must print "Verification: OK":')
    for i in range(min(len(tokens), 64)):
        token = stamped + ('.%d.tsr' % (i + 1) if i else '.tsr')
        print('    openssl ts -verify -data %s -in %s -CAfile TSA-ROOT.pem' % (stamped, token))

def custodian_commands():
    """The openssl commands (README.txt's) of a hand-over's record, typed in its folder: the sender's
    signatures, the receipt's, its cosignature of the sender's checkpoint, the sender's fingerprint."""
    verify = 'openssl pkeyutl -verify -pubin -inkey %s.pem -rawin -in %s -sigfile %s'
    return [verify % ('sender', 'checkpoint.json', 'checkpoint.json.sig'), verify % ('sender', 'transfer.json', 'transfer.json.sig'),
            verify % ('receiver', 'receipt.json', 'receipt.json.sig'),
            "grep -o '\"cosignature\":\"[0-9a-f]*\"' receipt.json | cut -c16-143 | xxd -r -p | "
            + verify % ('receiver', 'checkpoint.json', '/dev/stdin'),
            'openssl pkey -pubin -in sender.pem -outform DER | sha256sum']

def print_custodians(records):
    """The commands of the hand-overs' records, once, as README.txt gives them, and the folders to type them in."""
    if not records:
        return
    one = len(records) == 1
    print("  and in the folder of each hand-over's record, each openssl command must print \"Signature Verified")
    print("    Successfully\", and the last the sender's fingerprint, listed below%s:"
          % ('' if one else " (CASE/TRANSFER: each sender's case and transfer, as listed)"))
    commands = ['cd %s' % (records[0]['folder'] if one else CUSTODIANS + 'CASE/TRANSFER')] + custodian_commands() + ['cd ../../../..']
    print(''.join('    %s\n' % line for line in commands), end='')
    for r in records[:SHOWN]:
        print('    %s/%s  from %s, fingerprint %s' % (r['from']['case'], r['transferId'], r['from'].get('name'), str(r['from'].get('fingerprint'))[7:]))
    if len(records) > SHOWN:
        print('    ... and %d more: the statement names each (its "custodians")' % (len(records) - SHOWN))

def print_rotations(rotations):
    """For each field sender's key rotation (its record's rotations.jsonl), the commands that check its checkpoint
    was signed by the key it replaced (the key event's, whose fingerprint the checkpoint names)."""
    if not rotations:
        return
    print("  and for each key rotation of a sender, its checkpoint signed by the key it replaced (typed anywhere):")
    for folder, body, signature, der in rotations[:SHOWN]:
        print("    # %s/rotations.jsonl, tree size %s" % (folder, field(parse(body.encode('utf-8')), 'treeSize')))
        print("    printf '%%s' '%s' > /tmp/rotation.json" % body.replace("'", "'\\''"))
        print('    echo %s | xxd -r -p > /tmp/rotation.sig' % signature)
        print('    echo %s | base64 -d | openssl pkey -pubin -inform DER -out /tmp/replaced.pem' % der)
        print('    openssl pkeyutl -verify -pubin -inkey /tmp/replaced.pem -rawin -in /tmp/rotation.json -sigfile /tmp/rotation.sig')
    if len(rotations) > SHOWN:
        print('    ... and %d more, one a line of a rotations.jsonl' % (len(rotations) - SHOWN))

def run(bag, name, check):
    """One check and its line of the report. Whatever a hostile bag makes go wrong is a failure, never a traceback."""
    c = Check(name)
    try:
        summary = check(c, bag)
    except Refused as e:
        summary = c.fail('stopped', str(e)) or 'not finished'
    except Exception as e:  # a check that cannot finish has failed
        summary = c.fail('stopped', 'could not be checked: %r' % e) or 'not finished'
    return c.report(summary)

def main(argv):
    if argv in (['-h'], ['--help']):
        return print(__doc__) or 0
    if len(argv) > 1 or argv and argv[0].startswith('-'):
        return print('usage: python3 verify-bag.py [BAGDIR]', file=sys.stderr) or 2
    root = os.path.abspath(argv[0] if argv else '.')
    if not os.path.isfile(os.path.join(root, 'bagit.txt')):
        print('%s is not a bag: it has no bagit.txt. Run this in the bag\'s top folder, '
              'or name that folder: python3 verify-bag.py BAGDIR' % root, file=sys.stderr)
        return 2
    bag = Bag(root)
    print('Checking the bag %s with Python %d.%d (standard library only)' % ((root,) + sys.version_info[:2]))
    checks = (('bag', check_bag), ('payload', check_payload), ('tag files', check_tags), ('events', check_events),
              ('key', check_key), ('statement', check_statement), ('proofs', check_proofs), ('transfer', check_transfer),
              ('custodians', check_custodians))
    failed = [name for name, check in checks if not run(bag, name, check)]
    print_unchecked(bag)
    if failed:
        print('FAILED: %s. This bag is not as custody sealed it.' % ', '.join(failed))
        return 1
    print('All checks passed; the signatures and timestamps above remain to be checked with openssl.')
    return 0

if __name__ == '__main__':
    if hasattr(sys.stdout, 'reconfigure'):
        sys.stdout.reconfigure(errors='backslashreplace')
    sys.exit(main(sys.argv[1:]))
