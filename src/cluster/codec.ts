// What crosses Redis between the driver and the nodes: V8's structured-clone serialization, the
// same one worker threads use (piscina's tasks), so typed arrays, -0 and NaN arrive bit for bit
// and a sampling task run on another machine gives what it gives in a local thread.
import v8 from 'node:v8';

export function encode(value: unknown): Buffer {
  return v8.serialize(value);
}

export function decode<T>(bytes: Buffer): T {
  return v8.deserialize(bytes) as T;
}

/** For job data and return values, which BullMQ stores as JSON. */
export function encodeText(value: unknown): string {
  return encode(value).toString('base64');
}

export function decodeText<T>(text: string): T {
  return decode<T>(Buffer.from(text, 'base64'));
}
