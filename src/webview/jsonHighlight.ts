// Syntax colouring for policy documents: a small tokenizer that yields (class, text) pieces;
// the panel turns each into a span with textContent, so nothing is ever parsed as HTML.

export type JsonTokenKind = 'key' | 'string' | 'number' | 'literal' | 'punct' | 'text';

export interface JsonToken {
  readonly kind: JsonTokenKind;
  readonly text: string;
}

const TOKEN = /("(?:[^"\\\n]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|([{}[\],:])/g;

export function tokenizeJson(text: string): JsonToken[] {
  const out: JsonToken[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ kind: 'text', text: text.slice(last, at) });
    if (m[1] !== undefined) {
      out.push({ kind: m[2] !== undefined ? 'key' : 'string', text: m[1] });
      if (m[2] !== undefined) out.push({ kind: 'punct', text: m[2] });
    } else if (m[3] !== undefined) out.push({ kind: 'number', text: m[3] });
    else if (m[4] !== undefined) out.push({ kind: 'literal', text: m[4] });
    else out.push({ kind: 'punct', text: m[5] });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

/** The document pretty-printed for reading when it is JSON; as returned otherwise. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
