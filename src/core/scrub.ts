// Replacing a secret (the MQTT password) in text that leaves the tool. Long secrets are
// replaced wherever they occur. A secret of 1-3 characters would match inside every ordinary
// word, file path and date, making the output unreadable; it is replaced wherever it stands
// alone, i.e. not inside a longer run of letters and digits (`pw=ab`, `"ab"`, `plain: ab`).

/** Shorter secrets are replaced only where they are not part of a longer word. */
export const SHORT_SECRET_LENGTH = 4;

export function replaceSecret(text: string, secret: string, replacement: string): string {
  if (secret === '') return text;
  if (secret.length >= SHORT_SECRET_LENGTH) return text.split(secret).join(replacement);
  const escaped = secret.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const before = /^[\p{L}\p{N}]/u.test(secret) ? '(?<![\\p{L}\\p{N}])' : '';
  const after = /[\p{L}\p{N}]$/u.test(secret) ? '(?![\\p{L}\\p{N}])' : '';
  return text.replace(new RegExp(`${before}${escaped}${after}`, 'gu'), () => replacement);
}
