/**
 * The recovery-key commands of terok-sandbox's own CLI (a pipx install of
 * terok-executor always provides it). A module of its own, with no imports,
 * so the renderer's recovery-key card names the same commands as the log.
 */
export const RECOVERY_REVEAL_COMMAND = 'terok-sandbox vault passphrase reveal';
export const RECOVERY_ACK_COMMAND = 'terok-sandbox vault passphrase acknowledge';
