import type { Readable } from 'node:stream';

/** Keeps the last `limit` bytes written to it: a child's stdout/stderr for failure reports. */
export class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 1024 * 1024) {}

  /** Appends everything `stream` emits. Non-blocking. */
  capture(stream: Readable | null): void {
    stream?.on('data', (chunk: Buffer) => this.push(chunk));
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      const dropped = this.chunks.shift();
      this.size -= dropped?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks).toString('utf8');
    return all.length > this.limit ? all.slice(all.length - this.limit) : all;
  }
}
