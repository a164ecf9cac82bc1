/**
 * The posture engine of Frontier Guard: storage-account and research-cluster checks as plain
 * functions, and adapters from Kubernetes YAML, ARM/Bicep JSON, Terraform plan JSON and live
 * API shapes to one normalized model. No Backstage imports: the backend, the CI gate (CLI) and
 * tests run the same code.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './config';
export * from './engine';
export * from './naming';
export { CHECKS, getCheck } from './checks/catalog';
export type { CheckDefinition, CheckDefinitionBase } from './checks/catalog';
export { loadProject } from './adapters/load';
export type { LoadResult, LoadError, FileReport } from './adapters/load';
export { parseKubeYaml, toKubeObject, flattenKube } from './adapters/kubernetes';
export { expandTemplate } from './adapters/arm/template';
export { storageAccountsFromArm } from './adapters/arm/storageModel';
export { terraformResources, storageAccountsFromTerraform, kubeItemsFromTerraform } from './adapters/terraform';
export * from './adapters/live';
