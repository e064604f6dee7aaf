// Parsing JSON-with-comments files the user edits (project file, event files) so that every
// problem can point at a line, column and JSON path.
import { Node as JsonNode, ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { JSON_MAX_ISSUES } from './constants';

export interface JsonIssue {
  readonly severity: 'error' | 'warning';
  /** JSON path such as `authorizers[0].handler`; empty for the whole document. */
  readonly jsonPath: string;
  /** 1-based line and column of the offending value. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Finds line and column of many offsets in one text in logarithmic time each. */
export function lineLocator(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    const at = Math.min(Math.max(0, offset), text.length);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - starts[lo] + 1 };
  };
}

export interface ParsedJsonText {
  /** Absent when the text has syntax errors (they are in `issues`). */
  readonly root?: JsonNode;
  readonly issues: JsonIssue[];
  /** Adds an issue located at `node` (the document start when absent). */
  readonly report: (node: JsonNode | undefined, jsonPath: string, message: string, severity?: 'error' | 'warning') => void;
  /** Errors reported so far, including those beyond the kept JSON_MAX_ISSUES. */
  readonly errorCount: () => number;
}

/** Parses `text` leniently (comments, trailing commas) and reports syntax errors with their position. */
export function parseJsonText(text: string): ParsedJsonText {
  const issues: JsonIssue[] = [];
  const errors: ParseError[] = [];
  // Editors on Windows save a UTF-8 byte order mark; it is not part of the JSON.
  const body = stripByteOrderMark(text);
  const locate = lineLocator(body);
  let errorCount = 0;
  let dropped = 0;
  const add = (issue: JsonIssue) => {
    if (issue.severity === 'error') errorCount++;
    if (issues.length < JSON_MAX_ISSUES) issues.push(issue);
    else if (dropped++ === 0) {
      issues.push({ severity: issue.severity, jsonPath: '', line: issue.line, column: issue.column, message: `More than ${JSON_MAX_ISSUES} problems; the rest are not listed. Fix these first.` });
    }
  };
  const report = (node: JsonNode | undefined, jsonPath: string, message: string, severity: 'error' | 'warning' = 'error') => {
    add({ severity, jsonPath, ...locate(node?.offset ?? 0), message });
  };
  let tree: JsonNode | undefined;
  try {
    tree = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    add({ severity: 'error', jsonPath: '', line: 1, column: 1, message: 'The JSON is nested too deeply to read; no real file needs that many levels.' });
    return { issues, report, errorCount: () => errorCount };
  }
  for (const e of errors) {
    add({ severity: 'error', jsonPath: '', ...locate(e.offset), message: `JSON syntax error: ${printParseErrorCode(e.error)}.` });
  }
  if (tree && errors.length === 0) keepLastDuplicateKeys(tree);
  return { root: errors.length === 0 ? tree : undefined, issues, report, errorCount: () => errorCount };
}

export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** JSON.parse and AWS keep the last of repeated keys; so do the readers of this tree. */
function keepLastDuplicateKeys(node: JsonNode): void {
  const stack: JsonNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop() as JsonNode;
    if (!n.children) continue;
    if (n.type === 'object') {
      const last = new Map<unknown, JsonNode>();
      for (const prop of n.children) last.set(prop.children?.[0]?.value, prop);
      if (last.size < n.children.length) (n as { children?: JsonNode[] }).children = n.children.filter((prop) => last.get(prop.children?.[0]?.value) === prop);
    }
    stack.push(...n.children);
  }
}
