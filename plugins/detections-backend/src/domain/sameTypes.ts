/**
 * The common package repeats a few unions of detection-rules (a node library the pages must not
 * load); these assignments stop compiling if the two ever differ.
 */
import type { Severity as RulesSeverity, SourceId as RulesSourceId, Outcome as RulesOutcome } from '@internal/detection-rules';
import type { Severity, SourceId, Outcome } from '@internal/plugin-detections-common';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const SAME_TYPES: [Same<Severity, RulesSeverity>, Same<SourceId, RulesSourceId>, Same<Outcome, RulesOutcome>] = [true, true, true];
