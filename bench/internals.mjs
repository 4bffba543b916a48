// The internals of a build (the backends, the fixtures' writers: not the public API) for the
// benchmarks: dist/internals.js, or, in a build from before the library was bundled (one measured
// through WFS_DIST to compare), the files tsc emitted under dist/lib.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function internalsOf(dist = path.resolve(import.meta.dirname, '..', 'dist')) {
  const at = (file) => pathToFileURL(path.join(dist, file)).href;
  if (fs.existsSync(path.join(dist, 'internals.js'))) return import(at('internals.js'));
  const [leases, location, keep, notes, session, registry, atomic] = await Promise.all(
    [
      'coord/local/leases.js',
      'coord/location.js',
      'coord/keep-lease.js',
      'core/planning-notes.js',
      'core/session.js',
      'store/registry.js',
      'store/atomic.js',
    ].map((file) => import(at(`lib/${file}`))),
  );
  return {
    ...leases,
    ...location,
    ...keep,
    ...notes,
    ...session,
    ...registry,
    ...atomic,
    loadRedisCoordinator: async () => (await import(at('lib/coord/redis/coordinator.js'))).RedisCoordinator,
  };
}
