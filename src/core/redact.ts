// Secrets must never reach logs, the output channel, error messages or the webview. Every
// text that leaves the core towards a person passes through here.

const PEM_PRIVATE = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g;

export function redactSecrets(text: string): string {
  return text.replace(PEM_PRIVATE, '[private key redacted]');
}
