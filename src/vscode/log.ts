import * as vscode from 'vscode';
import { redactSecrets } from '../core/redact';

/** The "IoT Authorizer" output channel, created on first use, never given key material. */
export class Log implements vscode.Disposable {
  private channel: vscode.LogOutputChannel | undefined;

  get output(): vscode.LogOutputChannel {
    this.channel ??= vscode.window.createOutputChannel('IoT Authorizer', { log: true });
    return this.channel;
  }

  info(message: string): void {
    this.output.info(redactSecrets(message));
  }

  warn(message: string): void {
    this.output.warn(redactSecrets(message));
  }

  error(message: string): void {
    this.output.error(redactSecrets(message));
  }

  /** Plain text block (results, logs) without the timestamp prefix. */
  append(text: string): void {
    this.output.appendLine(redactSecrets(text));
  }

  show(): void {
    this.output.show(true);
  }

  dispose(): void {
    this.channel?.dispose();
  }
}
