/**
 * The detections backend plugin (issue 10): ingest of security events, detections, alerts, triage.
 * @packageDocumentation
 */
export { detectionsPlugin as default } from './plugin';
