// An event-file reader for tests, written apart from src/metrics/tfevents.ts: it shares neither
// the protobuf library nor the CRC32C code with the writer. It parses the protobuf wire format by
// hand and checks TFRecord CRCs with a bit-by-bit CRC32C (Castagnoli, reflected polynomial 0x82F63B78).

export function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 0x100000000;
}

/** The data of each TFRecord in buf; throws on a bad length or data CRC. */
export function readRecords(buf: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const lengthBytes = buf.subarray(at, at + 8);
    if (buf.readUInt32LE(at + 8) !== masked(crc32cBitwise(lengthBytes))) throw new Error(`bad length CRC at byte ${at}`);
    const length = Number(buf.readBigUInt64LE(at));
    const data = buf.subarray(at + 12, at + 12 + length);
    if (buf.readUInt32LE(at + 12 + length) !== masked(crc32cBitwise(data))) throw new Error(`bad data CRC at byte ${at}`);
    records.push(data);
    at += 16 + length;
  }
  return records;
}

type Field = { number: number; wire: number; value: bigint | Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    const number = key >>> 3;
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 1) out.push({ number, wire, value: buf.subarray(at, (at += 8)) });
    else if (wire === 5) out.push({ number, wire, value: buf.subarray(at, (at += 4)) });
    else if (wire === 2) {
      const length = Number(varint());
      out.push({ number, wire, value: buf.subarray(at, (at += length)) });
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
}

/** tensorflow.Event: 1 wall_time (double), 2 step (int64), 3 file_version, 5 summary { 1 value { 1 tag, 2 simple_value (float) } }. */
export function decodeEvent(data: Buffer): DecodedEvent {
  const event: DecodedEvent = { wallTime: NaN, step: 0, scalars: {} };
  for (const f of fields(data)) {
    if (f.number === 1 && f.wire === 1) event.wallTime = (f.value as Buffer).readDoubleLE(0);
    else if (f.number === 2 && f.wire === 0) event.step = Number(f.value);
    else if (f.number === 3 && f.wire === 2) event.fileVersion = (f.value as Buffer).toString('utf8');
    else if (f.number === 5 && f.wire === 2) {
      for (const v of fields(f.value as Buffer)) {
        if (v.number !== 1) continue;
        let tag = '';
        let value = 0; // proto3: an absent simple_value is 0 (the writer leaves zeros out)
        for (const g of fields(v.value as Buffer)) {
          if (g.number === 1) tag = (g.value as Buffer).toString('utf8');
          if (g.number === 2 && g.wire === 5) value = (g.value as Buffer).readFloatLE(0);
        }
        event.scalars[tag] = value;
      }
    } else throw new Error(`unexpected Event field ${f.number} (wire type ${f.wire})`);
  }
  return event;
}

export function readEventFile(buf: Buffer): DecodedEvent[] {
  return readRecords(buf).map(decodeEvent);
}
