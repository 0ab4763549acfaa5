import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allInstallCommands, allUpgradeCommands, classifyDistro, installCommand, parseOsRelease, upgradeCommand } from '../../../main/core/host/distro.ts';

test('os-release: quoted values, ID_LIKE chains and the families we give commands for', () => {
  const ubuntu = parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04 LTS"\n');
  assert.deepEqual(classifyDistro(ubuntu), { family: 'debian', name: 'Ubuntu 24.04 LTS' });
  assert.equal(classifyDistro(parseOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\n')).family, 'fedora');
  assert.equal(classifyDistro(parseOsRelease('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n')).family, 'opensuse');
  assert.equal(classifyDistro(parseOsRelease('ID=arch\n')).family, 'arch');
  assert.deepEqual(classifyDistro(parseOsRelease('ID=nixos\n')), { family: 'unknown', name: 'Linux' });
});

test('install commands name the right package per family, and nothing for an unknown one', () => {
  assert.equal(installCommand('debian', ['nft', 'dig']), 'sudo apt-get install -y nftables dnsutils');
  assert.equal(installCommand('fedora', 'dig'), 'sudo dnf install -y bind-utils');
  assert.equal(installCommand('arch', 'podman'), 'sudo pacman -S --needed --noconfirm podman');
  assert.equal(installCommand('unknown', 'podman'), null);
  assert.deepEqual(allInstallCommands('pipx').map((c) => c.command),
    ['sudo apt-get install -y pipx', 'sudo dnf install -y pipx', 'sudo zypper install -y python3-pipx', 'sudo pacman -S --needed --noconfirm python-pipx']);
  assert.deepEqual(allInstallCommands('podman').map((c) => c.label), ['Debian / Ubuntu', 'Fedora / RHEL', 'openSUSE', 'Arch Linux']);
});

test('upgrade commands upgrade the installed package per family (Arch only as a whole system), and nothing for an unknown one', () => {
  assert.equal(upgradeCommand('debian', 'podman'), 'sudo apt-get install --only-upgrade podman');
  assert.equal(upgradeCommand('fedora', 'podman'), 'sudo dnf upgrade podman');
  assert.equal(upgradeCommand('opensuse', 'ssh-keygen'), 'sudo zypper update openssh-clients');
  assert.equal(upgradeCommand('arch', 'podman'), 'sudo pacman -Syu podman');
  assert.equal(upgradeCommand('unknown', 'podman'), null);
  assert.deepEqual(allUpgradeCommands('podman').map((c) => c.label), allInstallCommands('podman').map((c) => c.label));
});
