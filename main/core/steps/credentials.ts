/**
 * Credentials for the agent being prepared: optional — without them the agent
 * asks for a login on its first turn. The gate's fix takes an API key typed
 * at the prompt (terok's `_fix_credentials`, API-key method only: an OAuth
 * login needs a terminal and a container, which the wizard's page offers).
 */
import { hasOAuthLogin } from '../auth/oauth.ts';
import { oauthManualCommand } from '../auth/terminal.ts';
import { effectiveRoster } from '../roster/auth-map.ts';
import type { VaultProblem } from '../vault/vault-access.ts';
import { defineStep, type Probed } from './descriptor.ts';
import { closedVaultHeadline, vaultProblemStatus, vaultSnapshotOf } from './probe-env.ts';
import { vaultPrerequisite } from './vault.ts';

export interface CredentialsFacts {
  provider: string;
  credentialProvider: string;
  credentialSet: string;
  dbPath: string;
  /** How this agent signs in (null: the roster has nothing to authenticate for it). */
  auth: {
    label: string;
    modes: string[];
    /** The roster's "where to get a key" line (agent yaml `auth.api_key_hint`). */
    apiKeyHint: string | null;
    /** The sign-in command to type for this install (null: no OAuth login the app can run). */
    loginCommand: string | null;
  } | null;
  credentialType: string | null;
  /** Why the vault could not be read (null when it was). */
  vaultProblem?: VaultProblem | null;
  reason: string | null;
}

export const credentialsStep = defineStep({
  id: 'credentials',
  title: 'Credentials',
  requirement: 'optional',
  gate: 'terok-preflight',
  dependsOn: ['podman'],
  cost: 'key-derivation',
  about: "Agents sign in through terok's vault: the real key stays encrypted on this computer and containers only ever see a placeholder.",
  checkName: (s) => `${s.provider} credentials`,
  async probe(env): Promise<Probed<CredentialsFacts>> {
    const { provider, credentialSet } = env.settings;
    const name = `${provider} credentials`;
    const roster = effectiveRoster(env.paths);
    const entry = roster.authProviders.get(provider);
    const facts: CredentialsFacts = {
      provider, credentialSet, dbPath: env.paths.credentialDb,
      credentialProvider: entry?.credentialProvider ?? provider,
      auth: entry ? {
        label: entry.label, modes: [...entry.modes], apiKeyHint: roster.agents.get(provider)?.spec.auth?.api_key_hint ?? null,
        loginCommand: hasOAuthLogin(roster, provider) ? oauthManualCommand(provider, credentialSet) : null,
      } : null,
      credentialType: null, vaultProblem: null, reason: null,
    };
    const read = await vaultSnapshotOf(env);
    if (read.status === 'unavailable') {
      // terok's line, byte for byte, whatever the cause; the status and facts tell the causes apart.
      return { result: { name, ok: false, message: 'credential database unavailable' }, status: vaultProblemStatus(read.problem), facts: { ...facts, vaultProblem: read.problem, reason: read.reason } };
    }
    const stored = read.status === 'ok' ? read.value.credential : null;
    if (stored && Object.keys(stored).length > 0) {
      return { result: { name, ok: true, message: 'stored' }, status: 'ok', facts: { ...facts, credentialType: typeof stored.type === 'string' ? stored.type : 'api_key' } };
    }
    return { result: { name, ok: false, message: 'not found' }, status: 'missing', facts };
  },
  unmet: (s) => ({ stream: 'stdout', lines: [`      Without credentials, ${s.provider} will prompt for login on first turn.`] }),
  manualCommand: (s) => `terok-executor auth ${s.provider}`,
  explain({ status, facts }) {
    const details = [
      { label: 'Agent', value: facts.provider },
      { label: 'Stored as', value: facts.credentialProvider },
      { label: 'Credential set', value: facts.credentialSet },
    ];
    if (!facts.auth) return { headline: `${facts.provider} signs in through the tools it runs; there is nothing to store for it here.`, details };
    if (status === 'ok') return { headline: `A ${facts.credentialType === 'oauth' ? 'login' : 'key'} for ${facts.credentialProvider} is stored.`, details };
    if (facts.vaultProblem) return { headline: closedVaultHeadline(facts.vaultProblem, 'credentials cannot be read or stored'), details, prerequisite: vaultPrerequisite(facts.vaultProblem) };
    return { headline: `Without credentials, ${facts.provider} will prompt for login on first turn.`, details };
  },
  fix: {
    offer: (s) => `Authenticate ${s.provider} now?`,
    action: 'Store credentials',
    tasks: ['credentials.api-key', 'credentials.oauth-terminal'],
    plan(s, facts) {
      if (!facts.auth) return { unfixable: [`  ${s.provider} has nothing to authenticate.`] };
      if (!facts.auth.modes.includes('api_key')) {
        return { unfixable: [`  ${facts.auth.label} logs in with OAuth only; use the Credentials page of Terok Setup${facts.auth.loginCommand ? `, or run in a terminal: ${facts.auth.loginCommand}` : ''}`] };
      }
      return {
        ask: { kind: 'credential', agent: s.provider, label: facts.auth.label, hint: facts.auth.apiKeyHint, oauth: facts.auth.modes.includes('oauth') },
        then: (answer) => (answer.kind === 'credential' && 'apiKey' in answer
          ? [{ task: 'credentials.api-key', params: { agent: s.provider, credentialSet: s.credentialSet, apiKey: answer.apiKey } }]
          : null),
      };
    },
    terok: {
      logIndent: '  ',
      failed: (f) => ('failure' in f ? [`  ${f.failure.message}`] : []),
    },
  },
});
