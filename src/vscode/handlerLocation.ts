// Finds the line that defines a handler function, with a few regexes instead of a parser:
// CodeLens asks on every edit, and a near miss only moves the lens (line 0 is the fallback).

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function patternsFor(fn: string, python: boolean): RegExp[] {
  const f = escape(fn);
  if (python) {
    return [new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${f}[ \\t]*\\(`, 'm'), new RegExp(`^${f}[ \\t]*=`, 'm')];
  }
  return [
    // exports.handler = / module.exports.handler =
    new RegExp(`\\bexports\\.${f}\\s*=`),
    // export async function handler / export default function handler
    new RegExp(`\\bexport\\s+(?:default\\s+)?(?:async\\s+)?function\\s*\\*?\\s*${f}\\b`),
    // export const handler =
    new RegExp(`\\bexport\\s+(?:const|let|var)\\s+${f}\\b`),
    // function handler(...) later exported by name
    new RegExp(`\\b(?:async\\s+)?function\\s*\\*?\\s*${f}\\s*\\(`),
    new RegExp(`\\b(?:const|let|var)\\s+${f}\\s*=`),
    // module.exports = { handler } / export { handler }
    new RegExp(`\\b(?:module\\.exports\\s*=|export)\\s*\\{[^}]*\\b${f}\\b`),
  ];
}

/**
 * The 0-based line of `functionName`'s definition in a handler's source (`handlers.auth`
 * looks for `auth`), or 0 when none of the usual forms is found.
 */
export function findHandlerLine(text: string, functionName: string, file: string): number {
  const fn = functionName.split('.').pop() ?? functionName;
  if (!fn) return 0;
  const python = /\.py$/i.test(file);
  // A nested export (`handlers.auth`) is usually assigned by its full path.
  const nested = fn !== functionName && !python ? [new RegExp(`\\b${escape(functionName)}\\s*=`)] : [];
  for (const pattern of [...nested, ...patternsFor(fn, python)]) {
    const m = pattern.exec(text);
    if (m) {
      let line = 0;
      for (let i = 0; i < m.index; i++) if (text.charCodeAt(i) === 10) line++;
      return line;
    }
  }
  return 0;
}
