// TensorBoard event files, as Ray Tune's TBXLogger writes them beside progress.csv: a file
// events.out.tfevents.<unix time>.<host> of TFRecord records, each an `Event` protobuf
// (tensorflow/core/util/event.proto), the first one `file_version: "brain.Event:2"`, then one
// Event a result with every numeric result key as a scalar under `ray/tune/<key>`.
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs/light.js';
import { crc32c } from '@aws-crypto/crc32c';
import { flattenResult } from './result_writer.js';

// The fields of event.proto and summary.proto that scalars need (field numbers as in TensorFlow).
const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['file_version', 'summary'] } },
          fields: {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: { Value: { fields: { tag: { type: 'string', id: 1 }, simple_value: { type: 'float', id: 2 } } } },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorflow.Event');

/** TFRecord's masked CRC32C (tensorflow/core/lib/hash/crc32c.h: rotate right 15, add a constant). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of the length, the data, masked CRC of the data (all little-endian). */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length + 16);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

export function encodeEvent(event: { wallTime: number; step?: number; fileVersion?: string; scalars?: Record<string, number> }): Uint8Array {
  const message: Record<string, unknown> = { wall_time: event.wallTime };
  if (event.step !== undefined) message.step = event.step;
  if (event.fileVersion !== undefined) message.file_version = event.fileVersion;
  if (event.scalars) message.summary = { value: Object.entries(event.scalars).map(([tag, simple_value]) => ({ tag, simple_value })) };
  return EventType.encode(EventType.fromObject(message)).finish();
}

// Keys Ray's TBXLogger leaves out ("not useful to log these"); the step is timesteps_total,
// or training_iteration when there is none (ray/tune/logger.py, Ray 1.x).
const UNLOGGED = new Set(['config', 'pid', 'timestamp', 'time_total_s', 'training_iteration']);

/** The step and the `ray/tune/...` scalars Ray would log for a result record. */
export function resultScalars(result: Record<string, unknown>): { step: number; scalars: Record<string, number> } {
  const timesteps = result.timesteps_total;
  const step = typeof timesteps === 'number' && timesteps ? timesteps : Number(result.training_iteration ?? 0);
  const scalars: Record<string, number> = {};
  const kept = Object.fromEntries(Object.entries(result).filter(([key]) => !UNLOGGED.has(key)));
  for (const [key, value] of Object.entries(flattenResult(kept))) {
    // Python's isinstance(True, int) holds, so Ray logs booleans as 0/1; NaN is skipped.
    const number = typeof value === 'boolean' ? Number(value) : value;
    if (typeof number === 'number' && !Number.isNaN(number)) scalars[`ray/tune/${key}`] = number;
  }
  return { step, scalars };
}

/** Appends result records to a new event file in dir (one file per run start, as Ray's logger). */
export class TFEventWriter {
  readonly file: string;

  constructor(dir: string, now = Date.now()) {
    this.file = path.join(dir, `events.out.tfevents.${String(Math.floor(now / 1000)).padStart(10, '0')}.${os.hostname()}`);
    appendFileSync(this.file, tfRecord(encodeEvent({ wallTime: now / 1000, fileVersion: 'brain.Event:2' })));
  }

  write(result: object, now = Date.now()): void {
    const { step, scalars } = resultScalars(result as Record<string, unknown>);
    appendFileSync(this.file, tfRecord(encodeEvent({ wallTime: now / 1000, step, scalars })));
  }
}
