// Reading a JSON file the user edits (project file, test events) from disk. Kept apart from
// jsonText.ts, which the webview bundles and so must not touch the file system.
import * as fs from 'fs';
import type { JsonIssue } from './jsonText';

/** The file's text, or the one issue (at line 1) that says why it cannot be read. */
export function readEditedFile(file: string): { readonly text: string } | { readonly issue: JsonIssue } {
  try {
    return { text: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { issue: { severity: 'error', jsonPath: '', line: 1, column: 1, message: `Cannot read ${file}: ${err.code ?? err.message}.` } };
  }
}
