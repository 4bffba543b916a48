import { withCoordinator } from '../../coord/open.js';
import type { WfsEvent } from '../../coord/types.js';
import { ExitCode } from '../../core/errors.js';
import { printable } from '../../core/input.js';
import { readAnnouncements } from '../../session/shared-work.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { numberOption, project } from './shared.js';

function line(event: WfsEvent): string {
  const data = Object.keys(event.data).length > 0 ? ` ${JSON.stringify(event.data)}` : '';
  const where = event.workspace ? ` (${event.workspace.name})` : '';
  return `${event.id} ${event.at} ${event.type} ${event.session ?? '-'}${where} ${event.host}${data}`;
}

/**
 * `wfs events [--since ID] [--limit N] [--follow]`: announcements from all sessions, oldest first.
 * With --follow and --json, each event is printed as one JSON line as it comes (a stream cannot be
 * one document); without --follow, --json is one document `{events: [...]}`. With --since, the
 * oldest --limit events after it (page on from the last ID printed); without, the newest --limit.
 * --follow prints the newest --limit, then each new event as it comes; with --since, every event
 * after it, then the new ones.
 */
export async function events(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const ctx = project(io, values);
  const since = numberOption(values, 'since', 0);
  const limit = numberOption(values, 'limit', 1_000);
  if (values.follow !== true) {
    const found = await readAnnouncements(ctx, { since, limit });
    if (out.json) out.document({ events: found });
    else if (found.length === 0) out.line('No events.');
    else for (const event of found) out.line(line(event));
    return ExitCode.ok;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const print = (event: WfsEvent) =>
    io.stdout(`${out.json ? JSON.stringify(event) : printable(line(event))}\n`);
  await withCoordinator(ctx, async (c) => {
    // From --since: everything after it, so a reader that resumes misses nothing. Without it: the
    // newest --limit first (never the whole backlog), then live from the last one printed.
    let from = since;
    if (typeof values.since !== 'number') {
      const backlog = await c.readEvents({ limit });
      for (const event of backlog) print(event);
      from = backlog.at(-1)?.id ?? 0;
    }
    await c.followEvents(from, print, controller.signal);
  });
  return ExitCode.ok;
}
