/**
 * The model-scan backend plugin.
 *
 * @packageDocumentation
 */
export { modelScanPlugin as default } from './plugin';
export { ScanService } from './service/ScanService';
export type {
  Clock,
  EnqueueRequest,
  RemoteSourceResolver,
} from './service/ScanService';
export { isFileAllowed } from './domain/fileAllowance';
