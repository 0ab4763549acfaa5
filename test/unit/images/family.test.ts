import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageBuildError } from '../../../main/core/images/errors.ts';
import { knownFamily, resolveFamily, splitImageReference } from '../../../main/core/images/family.ts';

const TABLE: [string, 'deb' | 'rpm' | null][] = [
  ['ubuntu:24.04', 'deb'],
  ['ubuntu', 'deb'],
  ['debian:bookworm-slim', 'deb'],
  ['fedora:44', 'rpm'],
  ['registry.fedoraproject.org/fedora:44', 'rpm'],
  ['registry.fedoraproject.org/fedora-toolbox:44', null],
  ['quay.io/podman/stable', 'rpm'],
  ['docker.io/library/ubuntu:22.04', 'deb'],
  ['docker.io/ubuntu:22.04', 'deb'],
  ['docker.io/library/fedora', 'rpm'],
  ['ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'deb'],
  ['ubuntu:24.04@sha256:0123456789abcdef', 'deb'],
  ['nvidia/cuda:12.4.1-devel-ubuntu24.04', 'deb'],
  ['nvidia/cuda:12.4.1-devel-ubi9', 'rpm'],
  ['nvcr.io/nvidia/pytorch:24.05-py3', 'deb'],
  ['nvcr.io/nvidia/cuda:12.4.1-base-ubi8', 'rpm'],
  ['rocm/dev-ubuntu-22.04', 'deb'],
  ['rocm/dev-almalinux-8:6.1', 'rpm'],
  ['rocm/pytorch:rocm6.1_centos', 'rpm'],
  ['intel/oneapi-basekit:latest', 'deb'],
  ['intel/oneapi:2024-rockylinux9', 'rpm'],
  ['localhost:5000/ubuntu:24.04', null],
  ['registry.example.com:5000/fedora:44', null],
  ['ubuntu-custom:1', null],
  ['alpine:3.20', null],
  ['', 'rpm'],
  ['   ', 'rpm'],
];

for (const [image, family] of TABLE) {
  test(`family of '${image}' is ${family ?? 'unknown'}`, () => {
    assert.equal(knownFamily(image), family);
  });
}

test('registry ports survive the name/tag split; digests are dropped', () => {
  assert.deepEqual(splitImageReference('localhost:5000/ubuntu:24.04'), { name: 'localhost:5000/ubuntu', tag: '24.04' });
  assert.deepEqual(splitImageReference('localhost:5000/ubuntu'), { name: 'localhost:5000/ubuntu', tag: '' });
  assert.deepEqual(splitImageReference('ubuntu:24.04@sha256:abc'), { name: 'ubuntu', tag: '24.04' });
});

test('an override wins over detection', () => {
  assert.equal(resolveFamily('ubuntu:24.04', 'rpm'), 'rpm');
  assert.equal(resolveFamily('localhost:5000/ubuntu:24.04', 'deb'), 'deb');
  assert.equal(resolveFamily('fedora:44', null), 'rpm');
  assert.equal(resolveFamily('ubuntu:24.04'), 'deb');
});

test('an invalid override is rejected with terok\'s text', () => {
  assert.throws(() => resolveFamily('ubuntu:24.04', 'apk'), (err: unknown) =>
    err instanceof ImageBuildError && err.code === 'invalid-family' && err.message === "family must be 'deb' or 'rpm', got 'apk'");
});

test('an unknown base without override is a build error naming the fix', () => {
  assert.throws(() => resolveFamily('localhost:5000/ubuntu:24.04'), (err: unknown) =>
    err instanceof ImageBuildError && err.code === 'unknown-family' &&
    err.message === "Cannot infer package family for base image 'localhost:5000/ubuntu:24.04'. Set `family: deb` or `family: rpm` under image: in project.yml." &&
    /--family deb\|rpm/.test(err.hint ?? ''));
});
