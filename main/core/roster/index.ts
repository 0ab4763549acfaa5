/** The roster module's public API: what the engine, IPC handlers and other modules use. */
export { authenticatableNames, credentialProviderFor, effectiveRoster, findAgent, findAuthProvider, knownEntries } from './auth-map.ts';
export { bundledRoster, clearRosterCache, currentRoster, type RosterState } from './current.ts';
export { formatProblem, RosterError, RosterLookupError, type RosterProblem } from './errors.ts';
export { BUNDLED_ROSTER_DIR, loadRoster, rosterDirsOf, type RosterDirs } from './load.ts';
export type { AgentEntry, AuthProvider, Mount, ProviderEntry, Roster, VaultRoute, WireAuth } from './model.ts';
export { renderRoutesJson, RoutesWriteError, writeRoutesJson } from './routes.ts';
export { parseSelection, resolveSelection, type Selection } from './selection.ts';
export { ensureVaultRoutes, regenerateVaultRoutes, stageRunnerFor, VAULT_ROUTES_STAGE, vaultRoutesStep, type StageRunner, type VaultRoutesResult } from './vault-routes.ts';
export { rosterView, viewOf, type RosterView, type RosterViewEntry, type RosterViewProblem, type RosterViewProvider } from './view.ts';
