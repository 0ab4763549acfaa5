import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../../main/cli/index.ts';
import { SSH_STEP } from '../../../main/core/auth/module.ts';
import { gateFix } from '../../support/gate.ts';
import { runCommand } from '../../../main/core/host/process.ts';
import { makeProbeEnv } from '../../../main/core/steps/probe-env.ts';
import { sshKeyStep } from '../../../main/core/steps/ssh-key.ts';
import { scopeProblem } from '../../../main/core/vault/ssh-keys.ts';
import { captureStreams, createAuthHarness } from '../../support/auth-harness.ts';

const settings = { provider: 'claude', baseImage: 'ubuntu:24.04', family: null, credentialSet: 'default', mountsDir: null };

interface KeyRow { id: number; key_type: string; private_der: Buffer; public_blob: Buffer; comment: string; fingerprint: string }

function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssh-check-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** `ssh-keygen -l -f` on the public line: OpenSSH's own parse of the blob and its fingerprint. */
async function sshKeygenFingerprint(publicLine: string): Promise<string> {
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'key.pub');
    writeFileSync(file, publicLine + '\n');
    return (await runCommand('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { timeoutMs: 10_000 })).stdout.trim();
  });
}

/** The public key a real tool derives from the stored PKCS#8 DER private key, as an OpenSSH line (no comment). */
async function derivedPublicLine(row: KeyRow): Promise<string> {
  const pem = createPrivateKey({ key: row.private_der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'key.pem');
    writeFileSync(file, pem, { mode: 0o600 });
    if (row.key_type === 'rsa') {
      // OpenSSH reads PKCS#8 RSA through libcrypto and derives the public half itself.
      return (await runCommand('ssh-keygen', ['-y', '-f', file], { timeoutMs: 10_000 })).stdout.trim();
    }
    // OpenSSH 9.2 cannot read PKCS#8 ed25519; OpenSSL derives the public key (SPKI: 12-byte prefix + 32-byte key).
    const spkiPem = (await runCommand('openssl', ['pkey', '-in', file, '-pubout'], { timeoutMs: 10_000 })).stdout;
    const raw = Buffer.from(spkiPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const key = raw.subarray(raw.length - 32);
    const len = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
    const blob = Buffer.concat([len(11), Buffer.from('ssh-ed25519'), len(32), key]);
    return `ssh-ed25519 ${blob.toString('base64')}`;
  });
}

const rowsOf = (h: ReturnType<typeof createAuthHarness>) => h.readDb((db) => db.raw.prepare('SELECT id, key_type, private_der, public_blob, comment, fingerprint FROM ssh_keys').all() as KeyRow[]);

for (const [keyType, bits, label] of [['ed25519', '256', 'ED25519'], ['rsa', '3072', 'RSA']] as const) {
  test(`ssh.generate ${keyType}: stored as terok stores it, and OpenSSH agrees on fingerprint and public key`, async () => {
    const h = createAuthHarness();
    try {
      const { outcome } = await h.runStep(SSH_STEP, { keyType });
      assert.equal(outcome.type, 'done');
      const result = (outcome as { result: Record<string, unknown> }).result;
      assert.deepEqual(Object.keys(result).sort(), ['comment', 'created', 'fingerprint', 'keyType', 'publicLine']);
      assert.equal(result.keyType, keyType);
      assert.equal(result.comment, 'tk-main:standalone');
      assert.equal(result.created, true);

      const [row, ...others] = rowsOf(h);
      assert.equal(others.length, 0);
      assert.equal(row!.key_type, keyType);
      assert.equal(row!.comment, 'tk-main:standalone');
      assert.equal(row!.fingerprint, result.fingerprint);
      assert.match(row!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/); // unpadded
      assert.equal(result.publicLine, `${keyType === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519'} ${Buffer.from(row!.public_blob).toString('base64')} tk-main:standalone`);

      assert.equal(await sshKeygenFingerprint(result.publicLine as string), `${bits} ${row!.fingerprint} tk-main:standalone (${label})`);
      const publicWithoutComment = (result.publicLine as string).split(' ').slice(0, 2).join(' ');
      assert.equal(await derivedPublicLine(row!), publicWithoutComment);

      const assigned = h.readDb((db) => db.listSshKeysForScope('standalone'));
      assert.deepEqual(assigned.map((k) => k.id), [row!.id]);
    } finally {
      h.cleanup();
    }
  });
}

test('ssh.generate is idempotent: the scope keeps its tk-main key, no new row or assignment', async () => {
  const h = createAuthHarness();
  try {
    const first = (await h.runStep(SSH_STEP, {})).outcome as { result: { fingerprint: string; publicLine: string } };
    const second = (await h.runStep(SSH_STEP, { keyType: 'rsa' })).outcome as { result: { fingerprint: string; publicLine: string; created: boolean; keyType: string } };
    assert.equal(second.result.fingerprint, first.result.fingerprint);
    assert.equal(second.result.publicLine, first.result.publicLine);
    assert.equal(second.result.created, false);
    assert.equal(second.result.keyType, 'ed25519');
    assert.equal(rowsOf(h).length, 1);
    assert.equal(h.readDb((db) => db.raw.prepare('SELECT count(*) AS n FROM ssh_key_assignments').get() as { n: number }).n, 1);
  } finally {
    h.cleanup();
  }
});

test('a key for another scope is separate; scope names follow the grammar', async () => {
  const h = createAuthHarness();
  try {
    await h.runStep(SSH_STEP, {});
    const other = (await h.runStep(SSH_STEP, { scope: 'proj-1.a_b' })).outcome as { result: { comment: string } };
    assert.equal(other.result.comment, 'tk-main:proj-1.a_b');
    assert.equal(rowsOf(h).length, 2);
  } finally {
    h.cleanup();
  }
  assert.equal(scopeProblem('standalone'), null);
  assert.match(scopeProblem('%host')!, /reserved for sandbox infrastructure/);
  assert.match(scopeProblem('-lead')!, /not a valid SSH key scope/);
  assert.match(scopeProblem('has space')!, /not a valid SSH key scope/);
  assert.match(scopeProblem('x'.repeat(65))!, /longer than 64/);
  assert.match(scopeProblem('')!, /empty/);
});

test('ssh.generate rejects bad params from the renderer without touching the DB', async () => {
  const h = createAuthHarness();
  try {
    for (const params of [{ scope: '%host' }, { scope: '../x' }, { keyType: 'dsa' }, { scope: 7 }, { extra: true }, 'standalone', [1]]) {
      const { outcome } = await h.runStep(SSH_STEP, params);
      assert.equal(outcome.type, 'failed', JSON.stringify(params));
      assert.equal((outcome as { error: { code: string } }).error.code, 'invalid-params');
    }
    assert.equal(rowsOf(h).length, 0);
  } finally {
    h.cleanup();
  }
});

test('the private key never appears in task events, results or CLI output', async () => {
  const h = createAuthHarness();
  try {
    const { events } = await h.runStep(SSH_STEP, {});
    const cli = captureStreams();
    assert.equal(await main(['ssh-key'], cli.io, h.engine), 0);
    const [row] = rowsOf(h);
    const der = Buffer.from(row!.private_der);
    const secretForms = [der.toString('base64'), der.toString('hex'), der.subarray(-32).toString('base64'), createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d!];
    const seen = JSON.stringify(events) + JSON.stringify(h.events) + cli.out() + cli.err();
    for (const s of secretForms) assert.ok(!seen.includes(s), 'private key material leaked');
    assert.ok(!/PRIVATE KEY/.test(seen));
  } finally {
    h.cleanup();
  }
});

test('after the fix the ssh probe says ok; the gate fix prints the fingerprint once and the public line', async () => {
  const h = createAuthHarness();
  try {
    const env = () => makeProbeEnv(h.host.ctx, settings);
    assert.deepEqual((await sshKeyStep.probe(env())).result, { name: 'ssh key', ok: false, message: "none registered for 'standalone'" });
    const out: string[] = [];
    const err: string[] = [];
    const ok = await gateFix(h.engine, 'ssh')(settings, { out: (l) => out.push(l), err: (l) => err.push(l), ask: async () => null });
    assert.equal(ok, true);
    assert.deepEqual(err, []);
    const [row] = rowsOf(h);
    assert.deepEqual(out, [
      `  Generated ed25519 key (fingerprint ${row!.fingerprint}).`,
      `  Public line: ssh-ed25519 ${Buffer.from(row!.public_blob).toString('base64')} tk-main:standalone`,
    ]);
    assert.equal(out.join('\n').split('SHA256:').length - 1, 1);
    assert.deepEqual((await sshKeyStep.probe(env())).result, { name: 'ssh key', ok: true, message: "1 key(s) registered for 'standalone'" });
  } finally {
    h.cleanup();
  }
});

test('the gate fix reports a failure on stderr and nothing about a key on stdout', async () => {
  const h = createAuthHarness({ vault: false });
  try {
    const out: string[] = [];
    const err: string[] = [];
    assert.equal(await gateFix(h.engine, 'ssh')(settings, { out: (l) => out.push(l), err: (l) => err.push(l), ask: async () => null }), false);
    assert.deepEqual(out, []);
    assert.equal(err.length, 1);
    assert.match(err[0]!, /^ {2}SSH key generation failed: no SQLCipher passphrase available for .*credentials\.db/);
  } finally {
    h.cleanup();
  }
});

test('a DB locked by another writer: clear message, code vault-locked, nothing stored', async () => {
  const h = createAuthHarness();
  const release = h.lockDb();
  try {
    const { outcome } = await h.runStep(SSH_STEP, {});
    assert.equal(outcome.type, 'failed');
    const error = (outcome as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'vault-locked');
    assert.match(error.message, /is locked by another process/);
    assert.match(error.message, /fuser -v /);
  } finally {
    release();
  }
  try {
    assert.equal(rowsOf(h).length, 0);
  } finally {
    h.cleanup();
  }
});

test('CLI ssh-key: prints the key, is idempotent, refuses bad scope and type', async () => {
  const h = createAuthHarness();
  try {
    const first = captureStreams();
    assert.equal(await main(['ssh-key', '--scope', 'proj', '--type', 'rsa'], first.io, h.engine), 0);
    const [row] = rowsOf(h);
    const line = `ssh-rsa ${Buffer.from(row!.public_blob).toString('base64')} tk-main:proj`;
    assert.equal(first.out(), `Generated a new SSH key for scope 'proj':\n  type:        rsa\n  fingerprint: ${row!.fingerprint}\n  comment:     tk-main:proj\nPublic key (register as a deploy key):\n${line}\n`);
    const again = captureStreams();
    assert.equal(await main(['ssh-key', '--scope', 'proj'], again.io, h.engine), 0);
    assert.match(again.out(), /^Using the existing SSH key for scope 'proj':/);
    assert.equal(rowsOf(h).length, 1);

    const bad = captureStreams();
    assert.equal(await main(['ssh-key', '--scope', '%host'], bad.io, h.engine), 2);
    assert.match(bad.err(), /reserved for sandbox infrastructure/);
    const badType = captureStreams();
    assert.equal(await main(['ssh-key', '--type', 'dsa'], badType.io, h.engine), 2);
    assert.match(badType.err(), /--type must be ed25519 or rsa/);
  } finally {
    h.cleanup();
  }
});
