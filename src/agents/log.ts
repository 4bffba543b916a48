import fs from 'node:fs';
import path from 'node:path';
import { printable } from '../core/input.js';
import type { Layout } from '../store/layout.js';
import { ensureDirectory, openForAppend } from '../store/safe-path.js';

/**
 * Failures of `wfs hook` (SPEC 7): never shown to the agent, which must not be blocked or confused
 * by wfs, but written down where a person looks, `.workflow/logs/hooks.log`, one line each. The log
 * is bounded: past LOG_MAX_BYTES it becomes `hooks.log.1` (the one before is dropped), so a hook that
 * fails on every tool call for a month costs at most twice that.
 */
export const LOG_MAX_BYTES = 256 * 1024;

export function hookLogPath(layout: Layout): string {
  return path.join(layout.workflowDir, 'logs', 'hooks.log');
}

export function logHookFailure(layout: Layout, agent: string, event: string, message: string): void {
  const file = hookLogPath(layout);
  const line = `${new Date().toISOString()} wfs hook ${agent} ${printable(event)}: ${printable(message).replace(/\s+/g, ' ').slice(0, 2000)}\n`;
  try {
    ensureDirectory(path.dirname(file));
    const size = fs.lstatSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size + line.length > LOG_MAX_BYTES) fs.renameSync(file, `${file}.1`);
    const fd = openForAppend(file);
    try {
      fs.writeSync(fd, line);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Nowhere to write it (a read-only .workflow/): stderr, which the agents show a person at most.
    try {
      fs.writeSync(2, `wfs hook: ${line}`);
    } catch {
      // no stderr either: nothing more can be done without failing the agent
    }
  }
}
