// Parsing JSON-with-comments files the user edits (project file, event files) so that every
// problem can point at a line, column and JSON path.
import { Node as JsonNode, ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';

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

export interface ParsedJsonText {
  /** Absent when the text has syntax errors (they are in `issues`). */
  readonly root?: JsonNode;
  readonly issues: JsonIssue[];
  /** Adds an issue located at `node` (the document start when absent). */
  readonly report: (node: JsonNode | undefined, jsonPath: string, message: string, severity?: 'error' | 'warning') => void;
}

/** Parses `text` leniently (comments, trailing commas) and reports syntax errors with their position. */
export function parseJsonText(text: string): ParsedJsonText {
  const issues: JsonIssue[] = [];
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const report = (node: JsonNode | undefined, jsonPath: string, message: string, severity: 'error' | 'warning' = 'error') => {
    const { line, column } = lineColumn(text, node?.offset ?? 0);
    issues.push({ severity, jsonPath, line, column, message });
  };
  for (const e of errors) {
    const { line, column } = lineColumn(text, e.offset);
    issues.push({ severity: 'error', jsonPath: '', line, column, message: `JSON syntax error: ${printParseErrorCode(e.error)}.` });
  }
  return { root: errors.length === 0 ? tree : undefined, issues, report };
}
