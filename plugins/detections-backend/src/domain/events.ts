import { parseLine, type DetectionEvent } from '@internal/detection-rules';
import type { SourceId, StoredEvent } from '@internal/plugin-detections-common';

/** An event row as stored: the indexed columns and the original record. */
export interface EventRecord {
  id: string;
  key: string;
  source: SourceId;
  time: number;
  activity: string;
  outcome: string;
  principal: string;
  resource?: string;
  bytes?: number;
  raw: string;
}

/** The API's event (`StoredEvent` without id, key and raw) from a normalised DetectionEvent. */
export function eventFields(ev: DetectionEvent): Omit<StoredEvent, 'id' | 'key' | 'raw'> {
  return {
    sourceId: ev.id,
    source: ev.source,
    classUid: ev.classUid,
    className: ev.className,
    activity: ev.activity,
    time: new Date(ev.time).toISOString(),
    outcome: ev.outcome,
    ...(ev.statusCode !== undefined ? { statusCode: ev.statusCode } : {}),
    ...(ev.statusDetail !== undefined ? { statusDetail: ev.statusDetail } : {}),
    actor: ev.actor,
    ...(ev.src ? { src: ev.src } : {}),
    ...(ev.dst ? { dst: ev.dst } : {}),
    ...(ev.resource ? { resource: ev.resource } : {}),
    ...(ev.auth ? { auth: ev.auth } : {}),
    ...(ev.bytes !== undefined ? { bytes: ev.bytes } : {}),
  };
}

/**
 * A stored event for the API: its original normalised again (the store keeps the original and
 * the indexed columns only; normalising one record costs microseconds, a page of them well under
 * a millisecond, and the model shown is always the current one). An original the normalisers no
 * longer read is shown from its columns.
 */
export function toStoredEvent(rec: EventRecord, withRaw: boolean): StoredEvent {
  const { events } = parseLine(rec.raw);
  const ev = events.find(e => e.key === rec.key) ?? (events.length === 1 ? events[0] : undefined);
  const fields: Omit<StoredEvent, 'id' | 'key' | 'raw'> = ev
    ? eventFields(ev)
    : {
        source: rec.source,
        classUid: 0,
        className: 'Unknown',
        activity: rec.activity,
        time: new Date(rec.time).toISOString(),
        outcome: rec.outcome === 'success' || rec.outcome === 'failure' ? rec.outcome : 'unknown',
        actor: { name: rec.principal, type: 'unknown' },
        ...(rec.resource ? { resource: { type: 'unknown', name: rec.resource } } : {}),
        ...(rec.bytes !== undefined ? { bytes: rec.bytes } : {}),
      };
  const out: StoredEvent = { id: rec.id, key: rec.key, ...fields };
  if (withRaw) {
    try {
      out.raw = JSON.parse(rec.raw);
    } catch {
      out.raw = rec.raw;
    }
  }
  return out;
}
