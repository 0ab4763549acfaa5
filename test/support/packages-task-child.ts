/**
 * Runs the wizard's real `packages.install` task in a process of its own, so
 * a test can run it as an unprivileged user (PackageKit authorizes uid 0
 * without asking polkit, see packagekit-root.ts). Prints every task event as
 * one JSON line on stdout and exits 0 when the task ended done.
 *
 *   node test/support/packages-task-child.ts '<tools JSON>' [cancel-after-log-matching]
 *
 * The environment says which bus (DBUS_SYSTEM_BUS_ADDRESS) and which user to
 * become (TEROK_TEST_RUN_AS). The process starts as root and drops to that
 * user only after its whole module graph is loaded: a CI checkout may live
 * where only root can read (a 0700 temp dir), and the test user must never
 * need to read it. Everything polkit judges (the bus connection, the task)
 * happens after the drop. HOME is a temporary directory of its own, removed
 * at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../main/core/engine.ts';
import { hostContextFromProcess } from '../../main/core/host/context.ts';
import { PACKAGES_INSTALL_STEP } from '../../main/core/packages/install.ts';
import { register } from '../../main/core/packages/module.ts';

const runAs = process.env.TEROK_TEST_RUN_AS;
if (runAs) {
  process.setgroups!([runAs]); // the user's own group (named like the user) and no other
  process.setgid!(runAs);
  process.setuid!(runAs);
}

const [toolsJson, cancelOn] = process.argv.slice(2);
const home = mkdtempSync(path.join(os.tmpdir(), 'terok-pk-child-'));
const engine = new Engine(hostContextFromProcess({ home, env: { ...process.env, HOME: home } }));
register(engine, { stdinIsTty: false });
let state: string | undefined = 'failed';
try {
  const id = engine.tasks.start(PACKAGES_INSTALL_STEP, { tools: JSON.parse(toolsJson!) });
  engine.tasks.subscribe((e) => {
    if (e.taskId !== id) return;
    process.stdout.write(JSON.stringify(e) + '\n');
    if (cancelOn && e.type === 'log' && new RegExp(cancelOn).test(e.line)) engine.tasks.cancel(id);
  });
  for (const e of engine.tasks.events(id)) process.stdout.write(JSON.stringify(e) + '\n');
  state = await engine.tasks.wait(id);
} finally {
  engine.dispose();
  rmSync(home, { recursive: true, force: true });
}
process.exit(state === 'done' ? 0 : 1);
