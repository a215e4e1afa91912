// Framed, checksummed records: the log format shared by WAL shards and the manifest.
//
// Layout of one record (all integers little-endian):
//
//   offset  size  field
//   0       4     crc32 of bytes [4, 13 + length): the rest of the header and the payload
//   4       4     length of the payload in bytes
//   8       4     log number: the number of the file this record was written for
//   12      1     record type (owned by the log's user: WAL group, manifest edit, ...)
//   13      n     payload
//
// The log number lets a recycled or preallocated file be reused: bytes left from an earlier
// life carry another log number (or zeros) and read as the end of the log.
//
// Reading stops at the end of the log: too few bytes for a header, a length that runs past the
// end, zeros, a record of another log number, or a checksum that fails with no valid record of
// this log after it (a torn tail). A checksum that fails where valid records of this log follow
// is damage in the middle of the log: a CorruptionError, never silently skipped.

import { crc32 } from "./crc.js";
import { CorruptionError } from "./errors.js";

export const RECORD_HEADER_SIZE = 13;

/** Size of a framed record with a payload of `payloadLength` bytes. */
export function recordSize(payloadLength: number): number {
  return RECORD_HEADER_SIZE + payloadLength;
}

/**
 * Writes the header for a payload already placed at buf[pos + 13, pos + 13 + length), and its crc.
 * Lets callers encode payloads in place without a copy. Returns the position after the record.
 */
export function sealRecord(buf: Uint8Array, pos: number, length: number, logNumber: number, type: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setUint32(pos + 4, length, true);
  view.setUint32(pos + 8, logNumber >>> 0, true);
  buf[pos + 12] = type;
  view.setUint32(pos, crc32(buf, pos + 4, pos + RECORD_HEADER_SIZE + length), true);
  return pos + RECORD_HEADER_SIZE + length;
}

/** Frames one payload as a new buffer. */
export function encodeRecord(payload: Uint8Array, logNumber: number, type: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_SIZE + payload.length);
  out.set(payload, RECORD_HEADER_SIZE);
  sealRecord(out, 0, payload.length, logNumber, type);
  return out;
}

export interface LogRecord {
  type: number;
  payload: Uint8Array;
  /** Offset of the record's header in the file. */
  offset: number;
}

export interface ReadLogResult {
  records: LogRecord[];
  /** Bytes of the log that hold valid records; anything after is a torn or stale tail. */
  validLength: number;
}

function validAt(buf: Uint8Array, view: DataView, pos: number, logNumber: number): number {
  if (pos + RECORD_HEADER_SIZE > buf.length) return -1;
  const length = view.getUint32(pos + 4, true);
  if (pos + RECORD_HEADER_SIZE + length > buf.length) return -1;
  if (view.getUint32(pos + 8, true) !== logNumber >>> 0) return -1;
  if (view.getUint32(pos, true) !== crc32(buf, pos + 4, pos + RECORD_HEADER_SIZE + length)) return -1;
  return length;
}

/**
 * True if the bytes from `pos` to the end form a record whose checksum holds once its length field
 * says "the rest of the log": the record was written whole and only its length was damaged. A
 * write torn by a crash cannot pass that check.
 */
function completeWithOtherLength(buf: Uint8Array, view: DataView, pos: number): boolean {
  const rest = buf.length - pos - RECORD_HEADER_SIZE;
  if (rest < 0) return false;
  const copy = new Uint8Array(buf.subarray(pos + 4)); // a copy at offset 0 (Buffer.slice would be a view)
  new DataView(copy.buffer).setUint32(0, rest, true);
  return crc32(copy) === view.getUint32(pos, true);
}

/** True if a valid record of log `logNumber` starts anywhere after `pos`. */
function validAfter(buf: Uint8Array, view: DataView, pos: number, logNumber: number): boolean {
  for (let p = pos + 1; p + RECORD_HEADER_SIZE <= buf.length; p++) {
    if (validAt(buf, view, p, logNumber) >= 0) return true;
  }
  return false;
}

/**
 * Reads all records of log `logNumber` from `buf`; `file` names the log in errors.
 *
 * `strict` is for logs that are never recycled and whose every record was synced before anything
 * acted on it (the manifest): there the only tolerable damage is a last record cut short by a
 * crash (its length runs past the end). A complete record with a bad checksum, or a record of
 * another log number, is a CorruptionError wherever it is, since dropping it would silently roll
 * the store back.
 */
export function readLog(buf: Uint8Array, logNumber: number, file: string, strict = false): ReadLogResult {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: LogRecord[] = [];
  let pos = 0;
  while (pos + RECORD_HEADER_SIZE <= buf.length) {
    const length = view.getUint32(pos + 4, true);
    const num = view.getUint32(pos + 8, true);
    if (pos + RECORD_HEADER_SIZE + length > buf.length) {
      // A torn tail, unless valid records follow: then the length itself is damaged.
      if (validAfter(buf, view, pos, logNumber) || (strict && completeWithOtherLength(buf, view, pos))) {
        throw new CorruptionError(file, `the record at offset ${pos} claims ${length} bytes, past the end of the log`);
      }
      break;
    }
    const end = pos + RECORD_HEADER_SIZE + length;
    if (num !== logNumber >>> 0) {
      // zeros or an earlier life of a recycled file: the end (in a strict log, damage)
      if (strict) throw new CorruptionError(file, `record at offset ${pos} has log number ${num}, not ${logNumber}`);
      break;
    }
    if (view.getUint32(pos, true) !== crc32(buf, pos + 4, end)) {
      if (strict) throw new CorruptionError(file, `checksum mismatch in the record at offset ${pos}`);
      // Torn tail, or damage in the middle? Look for any valid record of this log further on.
      if (validAfter(buf, view, pos, logNumber)) {
        throw new CorruptionError(
          file,
          `checksum mismatch in the record at offset ${pos}, with valid records after it`,
        );
      }
      break;
    }
    records.push({ type: buf[pos + 12], payload: buf.subarray(pos + RECORD_HEADER_SIZE, end), offset: pos });
    pos = end;
  }
  return { records, validLength: pos };
}
