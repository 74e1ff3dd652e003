import { Readable } from 'node:stream';

/**
 * The text of a request body as the AWS SDK hands it to a `requestHandler` (string, bytes or a
 * stream), for the fakes behind the real clients. Throws for any other body type, naming `fake`.
 */
export async function requestBodyText(body: unknown, fake: string): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  // Decode the bytes directly: the SDK's JSON body is a Uint8Array whose valueOf() (which
  // Buffer.from would call) warns that it is being used as a string.
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    return Buffer.concat(chunks).toString('utf8');
  }
  throw new Error(`${fake}: unsupported request body type`);
}
