/**
 * Which agent the Credentials page signs in, and which agent each of its
 * tasks was for. The agent being prepared is wizard.settings.provider; a
 * tool chosen under Summary's "Other tools" is signed in on the same page
 * without changing it. Task views are kept per step (the latest task of a
 * step), so the page shows a task's failure only for the agent it ran for.
 */
import { SvelteMap } from 'svelte/reactivity';
import { wizard } from './wizard.svelte.ts';

class SignIn {
  /** Another tool to sign in (null: the agent being prepared). */
  other = $state<string | null>(null);
  /** taskId → agent, for the credentials tasks this page started. */
  readonly taskAgent = new SvelteMap<string, string>();

  /** The agent the Credentials page is for now. */
  get agent(): string {
    return this.other ?? wizard.settings.provider;
  }

  /** Open the Credentials page for `name`, leaving the agent being prepared as it is. */
  open(name: string): void {
    this.other = name === wizard.settings.provider ? null : name;
    wizard.goTo('credentials');
  }

  /** The agent a credentials task was for; tasks the page did not start (Fix everything's) are for the agent being prepared. */
  agentOf(taskId: string): string {
    return this.taskAgent.get(taskId) ?? wizard.settings.provider;
  }
}

export const signIn = new SignIn();
