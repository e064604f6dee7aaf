// Text a handler controls (its logs, exception messages, answer values) reaches the terminal
// through the CLI's text output. Control characters there could clear the screen, move the
// cursor or rewrite the headline, so they are shown as visible escapes instead.

/** C0 controls except tab and newline, DEL, and the C1 range (8-bit CSI and friends). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function neutralizeControlCharacters(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Every string of a JSON-like value with its control characters neutralized. */
export function neutralizeControlsDeep<T>(value: T): T {
  if (typeof value === 'string') return neutralizeControlCharacters(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => neutralizeControlsDeep(v)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, neutralizeControlsDeep(v)])) as T;
  }
  return value;
}
