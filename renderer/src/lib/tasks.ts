/** Task step names the engine may offer; a page shows its button only when the engine has the step. */
export const TASK_STEPS = {
  sandboxInstall: 'sandbox.install',
  imagesBuild: 'images.build',
  sshGenerate: 'ssh.generate',
  credentialsApiKey: 'credentials.api-key',
  credentialsOauthTerminal: 'credentials.oauth-terminal',
  sandboxUninstall: 'sandbox.uninstall',
  acknowledgeRecovery: 'vault.acknowledge-recovery',
  terokInstall: 'terok.install',
} as const;
