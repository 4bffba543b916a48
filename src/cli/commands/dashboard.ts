import fs from 'node:fs';
import { ExitCode } from '../../core/errors.js';
import { openBrowser } from '../../dashboard/browser.js';
import { startDashboard } from '../../dashboard/server.js';
import type { OptionValues } from '../args.js';
import type { CliIo, Output } from '../io.js';
import { numberOption, project, stringOption } from './shared.js';

/**
 * `wfs dashboard [--port N] [--host H] [--no-open]`: serves the project's live page until
 * interrupted. Prints the URL (with its token) first, then what it did about the browser.
 */
export async function dashboard(io: CliIo, out: Output, values: OptionValues): Promise<number> {
  const ctx = project(io, values);
  const host = stringOption(values, 'host');
  const port = numberOption(values, 'port', 0);
  const served = await startDashboard(ctx, {
    ...(host === undefined ? {} : { host }),
    ...(port === 0 ? {} : { port }),
  });
  if (served.exposed)
    out.warn(
      `Serving on ${served.host}, which other machines may reach: anyone with the URL (its token) can see the sessions and act on them. Use it only on a network you trust.`,
    );
  if (!fs.existsSync(ctx.layout.workflowDir))
    out.warn(
      `${ctx.layout.root} has no .workflow/ folder: the page has nothing to show until a session is started there. Is this the project's folder? (or pass --root DIR)`,
    );
  const browser =
    values['no-open'] === true
      ? { opened: false, how: 'not opened (--no-open)' }
      : await openBrowser(served.url, io.env);
  if (out.json)
    out.document({
      url: served.url,
      host: served.host,
      port: served.port,
      root: ctx.layout.root,
      browser: browser.how,
    });
  else {
    out.line(`DASHBOARD: ${served.url}`);
    out.line(`ROOT: ${ctx.layout.root}`);
    out.line(`BROWSER: ${browser.how}${browser.opened ? '' : '; open the URL above'}`);
    out.line('Stop it with Ctrl+C.');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await served.close();
  return ExitCode.ok;
}
