// Where the toolkit states AWS behaviour that no AWS page documents, the finding says so, so
// nobody mistakes the tool's reading for AWS's word. docs/aws-custom-auth.md lists these.
export const TOOL_READING = "(The tool's reading: no AWS page documents this case; AWS may differ.)";

/** Adds the note to a finding's message. */
export function asToolReading(message: string): string {
  return `${message} ${TOOL_READING}`;
}
