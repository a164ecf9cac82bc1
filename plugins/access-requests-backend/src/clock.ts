// One clock for every backend: @internal/clock (kept as this module so the plugin's files import it unchanged).
export { AdjustableClock, systemClock } from '@internal/clock';
export type { Clock } from '@internal/clock';
