/**
 * Turns podman's build output into progress: `STEP n/m: <instruction>` lines
 * mark the start of step n of m. Progress is reported per image and overall
 * (L0 steps + L1 steps, or L0 + sidecar steps), with the time since the
 * build started. Both counters count finished steps.
 */
export interface StepMarker {
  step: number;
  steps: number;
  instruction: string;
}

const STEP_MARKER = /^(?:\[\d+\/\d+\]\s+)?STEP (\d+)\/(\d+): ?(.*)$/;

export function parseStepMarker(line: string): StepMarker | null {
  const m = STEP_MARKER.exec(line);
  if (!m) return null;
  return { step: Number(m[1]), steps: Number(m[2]), instruction: m[3] ?? '' };
}

/**
 * Instructions podman will number as steps: every instruction after the first
 * FROM (ARGs before it are not steps). Used as the estimate for an image whose
 * build has not printed its first marker yet.
 */
export function countBuildSteps(dockerfile: string): number {
  const logical = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  let seenFrom = false;
  let count = 0;
  for (const raw of logical) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const keyword = line.split(/\s+/, 1)[0]!.toUpperCase();
    if (keyword === 'FROM') seenFrom = true;
    if (seenFrom) count++;
  }
  return count;
}

export type ImageLayer = 'L0' | 'L1' | 'L1 sidecar';

export interface BuildProgress {
  image: ImageLayer;
  tag: string;
  /** Steps of this image finished (a step counts once the next one starts). */
  step: number;
  steps: number;
  instruction: string;
  /** Across all images of this build. */
  overallDone: number;
  overallTotal: number;
  elapsedMs: number;
}

interface ImagePlan {
  image: ImageLayer;
  tag: string;
  steps: number;
  done: number;
}

/** Follows one multi-image build; feed it lines, it reports progress changes. */
export class BuildProgressTracker {
  private readonly plans: ImagePlan[];
  private readonly startedAt: number;
  private readonly now: () => number;
  private current = 0;
  private lastInstruction = '';
  lastMarker: StepMarker | null = null;

  constructor(plans: { image: ImageLayer; tag: string; estimatedSteps: number }[], now: () => number = Date.now) {
    this.plans = plans.map((p) => ({ image: p.image, tag: p.tag, steps: p.estimatedSteps, done: 0 }));
    this.now = now;
    this.startedAt = now();
  }

  get elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /** Marks the start of the given image (the tracker may be driven image by image). */
  begin(image: ImageLayer): BuildProgress {
    this.current = Math.max(0, this.plans.findIndex((p) => p.image === image));
    this.lastMarker = null;
    this.lastInstruction = '';
    return this.snapshot();
  }

  /** Returns new progress when the line is a step marker, else null. */
  line(text: string): BuildProgress | null {
    const marker = parseStepMarker(text);
    if (!marker) return null;
    const plan = this.plans[this.current]!;
    plan.steps = marker.steps;
    plan.done = Math.max(plan.done, marker.step - 1);
    this.lastMarker = marker;
    this.lastInstruction = marker.instruction;
    return this.snapshot();
  }

  /** The current image finished successfully. */
  finish(): BuildProgress {
    const plan = this.plans[this.current]!;
    plan.done = plan.steps;
    return this.snapshot();
  }

  snapshot(): BuildProgress {
    const plan = this.plans[this.current]!;
    return {
      image: plan.image,
      tag: plan.tag,
      step: plan.done,
      steps: plan.steps,
      instruction: this.lastInstruction,
      overallDone: this.plans.reduce((n, p) => n + p.done, 0),
      overallTotal: this.plans.reduce((n, p) => n + p.steps, 0),
      elapsedMs: this.elapsedMs,
    };
  }
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * One-line progress label, e.g. `L1 4/9 steps done · RUN npm install -g …`.
 * It counts what the task's progress counts (steps finished), so beside the
 * overall `done/total` the two agree; no clock in it — a label is sent only
 * when a step starts, and the task view keeps its own running time.
 */
export function progressLabel(p: BuildProgress): string {
  const instruction = p.instruction.length > 60 ? p.instruction.slice(0, 59) + '…' : p.instruction;
  return [`${p.image} ${p.step}/${p.steps} steps done`, instruction].filter(Boolean).join(' · ');
}
