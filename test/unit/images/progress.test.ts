/**
 * The two build counters a user sees — the current image's "n/m steps done"
 * and the overall "done of total" — count the same thing, so they agree at
 * every marker (the old label said "L0 step 2/12" beside an overall 1/41).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildProgressTracker, progressLabel, type BuildProgress } from '../../../main/core/images/progress.ts';

const stepsDone = (p: BuildProgress): number => Number(/^L\S* (?:sidecar )?(\d+)\/(\d+) steps done/.exec(progressLabel(p))![1]);

test('the per-image label and the overall count agree at every step marker, across images', () => {
  const tracker = new BuildProgressTracker([{ image: 'L0', tag: 'l0', estimatedSteps: 12 }, { image: 'L1', tag: 'l1', estimatedSteps: 29 }], () => 0);
  const seen: BuildProgress[] = [tracker.begin('L0')];
  for (let i = 1; i <= 12; i++) seen.push(tracker.line(`STEP ${i}/12: RUN step${i}`)!);
  seen.push(tracker.finish(), tracker.begin('L1'));
  for (let i = 1; i <= 29; i++) seen.push(tracker.line(`STEP ${i}/29: RUN layer${i}`)!);
  seen.push(tracker.finish());
  for (const p of seen) {
    const before = p.image === 'L1' ? 12 : 0;
    assert.equal(stepsDone(p), p.overallDone - before, progressLabel(p));
    assert.equal(p.overallTotal, 41);
  }
  // The marker of step 2 means one step is done: both say 1.
  const second = seen[2]!;
  assert.equal(progressLabel(second), 'L0 1/12 steps done · RUN step2');
  assert.equal(second.overallDone, 1);
  assert.equal(progressLabel(seen.at(-1)!), 'L1 29/29 steps done · RUN layer29');
});

test('the label carries no clock (a label is sent per marker; a clock in it would stand still between markers)', () => {
  let now = 0;
  const tracker = new BuildProgressTracker([{ image: 'L0', tag: 'l0', estimatedSteps: 2 }], () => now);
  tracker.begin('L0');
  now = 95_000;
  const p = tracker.line('STEP 2/2: RUN sleep 90')!;
  assert.equal(progressLabel(p), 'L0 1/2 steps done · RUN sleep 90');
  assert.doesNotMatch(progressLabel(p), /\d+:\d\d/);
});
