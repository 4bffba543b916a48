import { stemmer } from 'stemmer';

/**
 * How relevant a new task is to an existing session, judged in code and deterministically (the same
 * inputs always give the same answer): the share of the task's keywords, stemmed and without stop
 * words, that also occur in the session's description and planning notes.
 */
export type Relevance = 'high' | 'medium' | 'low';

export const HIGH_RELEVANCE = 0.5;
export const MEDIUM_RELEVANCE = 0.25;

// Common English function words and task verbs so generic that they say nothing about which piece
// of work a task belongs to ("please add a fix for the ..."). A short own list is enough here.
const STOP_WORDS = new Set(
  `a about above after again all also am an and any are as at be because been before being below between both
  but by can could did do does doing done down during each few for from further get got had has have having he
  her here hers him his how i if in into is it its itself just let lets like make me more most my need new no
  nor not now of off on once only or other our ours out over own please same she should so some such than that
  the their them then there these they this those through to too under until up use using very via want was we
  were what when where which while who whom why will with would you your yours task work session thing things
  stuff something add update change fix implement create make`.split(/\s+/),
);

export function keywords(text: string): Set<string> {
  const result = new Set<string>();
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/)) {
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    result.add(/^[0-9]+$/.test(word) ? word : stemmer(word));
  }
  return result;
}

export interface RelevanceJudgement {
  relevance: Relevance;
  score: number;
  shared: string[];
}

export function judgeRelevance(task: string, sessionText: string): RelevanceJudgement {
  const taskWords = keywords(task);
  const sessionWords = keywords(sessionText);
  const shared = [...taskWords].filter((word) => sessionWords.has(word)).sort();
  const score = taskWords.size === 0 ? 0 : shared.length / taskWords.size;
  const relevance: Relevance =
    score >= HIGH_RELEVANCE ? 'high' : score >= MEDIUM_RELEVANCE ? 'medium' : 'low';
  return { relevance, score: Math.round(score * 100) / 100, shared };
}

/** High and medium relevance reuse the session; a low one gets a new session. */
export function shouldReuse(relevance: Relevance): boolean {
  return relevance !== 'low';
}
