/**
 * The generic step page (StepPage.svelte) in Chromium: everything on it comes
 * from the step's report — the explanation headline, details, copyable
 * commands, the fix button named by the descriptor's fix.action and the live
 * log of the fix's task — and the sidebar mark follows the step's state.
 *
 * Hosts are sandboxed; keyctl is disabled wherever the vault is read, so the
 * kernel-keyring tier only sees the sandbox's session file. Set
 * STEP_PAGE_SCREENSHOTS=<dir> to also save light-mode screenshots of the Git,
 * Vault (locked) and SSH key pages there (as step-<name>-light.png).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { l1AliasTag } from '../../main/core/images/tags.ts';
import { FIX_STEP } from '../../main/core/steps/fix-all.ts';
import { reportOf, type ReadinessReport } from '../../main/core/steps/readiness.ts';
import type { StepImpl } from '../../main/core/tasks/task-manager.ts';
import { sessionDigest } from '../../main/core/vault/passphrase.ts';
import { buildTinyImage, createVaultFixture, removeImages } from '../support/fixtures.ts';
import { createSandboxHost, type SandboxHost } from '../support/host.ts';
import { failingKeyctl } from '../support/sandbox-install.ts';
import { closeBrowser, openWizard, rendererBuilt, type WizardSession } from './harness.ts';

const SHOTS = process.env.STEP_PAGE_SCREENSHOTS;
const BASE = `localhost/terok-steppage-${randomBytes(4).toString('hex')}:1`;
const ALIAS = l1AliasTag(BASE);

const mark = (page: Page, id: string) => page.locator(`nav [data-page="${id}"] [role="img"]`);
const waitForMark = (page: Page, id: string, label: string, timeout = 30_000) =>
  page.locator(`nav [data-page="${id}"] [role="img"][aria-label="${label}"]`).waitFor({ timeout });
/** The explanation's notice on the current page (StepPage renders exactly one). */
const notice = (page: Page) => page.locator('section.page .body .notice');
const text = async (page: Page, selector: ReturnType<Page['locator']>) => ((await selector.textContent()) ?? '').trim();

async function sweep(s: WizardSession): Promise<ReadinessReport> {
  return s.engine.sweep(s.engine.defaultSettings());
}

async function shot(s: WizardSession, name: string): Promise<void> {
  if (!SHOTS) return;
  await s.page.waitForTimeout(150);
  await s.page.screenshot({ path: path.join(SHOTS, `step-${name}-light.png`) });
}

/** A podman on PATH that is the real one, for hosts whose PATH holds nothing else. */
const realPodman = (host: SandboxHost) => host.writeBin('podman', '#!/bin/sh\nexec /usr/bin/podman "$@"\n');

function withConfig(host: SandboxHost): SandboxHost {
  host.write('home/.config/terok/config.yml', `image:\n  base_image: ${BASE}\n`);
  return host;
}

describe('the generic step page', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(async () => { await removeImages([ALIAS]); await closeBrowser(); });

  test('Git missing: the Git page shows the report\'s headline, the copyable install command and a neutral "not set up yet" mark', async () => {
    // Only the sandbox's bin on PATH: podman (the real one) but no git.
    const host = createSandboxHost({ inheritPath: false });
    realPodman(host);
    const s = await openWizard(host.ctx);
    try {
      await waitForMark(s.page, 'git', 'not set up yet');
      const git = reportOf(await sweep(s), 'git')!;
      assert.equal(git.status, 'missing');
      assert.equal(git.state, 'todo');
      const install = git.explanation.commands?.[0];
      assert.ok(install, 'the report has an install command for this distribution');

      await s.page.locator('nav [data-page="git"]').click();
      await s.page.getByRole('heading', { name: 'Git' }).waitFor();
      assert.equal(await text(s.page, s.page.getByTestId('page-status')), `${git.result.name}: ${git.explanation.summary ?? git.result.message}`);
      assert.equal(await notice(s.page).count(), 1);
      assert.equal(await text(s.page, notice(s.page)), git.explanation.headline);
      assert.equal(await text(s.page, s.page.getByLabel(install.label, { exact: true })), install.command);
      const copy = s.page.getByRole('button', { name: `Copy ${install.label.toLowerCase()}` });
      await copy.click();
      await copy.filter({ hasText: 'Copied' }).waitFor();
      assert.deepEqual(s.desktop.clipboard, [install.command]);
      // Git has no fix: the copy button is the body's only button.
      assert.equal(await s.page.locator('section.page .body button').count(), 1);
      assert.equal(await mark(s.page, 'git').getAttribute('aria-label'), 'not set up yet');
      await shot(s, 'git');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('the Vault page follows the vault\'s status: locked shows the unlock command, unlocked shows the unlocked headline', async () => {
    const locked = createSandboxHost();
    failingKeyctl(locked);
    createVaultFixture(locked);
    // The DB stays, its passphrase goes: no tier holds it any more (as after a reboot on kernel-keyring).
    const paths = resolvePaths(locked.ctx);
    rmSync(path.join(paths.vaultSessionDir, sessionDigest(paths.credentialDb)));
    const unlocked = createSandboxHost();
    failingKeyctl(unlocked);
    createVaultFixture(unlocked);
    const sessions: WizardSession[] = [];
    try {
      const s = await openWizard(locked.ctx);
      sessions.push(s);
      // Locked is not "skipped" (the user skipped nothing): a warning mark.
      await waitForMark(s.page, 'vault', 'warning');
      const vault = reportOf(await sweep(s), 'vault')!;
      assert.equal(vault.status, 'locked');
      assert.equal(vault.state, 'warning');
      await s.page.locator('nav [data-page="vault"]').click();
      await s.page.getByRole('heading', { name: 'Vault' }).waitFor();
      assert.equal(await text(s.page, s.page.getByTestId('page-status')), 'vault: locked');
      assert.equal(await text(s.page, notice(s.page)), vault.explanation.headline);
      assert.match(vault.explanation.headline, /^The vault is locked/);
      assert.equal(await text(s.page, s.page.getByLabel('Or unlock it in a terminal', { exact: true })), 'terok-sandbox vault unlock');
      // Shown under ~ (the report's fact keeps the real path).
      await s.page.getByText(paths.credentialDb.replace(locked.home, '~'), { exact: true }).waitFor();
      await shot(s, 'vault');

      const u = await openWizard(unlocked.ctx);
      sessions.push(u);
      await waitForMark(u.page, 'vault', 'ok');
      const open = reportOf(await sweep(u), 'vault')!;
      assert.equal(open.status, 'ok');
      await u.page.locator('nav [data-page="vault"]').click();
      await u.page.getByRole('heading', { name: 'Vault' }).waitFor();
      assert.equal(await text(u.page, u.page.getByTestId('page-status')), 'vault: unlocked (kernel-keyring)');
      assert.equal(await text(u.page, notice(u.page)), 'The vault is unlocked.');
      assert.equal(await text(u.page, notice(u.page)), open.explanation.headline);
      assert.equal(await u.page.getByLabel('Or unlock it in a terminal', { exact: true }).count(), 0, 'no unlock command on an open vault');
      assert.equal(await u.page.getByRole('region', { name: 'Unlock with your recovery key' }).count(), 0, 'no unlock form on an open vault');
    } finally {
      for (const s of sessions) await s.close();
      locked.cleanup();
      unlocked.cleanup();
    }
  });

  test('Podman missing: the Images page says podman has to work first, and offers no fix', async () => {
    const host = withConfig(createSandboxHost({ inheritPath: false }));
    const s = await openWizard(host.ctx);
    try {
      await waitForMark(s.page, 'images', 'blocked');
      assert.equal(reportOf(await sweep(s), 'images')!.state, 'blocked');
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByRole('heading', { name: 'Container images' }).waitFor();
      await s.page.getByText('Podman has to work before this can be checked').waitFor();
      assert.equal(await s.page.getByRole('button', { name: 'Build images' }).count(), 0);
      assert.equal(await notice(s.page).count(), 0, 'no explanation of a step that could not be checked');
      assert.equal(await s.page.locator('section.page .body button').count(), 0, 'nothing to press in the body');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('SSH key: "Generate SSH key" runs the real ssh.generate through setup.fix, then shows the public line and an ok mark', async () => {
    const host = createSandboxHost();
    failingKeyctl(host);
    createVaultFixture(host); // an open vault without keys
    const s = await openWizard(host.ctx);
    try {
      await waitForMark(s.page, 'ssh', 'not set up yet');
      await s.page.locator('nav [data-page="ssh"]').click();
      await s.page.getByRole('heading', { name: 'SSH key' }).waitFor();
      assert.equal(await text(s.page, s.page.getByTestId('page-status')), "ssh key: none registered for 'standalone'");
      await s.page.getByRole('button', { name: 'Generate SSH key' }).click();
      await waitForMark(s.page, 'ssh', 'ok');

      const starts = s.requests.filter((r) => r.channel === 'task:start').map((r) => r.payload as { step: string; params: { step?: string } });
      assert.equal(starts.length, 1);
      assert.equal(starts[0]!.step, FIX_STEP);
      assert.equal(starts[0]!.params.step, 'ssh');
      assert.deepEqual(s.engine.tasks.list().map((t) => [t.step, t.state]), [[FIX_STEP, 'done'], ['ssh.generate', 'done']]);

      const ssh = reportOf(await sweep(s), 'ssh')!;
      assert.equal(ssh.status, 'ok');
      assert.equal(ssh.facts.keys.length, 1);
      const line = ssh.facts.keys[0]!.publicLine;
      assert.match(line, /^ssh-ed25519 [A-Za-z0-9+/]+=* \S+$/);
      const box = s.page.getByLabel('Public key line (ed25519)', { exact: true });
      await box.waitFor();
      assert.equal(await text(s.page, box), line);
      assert.equal(await s.page.getByRole('button', { name: 'Generate SSH key' }).count(), 0, 'no fix button once met');
      const copy = s.page.getByRole('button', { name: 'Copy public key line (ed25519)' });
      await copy.click();
      await copy.filter({ hasText: 'Copied' }).waitFor();
      assert.deepEqual(s.desktop.clipboard, [line]);
      await shot(s, 'ssh');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('while a fix runs the sidebar marks its step "being set up", then ok', { timeout: 120_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const held: StepImpl = async (_params, task) => {
      started();
      task.log('waiting for the test', 'info');
      await gate;
      await buildTinyImage([ALIAS]);
      return { alias: ALIAS, cached: false };
    };
    const host = withConfig(createSandboxHost());
    const s = await openWizard(host.ctx, { steps: { 'images.build': held } });
    try {
      await waitForMark(s.page, 'images', 'not set up yet');
      await s.page.locator('nav [data-page="images"]').click();
      await s.page.getByRole('button', { name: 'Build images' }).click();
      await running;
      await waitForMark(s.page, 'images', 'being set up');
      assert.equal(await s.page.getByRole('button', { name: 'Build images' }).isDisabled(), true, 'the fix button is disabled while it runs');
      await s.page.getByText('waiting for the test').waitFor();
      release();
      await waitForMark(s.page, 'images', 'ok', 60_000);
      assert.equal(reportOf(await sweep(s), 'images')!.status, 'ok');
    } finally {
      release();
      await s.close();
      host.cleanup();
    }
  });
});
