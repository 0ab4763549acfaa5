/**
 * Private keys from terok's schema v0 (`private_pem`) re-encoded as the
 * unencrypted PKCS#8 DER schema v1+ stores. PKCS#1/PKCS#8/SEC1 PEM go through
 * node:crypto; the OpenSSH container (`BEGIN OPENSSH PRIVATE KEY`, which
 * node cannot read) is unpacked here for the two key types terok uses.
 */
import { createHash, createPrivateKey } from 'node:crypto';

class Reader {
  private off = 0;
  private readonly buf: Buffer;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  u32(): number {
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  bytes(): Buffer {
    const n = this.u32();
    if (this.off + n > this.buf.length) throw new Error('truncated OpenSSH key');
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  text(): string {
    return this.bytes().toString('latin1');
  }
}

const b64url = (b: Buffer) => Buffer.from(b[0] === 0 && b.length > 1 ? b.subarray(1) : b).toString('base64url');
const toBig = (b: Buffer) => BigInt('0x' + (b.toString('hex') || '0'));
const fromBig = (n: bigint) => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
};

function openSshToJwk(pem: string): Record<string, string> {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const raw = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.subarray(0, magic.length).toString('latin1') !== magic) throw new Error('not an OpenSSH private key');
  const r = new Reader(raw.subarray(magic.length));
  const cipher = r.text();
  r.text(); // kdf name
  r.bytes(); // kdf options
  if (cipher !== 'none') throw new Error('the stored SSH key is passphrase-protected; terok keys never are');
  if (r.u32() !== 1) throw new Error('OpenSSH key file holds more than one key');
  r.bytes(); // public key
  const priv = new Reader(r.bytes());
  if (priv.u32() !== priv.u32()) throw new Error('corrupt OpenSSH private key (check words differ)');
  const type = priv.text();
  if (type === 'ssh-ed25519') {
    const pub = priv.bytes();
    const secret = priv.bytes();
    return { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url'), d: secret.subarray(0, 32).toString('base64url') };
  }
  if (type === 'ssh-rsa') {
    const [n, e, d, iqmp, p, q] = [priv.bytes(), priv.bytes(), priv.bytes(), priv.bytes(), priv.bytes(), priv.bytes()];
    const D = toBig(d);
    return {
      kty: 'RSA', n: b64url(n), e: b64url(e), d: b64url(d), p: b64url(p), q: b64url(q),
      dp: b64url(fromBig(D % (toBig(p) - 1n))), dq: b64url(fromBig(D % (toBig(q) - 1n))), qi: b64url(iqmp),
    };
  }
  throw new Error(`unsupported SSH key type ${type}`);
}

/** Unencrypted PKCS#8 DER of a PEM private key (OpenSSH, PKCS#1 or PKCS#8). */
export function pemToPkcs8Der(pem: string): Buffer {
  const key = pem.includes('BEGIN OPENSSH PRIVATE KEY')
    ? createPrivateKey({ key: openSshToJwk(pem), format: 'jwk' })
    : createPrivateKey(pem);
  return key.export({ type: 'pkcs8', format: 'der' });
}

/** OpenSSH's `SHA256:<base64, no padding>` fingerprint of a wire-format public key. */
export function sshFingerprint(publicBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '');
}
