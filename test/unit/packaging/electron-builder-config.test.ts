/**
 * The Linux package settings in build/electron-builder.yml that item 4 of
 * issue #15 decided (README, "Security"): the deb and rpm run our own
 * after-install/after-remove scripts (setuid chrome-sandbox, no AppArmor
 * profile) and ship no AppArmor profile. The packaging smoke test builds the
 * deb/rpm up to fpm and runs the rendered after-install for real.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { recommendedPackages } from '../../support/packaging.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
interface FpmTargetConfig { afterInstall?: string; afterRemove?: string; appArmorProfile?: string; fpm?: string[]; depends?: string[]; recommends?: string[] }
const config = parse(readFileSync(path.join(ROOT, 'build', 'electron-builder.yml'), 'utf8')) as {
  productName: string; linux: FpmTargetConfig; deb: FpmTargetConfig; rpm: FpmTargetConfig; appImage: { executableArgs?: string[] };
};
const RPM_RECOMMENDS = '--rpm-tag=Recommends: ';
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
/** The only macros electron-builder fills into these scripts here; any other `${name}` fails the deb/rpm build. */
const SCRIPT_MACROS = new Set(['executable', 'sanitizedProductName']);

for (const target of ['deb', 'rpm'] as const) {
  test(`the ${target} runs our after-install and after-remove instead of electron-builder's`, () => {
    assert.equal(config[target].afterInstall, 'build/linux/after-install.sh');
    assert.equal(config[target].afterRemove, 'build/linux/after-remove.sh');
  });

  test(`the ${target} ships no AppArmor profile`, () => {
    // electron-builder always writes linux.appArmorProfile into resources/: ours holds only comments, and fpm drops it.
    const profileFile = config[target].appArmorProfile;
    assert.ok(profileFile, 'without appArmorProfile electron-builder writes its own userns profile');
    const profile = read(profileFile);
    assert.deepEqual(profile.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')), []);
    assert.ok(config[target].fpm?.includes(`--exclude=opt/${config.productName}/resources/apparmor-profile`));
  });
}

test('the deb recommends the wizard\'s host tools by the names distro.ts gives them on Debian/Ubuntu', () => {
  assert.deepEqual(config.deb.recommends, recommendedPackages('debian'));
});

test('the rpm recommends (weak dependency) the same tools by their Fedora names, as spec tags fpm reads', () => {
  const fpm = config.rpm.fpm ?? [];
  const tags = fpm.filter((a) => a.startsWith(RPM_RECOMMENDS));
  assert.deepEqual(tags.map((a) => a.slice(RPM_RECOMMENDS.length)), recommendedPackages('fedora'));
  // fpm takes everything after its first path argument as a path, flags too.
  const firstPath = fpm.findIndex((a) => !a.startsWith('-'));
  assert.ok(tags.every((t) => firstPath === -1 || fpm.indexOf(t) < firstPath), 'every --rpm-tag comes before the first path');
});

test('the hard dependencies stay electron-builder\'s defaults (GTK, NSS, …): none of the recommended tools is required', () => {
  for (const target of ['linux', 'deb', 'rpm'] as const) assert.equal(config[target].depends, undefined, `${target}.depends`);
});

for (const script of ['build/linux/after-install.sh', 'build/linux/after-remove.sh']) {
  test(`${script} is POSIX sh (rpm runs scriptlets with /bin/sh) and uses only the macros electron-builder fills in`, () => {
    const check = spawnSync('sh', ['-n', path.join(ROOT, script)], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(check.status, 0, check.stderr);
    assert.match(read(script), /^#!\/bin\/sh\n/);
    const macros = [...read(script).matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]!);
    assert.deepEqual(macros.filter((m) => !SCRIPT_MACROS.has(m)), []);
  });
}

test('the AppImage\'s menu entry passes no --no-sandbox: its launcher adds it only where user namespaces do not work', () => {
  assert.deepEqual(config.appImage.executableArgs, []);
});
