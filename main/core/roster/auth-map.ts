/**
 * Agent name → credential provider key (credentials are stored per provider).
 * Names not in the auth registry pass through unchanged, as in terok.
 */
const CREDENTIAL_PROVIDERS: Readonly<Record<string, string>> = {
  claude: 'anthropic',
  codex: 'openai',
  vibe: 'mistral',
  gh: 'github',
  glab: 'gitlab',
  sonar: 'sonarcloud',
  coderabbit: 'coderabbit',
  blablador: 'blablador',
  kisski: 'kisski',
  openrouter: 'openrouter',
};

export function credentialProviderFor(agent: string): string {
  return CREDENTIAL_PROVIDERS[agent] ?? agent;
}

/** Entries that can be authenticated (have an auth provider). */
export function authenticatableNames(): string[] {
  return Object.keys(CREDENTIAL_PROVIDERS).sort();
}

/** Every roster entry a user may prepare (bundled roster's `all_names`). */
export const KNOWN_ENTRIES: readonly string[] = [
  'claude', 'codex', 'copilot', 'opencode', 'pi', 'vibe', 'gh', 'glab', 'sonar', 'coderabbit', 'blablador', 'kisski', 'openrouter',
];
