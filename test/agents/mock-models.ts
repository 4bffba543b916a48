/**
 * Loopback mocks of the three model APIs the agents talk to (test/fixtures/agents/README.md, "How
 * they were recorded"): the Anthropic Messages API (Claude Code), the OpenAI Responses API (Codex
 * CLI) and Gemini's generateContent API (Gemini CLI), each streaming server-sent events the way the
 * agent reads them. A test scripts the model as a list of steps (tool calls, then a final text); the
 * step a request gets is chosen by counting the tool results it carries, so the script follows the
 * conversation however the agent retries or interleaves side calls. Every request is recorded, so a
 * test can assert what reached the model. Node's http server is enough: no dependency.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Parsed JSON on the wire of a third-party agent or model API (requests, hook payloads, stream
 * events). The tests read it by the shapes the recordings show and assert on it; typing each of
 * those formats would restate them without checking anything more.
 */
// biome-ignore lint/suspicious/noExplicitAny: third-party wire JSON, read by shape (above)
export type Wire = any;

/** One answer of the scripted model: a tool call, or text (which ends the turn). */
export type Step = (ToolStep | TextStep) & {
  /** The answer is held until this settles: a test's condition, never a delay. */
  after?: Promise<unknown>;
};
export interface ToolStep {
  tool: string;
  /** The tool's input; for Codex's freeform `apply_patch`, the patch text. */
  input: unknown;
  /** Codex: the namespace of an MCP tool as its `tool_search` offered it (e.g. `mcp__wfs`). */
  namespace?: string;
}
export interface TextStep {
  text: string;
}

export interface RecordedRequest {
  method: string;
  /** The path with its query, e.g. `/v1/messages?beta=true`. */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: Wire;
  /** Which step answered it (its index), for the requests the script answered. */
  step?: number;
}

export interface MockModel {
  /** The base URL to give the agent (its own variable or configuration, see each start function). */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** The requests the script answered (the model's turns in the conversation), in arrival order. */
  readonly turns: readonly RecordedRequest[];
  /** Requests to routes the mock does not serve (answered 404): an agent calling home shows up here. */
  readonly unexpected: readonly RecordedRequest[];
  /** Replaces the script (for the next run against the same mock). */
  script(steps: readonly Step[]): void;
  /** Resolves once `count` scripted requests have arrived (answered or still held by `after`). */
  untilTurns(count: number): Promise<void>;
  close(): Promise<void>;
}

type Answer = { status: number; sse: string[] } | { status: number; json: unknown };

interface Api {
  /** The step index of a scripted request (counted tool results), or undefined for a side call. */
  turnIndex(req: RecordedRequest): number | undefined;
  /** The answer of a scripted request. */
  scripted(req: RecordedRequest, step: Step, turn: number): Answer;
  /** The answer of any other request, or undefined for a route the mock does not serve. */
  side(req: RecordedRequest): Answer | undefined;
}

const FINAL: Step = { text: 'Done.' };

function start(api: Api, steps: readonly Step[], basePath: string): Promise<MockModel> {
  let script = [...steps];
  const requests: RecordedRequest[] = [];
  const turns: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      const index = api.turnIndex(recorded);
      if (index === undefined) {
        const answer = api.side(recorded);
        if (!answer) unexpected.push(recorded);
        send(
          res,
          answer ?? {
            status: 404,
            json: { error: { type: 'not_found', message: `mock: no ${recorded.url}` } },
          },
        );
        return;
      }
      recorded.step = index;
      turns.push(recorded);
      for (const wait of [...waiting])
        if (turns.length >= wait.count) {
          waiting.splice(waiting.indexOf(wait), 1);
          wait.resolve();
        }
      const step = script[index] ?? FINAL;
      const turn = turns.length;
      Promise.resolve(step.after).then(
        () => send(res, api.scripted(recorded, step, turn)),
        (error: unknown) => send(res, { status: 500, json: { error: { message: String(error) } } }),
      );
    });
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}${basePath}`,
        requests,
        turns,
        unexpected,
        script(next) {
          script = [...next];
        },
        untilTurns(count) {
          if (turns.length >= count) return Promise.resolve();
          return new Promise((done) => waiting.push({ count, resolve: done }));
        },
        close() {
          // An agent keeps its connections alive; closing them is what lets close() finish.
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

function send(res: http.ServerResponse, answer: Answer): void {
  if ('sse' in answer) {
    res.writeHead(answer.status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const frame of answer.sse) res.write(frame);
    res.end();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer.json));
}

const isTool = (step: Step): step is ToolStep & Step => 'tool' in step;
const sseFrame = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

// ------------------------------------------------------------------------------------ Anthropic

/** What Claude Code sends as the text of a compaction request's last message. */
function isCompaction(body: Wire): boolean {
  const last = body?.messages?.at(-1);
  const text = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
  return text.includes('TEXT ONLY');
}

/** Every block of every message of a Messages API request. */
export function anthropicBlocks(body: Wire): Wire[] {
  return (body?.messages ?? []).flatMap((m: Wire) => (Array.isArray(m.content) ? m.content : []));
}

const anthropic: Api = {
  turnIndex(req) {
    const body = req.body;
    if (
      req.method !== 'POST' ||
      !req.url.startsWith('/v1/messages') ||
      req.url.startsWith('/v1/messages/count_tokens')
    )
      return undefined;
    // Only the main loop offers tools; title and summary side calls and compactions do not.
    if (!body?.stream || !(body.tools?.length > 0) || isCompaction(body)) return undefined;
    return anthropicBlocks(body).filter((b) => b.type === 'tool_result').length;
  },
  scripted(req, step, turn) {
    const model = req.body?.model ?? 'claude-opus-4-7';
    const frames = [
      sseFrame('message_start', {
        message: {
          id: `msg_mock${turn}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      }),
    ];
    if (isTool(step)) {
      frames.push(
        sseFrame('content_block_start', {
          index: 0,
          content_block: { type: 'tool_use', id: `toolu_mock${turn}`, name: step.tool, input: {} },
        }),
        sseFrame('content_block_delta', {
          index: 0,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify(step.input) },
        }),
      );
    } else {
      frames.push(
        sseFrame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        sseFrame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: step.text } }),
      );
    }
    frames.push(
      sseFrame('content_block_stop', { index: 0 }),
      sseFrame('message_delta', {
        delta: { stop_reason: isTool(step) ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: 5 },
      }),
      sseFrame('message_stop', {}),
    );
    return { status: 200, sse: frames };
  },
  side(req) {
    if (req.url.startsWith('/v1/messages/count_tokens')) return { status: 200, json: { input_tokens: 10 } };
    if (req.method !== 'POST' || !req.url.startsWith('/v1/messages')) return undefined;
    const model = req.body?.model ?? 'claude-opus-4-7';
    const text = isCompaction(req.body)
      ? '<analysis>mock</analysis><summary>The conversation so far (mock summary).</summary>'
      : 'ok';
    if (req.body?.stream) return anthropic.scripted(req, { text }, 0);
    return {
      status: 200,
      json: {
        id: 'msg_mock_side',
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    };
  },
};

/** The Messages API; give the agent `ANTHROPIC_BASE_URL=<url>`. */
export function startAnthropicMock(steps: readonly Step[] = []): Promise<MockModel> {
  return start(anthropic, steps, '');
}

// ------------------------------------------------------------------------------------ OpenAI

/** The item types that carry a tool's result back to the model in a Responses API request. */
const RESULT_ITEMS = new Set(['function_call_output', 'custom_tool_call_output', 'tool_search_output']);

const openai: Api = {
  turnIndex(req) {
    if (req.method !== 'POST' || !req.url.startsWith('/v1/responses')) return undefined;
    return (req.body?.input ?? []).filter((item: Wire) => RESULT_ITEMS.has(item.type)).length;
  },
  scripted(_req, step, turn) {
    const id = `resp_mock${turn}`;
    const callId = `call_mock${turn}`;
    let item: Record<string, unknown>;
    if (isTool(step) && step.tool === 'tool_search')
      // Codex offers MCP tools behind its client-side tool search: the model searches first.
      item = {
        type: 'tool_search_call',
        id: `ts_mock${turn}`,
        status: 'completed',
        call_id: callId,
        execution: 'client',
        arguments: step.input,
      };
    else if (isTool(step) && step.tool === 'apply_patch')
      // apply_patch is a freeform (custom) tool: its input is the patch text itself.
      item = {
        type: 'custom_tool_call',
        id: `ctc_mock${turn}`,
        status: 'completed',
        call_id: callId,
        name: 'apply_patch',
        input: step.input,
      };
    else if (isTool(step))
      item = {
        type: 'function_call',
        id: `fc_mock${turn}`,
        status: 'completed',
        call_id: callId,
        name: step.tool,
        ...(step.namespace ? { namespace: step.namespace } : {}),
        arguments: JSON.stringify(step.input),
      };
    else
      item = {
        type: 'message',
        id: `msg_mock${turn}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: (step as TextStep).text, annotations: [] }],
      };
    const frames = [
      sseFrame('response.created', {
        response: { id, object: 'response', status: 'in_progress', output: [] },
      }),
      sseFrame('response.output_item.added', {
        output_index: 0,
        item: item.type === 'message' ? { ...item, content: [] } : item,
      }),
    ];
    if (item.type === 'message')
      frames.push(
        sseFrame('response.output_text.delta', {
          item_id: item.id,
          output_index: 0,
          content_index: 0,
          delta: (step as TextStep).text,
        }),
      );
    frames.push(
      sseFrame('response.output_item.done', { output_index: 0, item }),
      sseFrame('response.completed', {
        response: {
          id,
          object: 'response',
          status: 'completed',
          output: [item],
          usage: {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 15,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens_details: { reasoning_tokens: 0 },
          },
        },
      }),
    );
    return { status: 200, sse: frames };
  },
  side: () => undefined,
};

/** The Responses API; `url` ends in `/v1`, the `base_url` of a Codex model provider. */
export function startOpenAiMock(steps: readonly Step[] = []): Promise<MockModel> {
  return start(openai, steps, '/v1');
}

// ------------------------------------------------------------------------------------ Gemini

const geminiResponse = (parts: unknown[]) => ({
  candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
});

const gemini: Api = {
  turnIndex(req) {
    if (req.method !== 'POST' || !req.url.includes(':streamGenerateContent')) return undefined;
    const parts = (req.body?.contents ?? []).flatMap((c: Wire) => c.parts ?? []);
    return parts.filter((p: Wire) => p.functionResponse).length;
  },
  scripted(_req, step) {
    const parts = isTool(step)
      ? [{ functionCall: { name: step.tool, args: step.input } }]
      : [{ text: (step as TextStep).text }];
    return { status: 200, sse: [`data: ${JSON.stringify(geminiResponse(parts))}\r\n\r\n`] };
  },
  side(req) {
    if (req.url.includes(':countTokens')) return { status: 200, json: { totalTokens: 10 } };
    if (!req.url.includes(':generateContent')) return undefined;
    // The model router asks for JSON and stalls on anything else; compression asks for a summary.
    const wantsJson = req.body?.generationConfig?.responseMimeType === 'application/json';
    const text = wantsJson
      ? JSON.stringify({ complexity_reasoning: 'a small scripted task', complexity_score: 10 })
      : '<state_snapshot>The conversation so far (mock summary).</state_snapshot>';
    return { status: 200, json: geminiResponse([{ text }]) };
  },
};

/** Gemini's API; give the agent `GOOGLE_GEMINI_BASE_URL=<url>`. */
export function startGeminiMock(steps: readonly Step[] = []): Promise<MockModel> {
  return start(gemini, steps, '');
}
