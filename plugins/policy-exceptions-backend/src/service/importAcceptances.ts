import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ExceptionContent,
  MODEL_FILES_ENTITY_REF,
  MODEL_SCAN_CONTROL_ID,
  modelFileFindingKey,
} from '@internal/plugin-policy-exceptions-common';
import { ExceptionRecord } from '../domain/lifecycle';
import { isUniqueViolation } from '../store/ExceptionStore';
import { ExceptionsService, SYSTEM_ACTOR } from './ExceptionsService';

/** A model-scan acceptance as `GET /api/model-scan/acceptances` lists it. */
export interface LegacyAcceptance {
  id: string;
  sha256: string;
  justification: string;
  acceptedBy: string;
  createdAt: string;
  expiresAt: string;
  scannerVersion: string;
  rulesetVersion: string;
}

export interface AcceptanceSource {
  listAcceptances(): Promise<LegacyAcceptance[]>;
}

export const IMPORT_SOURCE = 'model-scan-acceptance';

/**
 * The decided exception an acceptance already was: approved by the reviewer who accepted it, for
 * exactly its hash, from its creation to its expiry (expired ones too: nothing is lost, they show
 * as expired). The compensating control is the review itself, in the worksheet's words.
 */
export function exceptionFromAcceptance(a: LegacyAcceptance, id: string, importedAt: string): ExceptionRecord {
  const reviewer = a.acceptedBy.toLocaleLowerCase('en-US');
  const content: ExceptionContent = {
    scope: { entityRefs: [MODEL_FILES_ENTITY_REF], findingKey: modelFileFindingKey(a.sha256) },
    justification: a.justification,
    reasonCategory: 'risk-accepted',
    risk: { likelihood: 'medium', impact: 'medium', rating: 'medium' },
    compensatingControls: [
      {
        kind: 'described',
        measure: 'A security reviewer examined the suspicious findings of this exact file and accepted them.',
        owner: reviewer,
        evidence: `model-scan acceptance ${a.id} (scanner ${a.scannerVersion}, ruleset ${a.rulesetVersion})`,
        constraint: 'The model file is needed as it is; its scan raised suspicious (not malicious) findings.',
        objective: 'Only model files whose findings were reviewed are used (FG-MODEL-SCAN).',
        identifiedRisk: 'The suspicious findings of the file could hide unsafe behaviour.',
        validation: 'Review of the scan findings by a security reviewer when the acceptance was made.',
        maintenance: 'Covers this exact hash only (any other version is scanned again) and ends at the acceptance expiry.',
      },
    ],
    owner: reviewer,
    startsAt: new Date(a.createdAt).toISOString(),
    endsAt: new Date(a.expiresAt).toISOString(),
  };
  return {
    id,
    controlId: MODEL_SCAN_CONTROL_ID,
    requester: reviewer,
    status: 'approved',
    revision: 1,
    content,
    requiredApprovals: 1,
    round: 1,
    reviews: [],
    approvedAt: content.startsAt,
    approvedBy: [reviewer],
    lastReviewedAt: content.startsAt,
    createdAt: importedAt,
    updatedAt: importedAt,
    submittedAt: content.startsAt,
    version: 1,
  };
}

/**
 * One-time import of model-scan acceptances over model-scan's API (never its tables). Idempotent
 * and replica-safe: `exception_imports` has one row per acceptance id (primary key), written in
 * the same transaction as the exception, so a second run or a second replica skips it.
 */
export async function importModelScanAcceptances(service: ExceptionsService, source: AcceptanceSource, logger?: LoggerService): Promise<{ imported: number; skipped: number }> {
  const acceptances = await source.listAcceptances();
  const done = await service.store.importedIds(IMPORT_SOURCE);
  let imported = 0;
  let skipped = 0;
  for (const a of acceptances) {
    if (done.has(a.id)) {
      skipped++;
      continue;
    }
    const at = service.now().toISOString();
    const record = exceptionFromAcceptance(a, randomUUID(), at);
    try {
      await service.store.transaction(async tx => {
        await service.store.recordImport(IMPORT_SOURCE, a.id, record.id, at, tx);
        await service.store.insertException(record, {
          revision: 1, content: record.content, createdBy: record.requester, createdAt: record.content.startsAt,
          outcome: 'approved', decidedAt: record.content.startsAt, decidedBy: record.approvedBy, reviews: [],
        }, tx);
        await service.store.appendHistory(record.id, {
          at, actor: SYSTEM_ACTOR, action: 'imported', revision: 1,
          detail: `model-scan acceptance ${a.id} by ${a.acceptedBy} on ${a.createdAt}, until ${a.expiresAt}`,
        }, tx);
      });
      imported++;
      await service.auditSystem('exception-import', 'medium', { source: IMPORT_SOURCE, sourceId: a.id, exceptionId: record.id, sha256: a.sha256, acceptedBy: a.acceptedBy });
    } catch (e) {
      if (isUniqueViolation(e)) {
        skipped++;
        continue;
      }
      logger?.error(`policy-exceptions: import of acceptance ${a.id} failed: ${(e as Error).message}`);
      await service.auditSystem('exception-import', 'medium', { source: IMPORT_SOURCE, sourceId: a.id }, e as Error);
    }
  }
  return { imported, skipped };
}
