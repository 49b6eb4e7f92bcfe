/** Everything core code may touch in the outside world, passed in one object (composition root: cli/context.ts). */
import type { Clock } from './clock.js';
import type { Resolver } from './dns/types.js';

export interface Deps {
  resolver: Resolver;
  clock: Clock;
  /** Per DNS query / per network step, in ms. */
  timeoutMs: number;
}
