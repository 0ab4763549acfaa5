/**
 * Storing an API key from the Credentials page: the key crosses to main once,
 * lands in the real SQLCipher DB, and appears nowhere else — not in the page,
 * not in task events, not in any other request.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { CredentialDb } from '../../main/core/vault/credential-db.ts';
import { createSandboxHost } from '../support/host.ts';
import { createVaultFixture, FIXTURE_PASSPHRASE } from '../support/fixtures.ts';
import { findTerminal } from '../../main/core/auth/terminal.ts';
import { closeBrowser, openWizard, rendererBuilt, type WizardSession } from './harness.ts';

const KEY = 'sk-ant-e2e-0123456789abcdef';
const GH_TOKEN = 'ghp_e2eFixtureToken0123456789abcdefABCD';

/** Choose the agent being prepared on Welcome, as a user does. */
async function prepare(s: WizardSession, agent: string): Promise<void> {
  await s.page.locator('nav [data-page="welcome"]').click();
  // The agent setting sits under Welcome's "Advanced" disclosure.
  const advanced = s.page.getByTestId('advanced');
  if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await advanced.locator('> summary').click();
  await s.page.getByLabel('Agent to prepare').selectOption(agent);
  await s.page.getByRole('button', { name: 'Apply and check' }).click();
}

describe('credentials page', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await closeBrowser(); });

  test('an API key is stored once and never echoed back', async () => {
    const host = createSandboxHost();
    createVaultFixture(host);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: not found' }).waitFor();
      await s.page.getByLabel('API key').fill(`  ${KEY}\n`);
      await s.page.getByRole('button', { name: 'Store key' }).click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: stored' }).waitFor();
      assert.equal(await s.page.getByLabel('API key').count(), 0, 'the form is gone once stored');

      const db = CredentialDb.openReadOnly(resolvePaths(host.ctx).credentialDb, FIXTURE_PASSPHRASE);
      assert.deepEqual(db.loadCredential('default', 'anthropic'), { type: 'api_key', key: KEY });
      db.close();

      const carrying = s.requests.filter((r) => JSON.stringify(r.payload).includes(KEY));
      assert.deepEqual(carrying.map((r) => r.channel), ['task:start'], 'the key crossed exactly once');
      const events = s.engine.tasks.list().flatMap((t) => s.engine.tasks.events(t.id));
      assert.ok(!JSON.stringify(events).includes(KEY), 'not in task events');
      assert.ok(!(await s.page.content()).includes(KEY), 'not in the page');
    } finally {
      await s.close();
      host.cleanup();
    }
  });
  test('the page shows each agent its own task state: claude\'s failed terminal and command are not shown for gh', { skip: findTerminal({ env: process.env }) ? 'a terminal emulator is on PATH here' : false }, async () => {
    const host = createSandboxHost();
    createVaultFixture(host);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: not found' }).waitFor();
      await s.page.getByRole('button', { name: 'Open a terminal window instead' }).click();
      const noTerminal = s.page.getByText('No terminal window could be opened here');
      await noTerminal.waitFor();
      const command = s.page.getByLabel('Sign-in command', { exact: true });
      assert.equal(await command.textContent(), 'npm run cli -- auth claude --oauth --credential-set default');

      await prepare(s, 'gh');
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'gh credentials: not found' }).waitFor();
      assert.equal(await noTerminal.count(), 0, "claude's failure is not gh's");
      assert.equal(await command.textContent(), 'npm run cli -- auth gh --oauth --credential-set default');
      assert.ok(!(await s.page.content()).includes('auth claude'), 'no command that signs in claude');

      // Back on claude, its own failure is still its own.
      await prepare(s, 'claude');
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: not found' }).waitFor();
      await noTerminal.waitFor();
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('"Other tools" on Summary signs another tool in without changing the agent being prepared', async () => {
    const host = createSandboxHost();
    createVaultFixture(host);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="summary"]').click();
      await s.page.getByRole('button', { name: 'gh', exact: true }).click();
      await s.page.getByText('Signing in gh. The agent being prepared stays claude.').waitFor();
      await s.page.getByTestId('page-status').filter({ hasText: 'gh credentials: not found' }).waitFor();
      await s.page.getByText('Create a token at https://github.com/settings/tokens').waitFor();
      await s.page.getByLabel('API key for').fill(GH_TOKEN);
      await s.page.getByRole('button', { name: 'Store key' }).click();
      await s.page.getByTestId('page-status').filter({ hasText: 'gh credentials: stored' }).waitFor();
      const db = CredentialDb.openReadOnly(resolvePaths(host.ctx).credentialDb, FIXTURE_PASSPHRASE);
      try {
        assert.deepEqual(db.loadCredential('default', 'github'), { type: 'api_key', key: GH_TOKEN });
        assert.equal(db.loadCredential('default', 'anthropic'), null);
      } finally { db.close(); }

      // The wizard still prepares claude: its checks, its Credentials page, its Summary.
      const task = s.requests.find((r) => r.channel === 'task:start' && JSON.stringify(r.payload).includes(GH_TOKEN));
      assert.equal((task?.payload as { params: { agent: string } }).params.agent, 'gh');
      await s.page.locator('nav [data-page="summary"]').click();
      await s.page.getByRole('button', { name: 'gh', exact: true }).waitFor();
      assert.equal(await s.page.getByRole('button', { name: 'claude', exact: true }).count(), 0, 'claude is still the agent being prepared, not an "other tool"');
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: not found' }).waitFor();
      assert.equal(await s.page.getByText('Signing in gh').count(), 0);
      // The wizard's own check still asks about claude.
      const before = s.requests.length;
      await s.page.getByRole('button', { name: 'Check again' }).click();
      await s.page.getByRole('button', { name: 'Check again' }).and(s.page.locator(':enabled')).waitFor();
      const sweeps = s.requests.slice(before).filter((r) => r.channel === 'probe:sweep').map((r) => (r.payload as { settings: { provider: string } }).settings.provider);
      assert.deepEqual(sweeps, ['claude']);
    } finally {
      await s.close();
      host.cleanup();
    }
  });
  test('a refused API key: the error is beside the field and tied to it, the field keeps what was typed, the roster\'s hint says where to get a key', async () => {
    const host = createSandboxHost();
    createVaultFixture(host);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="credentials"]').click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: not found' }).waitFor();
      const field = s.page.getByLabel('API key for Claude Code');
      // The hint from the bundled roster (agents/claude.yaml auth.api_key_hint), tied to the field.
      const hint = s.page.locator('#apikey-hint');
      assert.equal(await hint.textContent(), 'Create a key at https://console.anthropic.com/settings/keys');
      assert.equal(await field.getAttribute('aria-describedby'), 'apikey-hint');
      await field.fill('sk-ant-two words');
      await s.page.getByRole('button', { name: 'Store key' }).click();
      const error = s.page.locator('#apikey-error');
      await error.waitFor();
      assert.match((await error.textContent()) ?? '', /contains spaces, line breaks or control characters/);
      assert.equal(await field.getAttribute('aria-describedby'), 'apikey-hint apikey-error');
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.equal(await field.inputValue(), 'sk-ant-two words', 'nothing typed is lost');
      // Beside the field: the error is the next thing under the input row, above the hint.
      const [fieldBox, errorBox, hintBox] = await Promise.all([field.boundingBox(), error.boundingBox(), hint.boundingBox()]);
      assert.ok(errorBox!.y > fieldBox!.y && errorBox!.y - (fieldBox!.y + fieldBox!.height) < 24, 'the error sits right under the field');
      assert.ok(hintBox!.y > errorBox!.y);
      // Fixed and stored: the error goes, and the key leaves the page.
      await field.fill(KEY);
      await s.page.getByRole('button', { name: 'Store key' }).click();
      await s.page.getByTestId('page-status').filter({ hasText: 'claude credentials: stored' }).waitFor();
      assert.equal(await error.count(), 0);
    } finally {
      await s.close();
      host.cleanup();
    }
  });

});
