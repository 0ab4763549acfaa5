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
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

const KEY = 'sk-ant-e2e-0123456789abcdef';

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
});
