/**
 * The terok release this wizard installs and knows, in one place.
 *
 * `terok.install` asks pipx for exactly TEROK_RELEASE.executor: the stage
 * lines, setup stamp, paths and hook layout this wizard reproduces are those
 * of that release (terok-executor 0.4.0a22, which pins terok-sandbox
 * 0.5.0a23, which pins terok-shield 0.8.0a10).
 *
 * PAYLOAD_DIGESTS: the sha256 of every hook payload file the wizard copies
 * from an installed terok-shield / terok-sandbox onto the host (those files
 * run for every container), per package version. The hooks are installed
 * only when the installed bytes match; a version without an entry cannot be
 * verified (verdict `unknown-version`, see payload-verify.ts). Record an
 * entry from the real wheels, never by hand:
 *
 *   pipx install --include-deps terok-executor==<version>   (network needed)
 *   npm exec -- node scripts/record-payload-digests.ts
 *
 * The script prints the entries of the installed terok; paste them below.
 * Recorded so far:
 *   - terok-sandbox 0.5.0a23: from git tag v0.5.0a23 of terok-ai/terok-sandbox
 *     (`git show v0.5.0a23:src/terok_sandbox/resources/…`; hatchling puts
 *     those bytes unchanged into the wheel).
 *   - terok-shield 0.8.0a10: NOT recorded — its source was not available
 *     when this table was written. Until someone runs the script against the
 *     real wheel, terok.install refuses that release's payload and
 *     sandbox.install installs it with a "not verified" note.
 */

export const TEROK_RELEASE = {
  /** What `terok.install` installs (`terok-executor==<this>`). */
  executor: '0.4.0a22',
  /** What that release brings along (its exact pins). */
  sandbox: '0.5.0a23',
  shield: '0.8.0a10',
} as const;

/** The PyPI package that brings every terok command (the others come as its dependencies). */
export const TEROK_PYPI_PACKAGE = 'terok-executor';

/** The pip requirement `terok.install` passes to pipx. */
export const TEROK_INSTALL_REQUIREMENT = `${TEROK_PYPI_PACKAGE}==${TEROK_RELEASE.executor}`;

/**
 * terok-executor releases this wizard supports: `>=0.4.0a22,<0.5`. The
 * floor is the release the wizard was written against (older 0.4.0 alphas
 * have another setup aggregator and hook layout); the ceiling is the next
 * minor, because before 1.0 terok changes stage lines, paths and the hook
 * contract in minor releases. Within the range, only the pinned release's
 * payload is verified; others get `unknown-version`.
 */
export const SUPPORTED_EXECUTOR = { atLeast: TEROK_RELEASE.executor, below: '0.5' } as const;
export const SUPPORTED_EXECUTOR_RANGE = `>=${SUPPORTED_EXECUTOR.atLeast},<${SUPPORTED_EXECUTOR.below}`;

/** The packages whose files the wizard copies onto the host as hooks. */
export type PayloadPackage = 'terok-shield' | 'terok-sandbox';
export const PAYLOAD_PACKAGES: readonly PayloadPackage[] = ['terok-shield', 'terok-sandbox'];

/** file name as the package ships it (e.g. `supervisor_hook.py`) → sha256, lowercase hex. */
export type PayloadDigests = Readonly<Record<string, string>>;
/** package → version → its payload digests. */
export type PayloadDigestTable = Readonly<Record<PayloadPackage, Readonly<Record<string, PayloadDigests>>>>;

export const PAYLOAD_DIGESTS: PayloadDigestTable = {
  'terok-shield': {
    // 0.8.0a10: not recorded yet (see the header).
  },
  'terok-sandbox': {
    '0.5.0a23': {
      'supervisor_hook.py': '865af81cd20dd82494fafcd5e4489eb19c0b1594dc57da26e9265151a00eac60',
      '_supervisor_state.py': '44ced3786d2ff866ff690b1c999a34f1474b3221f0a6fdaf1fa5a3ada5a60425',
      'supervisor_wrapper.py': '6b9e28bc3dd70211a6032d69ac5fad41c0688863a6a1d9eb23cbe9caca0fa9d3',
    },
  },
};

/** Where to report a payload that differs from its release. */
export const PACKAGE_ISSUES: Readonly<Record<PayloadPackage, string>> = {
  'terok-shield': 'https://github.com/terok-ai/terok-shield/issues',
  'terok-sandbox': 'https://github.com/terok-ai/terok-sandbox/issues',
};
