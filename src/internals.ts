/**
 * Internals for the tests and benchmarks that run in processes of their own (test/coord/worker.mjs,
 * bench/*.mjs): the backends themselves, the atomic write, the fixtures' writers. Built to
 * dist/internals.js beside the library and never published (not in package.json's `files` or
 * `exports`): the library (index.ts) is the product's one API, and nothing here is a promise to
 * its users. Tests that need no process of their own import src/ directly.
 */

export { keepLease } from './coord/keep-lease.js';
export { LocalCoordinator } from './coord/local/leases.js';
export { coordinationDir } from './coord/location.js';
export { renderPlanningNotes } from './core/planning-notes.js';
export { newSessionState } from './core/session.js';
export { writeFileAtomic } from './store/atomic.js';
export { entryFromState, fingerprintOf, serializeRegistry } from './store/registry.js';

/**
 * The Redis backend, loaded when asked for: a worker on the embedded backend does not pay for
 * ioredis, as the library's users do not.
 */
export async function loadRedisCoordinator(): Promise<
  typeof import('./coord/redis/coordinator.js').RedisCoordinator
> {
  return (await import('./coord/redis/coordinator.js')).RedisCoordinator;
}
