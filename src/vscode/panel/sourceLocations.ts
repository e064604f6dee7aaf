// Where a finding the panel shows lives in a file: a JSON path such as `credentials.signature`
// in an event or project file, found with jsonc-parser. Pure, for the unit tests; the panel
// opens the editor there.
import { findNodeAtLocation, parseTree, Segment } from 'jsonc-parser';
import { lineColumn } from '../../core/jsonText';

/** `a.b[2].c` → ['a', 'b', 2, 'c']. Names are split on dots, as the event parser writes them. */
export function jsonPathSegments(jsonPath: string): Segment[] {
  const out: Segment[] = [];
  for (const part of jsonPath.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1] !== '') out.push(m[1]);
    for (const index of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(index[1]));
  }
  return out;
}

/**
 * The 1-based line and column of the JSON path's node (its property key when it is a property),
 * or of its nearest existing parent when the path is not in the file (e.g. a field the event
 * leaves out). Undefined when the text does not parse.
 */
export function jsonPathPosition(text: string, jsonPath: string): { line: number; column: number } | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return undefined;
  const segments = jsonPathSegments(jsonPath);
  // A dotted header name (`headers.x.y`) splits too far: join the tail back when the split path fails.
  const candidates: Segment[][] = [segments];
  for (let k = segments.length - 1; k >= 1; k--) {
    const tail = segments.slice(k - 1);
    if (tail.every((s) => typeof s === 'string')) candidates.push([...segments.slice(0, k - 1), tail.join('.')]);
  }
  for (let n = segments.length; n >= 0; n--) candidates.push(segments.slice(0, n));
  for (const path of candidates) {
    const node = path.length === 0 ? root : findNodeAtLocation(root, path);
    if (!node) continue;
    const at = node.parent?.type === 'property' ? node.parent : node;
    return lineColumn(text, at.offset);
  }
  return undefined;
}
