/** The planning-notes.md every session starts with (SPEC 2), and what of it is the user's own text. */

const TEMPLATE_LINES = new Set([
  '## User Intent (Phase 1)',
  '## Context Findings (Phase 2)',
  '## Conflict Decisions (Phase 2)',
  '## Consolidated Constraints (Phase 3 Input)',
  '## Task Generation (Phase 3)',
  '## N+1 Context',
  '### Decisions',
  '### Deferred',
  '| Decision | Rationale | Revisit? |',
  '|----------|-----------|----------|',
  '- **GOAL**:',
  '- **KEY_CONSTRAINTS**:',
  '- (none yet)',
]);

export function renderPlanningNotes(input: { id: string; description: string; created: string }): string {
  // The description may span lines; quoting keeps it inside the GOAL bullet.
  const goal = input.description.replace(/\r?\n/g, ' ');
  return `# Planning Notes: ${input.id}

Created: ${input.created}

## User Intent (Phase 1)

- **GOAL**: ${goal}
- **KEY_CONSTRAINTS**: (none yet)

## Context Findings (Phase 2)

## Conflict Decisions (Phase 2)

## Consolidated Constraints (Phase 3 Input)

## Task Generation (Phase 3)

## N+1 Context

### Decisions

| Decision | Rationale | Revisit? |
|----------|-----------|----------|

### Deferred

- (none yet)
`;
}

/** The text a person or agent wrote into the notes, without the template's headings and labels. */
export function userContent(notes: string): string {
  const kept: string[] = [];
  for (const rawLine of notes.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('# Planning Notes:') || line.startsWith('Created:')) continue;
    if (TEMPLATE_LINES.has(line)) continue;
    kept.push(line.replace(/^- \*\*(GOAL|KEY_CONSTRAINTS)\*\*:\s*/, '').replace('(none yet)', ''));
  }
  return kept.join('\n');
}

export const PLANNING_NOTES_SECTIONS = [
  'User Intent (Phase 1)',
  'Context Findings (Phase 2)',
  'Conflict Decisions (Phase 2)',
  'Consolidated Constraints (Phase 3 Input)',
  'Task Generation (Phase 3)',
  'N+1 Context',
] as const;
