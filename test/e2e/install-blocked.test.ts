/**
 * Before the sandbox install is certain to fail, the Sandbox page says so
 * (issue #13, item 8), in Chromium over the real handlers and real files: a
 * typo in the user's agent file (the install would stop at its first stage)
 * and a config.yml that cannot be used (the install refuses to start) each
 * show the reason with the file, disable Install, and open the file through
 * the desktop (recorded, as no desktop runs here); "Use the built-in
 * definition" really moves the broken file aside, its bytes intact. A hook
 * tree another user could write (issue #15) shows the directory and its fix
 * command to copy; the copied command, run for real, clears the block.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { resolvePaths } from '../../main/core/host/paths.ts';
import { clearRosterCache } from '../../main/core/roster/current.ts';
import { createSandboxHost } from '../support/host.ts';
import { createTerokFixture } from '../support/terok-fixture.ts';
import { closeBrowser, openWizard, rendererBuilt } from './harness.ts';

/** Poll until `check` holds (the page's request crosses the bridge asynchronously). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A YAML typo: the flow sequence on line 2 is never closed. */
const BROKEN_AGENT = 'label: My Claude\nbinary: [claude\n';

describe('an install that cannot work is said before it is started', { skip: !rendererBuilt() && 'renderer not built' }, () => {
  after(closeBrowser);

  test('a typo in a user agent file: the error with file:line:column, Open the file, Use the built-in definition', { timeout: 120_000 }, async () => {
    clearRosterCache();
    const host = createSandboxHost();
    createTerokFixture(host);
    const file = host.write(path.join(resolvePaths(host.ctx).userAgentsDir, 'claude.yaml'), BROKEN_AGENT);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      const blocked = s.page.locator('#install-blocked');
      await blocked.getByText('The install would stop at its first stage').waitFor({ timeout: 30_000 });
      const tilde = `~${file.slice(host.home.length)}`;
      assert.match(await blocked.innerText(), new RegExp(`${tilde.replace(/[.]/g, '\\.')}:\\d+:\\d+`), 'the problem names file:line:column (home as ~, as everywhere)');
      const install = s.page.getByRole('button', { name: 'Install sandbox services' });
      assert.equal(await install.isDisabled(), true, 'Install is disabled while it cannot work');
      assert.equal(await install.getAttribute('aria-describedby'), 'install-blocked', 'the button is described by the reason');

      await blocked.getByRole('button', { name: 'Open the file' }).click();
      await until(() => s.desktop.openedPaths.length > 0, 'main opened the file');
      assert.deepEqual(s.desktop.openedPaths, [file]);

      await blocked.getByRole('button', { name: 'Use the built-in definition' }).click();
      await s.page.getByText('Your file was set aside as').waitFor({ timeout: 30_000 });
      assert.equal(existsSync(file), false, 'the broken file no longer loads');
      const aside = readdirSync(path.dirname(file)).filter((n) => n.startsWith('claude.yaml.disabled-'));
      assert.equal(aside.length, 1, 'moved aside, not deleted');
      assert.equal(readFileSync(path.join(path.dirname(file), aside[0]!), 'utf8'), BROKEN_AGENT, 'its content intact');
      // The re-check after the move: nothing blocks the install any more.
      await blocked.waitFor({ state: 'detached', timeout: 30_000 });
      await until(async () => !(await install.isDisabled()), 'Install is enabled again');
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a config.yml that cannot be used: Install disabled with the reason and a way to open the file', { timeout: 60_000 }, async () => {
    clearRosterCache();
    const host = createSandboxHost();
    createTerokFixture(host);
    const config = host.write('home/.config/terok/config.yml', 'image:\n  base_image: [ubuntu\n');
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      const blocked = s.page.locator('#install-blocked');
      await blocked.getByText('The install will not start: a settings file cannot be used').waitFor({ timeout: 30_000 });
      assert.match(await blocked.innerText(), /config\.yml/);
      assert.equal(await s.page.getByRole('button', { name: 'Install sandbox services' }).isDisabled(), true);
      assert.equal(await blocked.getByRole('button', { name: 'Use the built-in definition' }).count(), 0, 'a config file is only opened, never moved');
      await blocked.getByRole('button', { name: 'Open the file' }).click();
      await until(() => s.desktop.openedPaths.length > 0, 'main opened the file');
      assert.deepEqual(s.desktop.openedPaths, [config]);
      // main opens only the files the page names.
      const other = await s.page.evaluate(async (p) => (window as unknown as { terok: { openPath(x: { path: string }): Promise<{ ok: boolean }> } }).terok.openPath({ path: p }), path.join(host.home, '.bashrc'));
      assert.equal(other.ok, false);
      assert.deepEqual(s.desktop.openedPaths, [config]);
    } finally {
      await s.close();
      host.cleanup();
    }
  });

  test('a hook tree every user can write: the directory, its fix command to copy, and Install enabled once it is fixed', { timeout: 60_000 }, async () => {
    clearRosterCache();
    const host = createSandboxHost();
    createTerokFixture(host);
    const share = path.join(host.home, '.local', 'share');
    mkdirSync(share, { recursive: true });
    chmodSync(share, 0o777);
    const s = await openWizard(host.ctx);
    try {
      await s.page.locator('nav [data-page="sandbox"]').click();
      const blocked = s.page.locator('#install-blocked');
      await blocked.getByText('another user on this computer could replace them').waitFor({ timeout: 30_000 });
      assert.match(await blocked.innerText(), /~\/\.local\/share\s*is writable by every user on this computer \(mode 0777\)/);
      const install = s.page.getByRole('button', { name: 'Install sandbox services' });
      assert.equal(await install.isDisabled(), true);

      await blocked.getByRole('button', { name: 'Copy fix command' }).click();
      await until(() => s.desktop.clipboard.length > 0, 'the command reached the clipboard');
      const command = s.desktop.clipboard[0]!;
      assert.equal(command, `chmod go-w ${share}`);
      // Run what the user would paste (our own output, through sh as a terminal would).
      const ran = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 5000 });
      assert.equal(ran.status, 0, ran.stderr);
      assert.equal(statSync(share).mode & 0o777, 0o755);

      await s.page.getByRole('button', { name: 'Check again' }).click();
      await blocked.waitFor({ state: 'detached', timeout: 30_000 });
      await until(async () => !(await install.isDisabled()), 'Install is enabled again');
    } finally {
      await s.close();
      host.cleanup();
    }
  });
});
