import { withCoordinator } from '../../coord/open.js';
import type { WfsEvent } from '../../coord/types.js';
import { WfsError } from '../../core/errors.js';
import { printable } from '../../core/input.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { project, stringOption } from './shared.js';

function number(values: OptionValues, name: string, fallback: number): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,16}$/.test(text))
    throw new WfsError('E_INVALID_INPUT', `--${name} takes a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function line(event: WfsEvent): string {
  const data = Object.keys(event.data).length > 0 ? ` ${JSON.stringify(event.data)}` : '';
  return `${event.id} ${event.at} ${event.type} ${event.session ?? '-'} ${event.host}${data}`;
}

/**
 * `wfs events [--since ID] [--limit N] [--follow]`: announcements from all sessions, oldest first.
 * With --follow and --json, each event is printed as one JSON line as it comes (a stream cannot be
 * one document); without --follow, --json is one document `{events: [...]}`. With --since, the
 * oldest --limit events after it (page on from the last ID printed); without, the newest --limit.
 */
export async function events(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const ctx = project(io, values);
  const since = number(values, 'since', 0);
  const limit = number(values, 'limit', 1_000);
  if (values.follow !== true) {
    const found = await withCoordinator(ctx, (c) => c.readEvents({ since, limit }));
    if (out.json) out.document({ events: found });
    else if (found.length === 0) out.line('No events.');
    else for (const event of found) out.line(line(event));
    return 0;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await withCoordinator(ctx, (c) =>
    c.followEvents(
      since,
      (event) => io.stdout(`${out.json ? JSON.stringify(event) : printable(line(event))}\n`),
      controller.signal,
    ),
  );
  return 0;
}
