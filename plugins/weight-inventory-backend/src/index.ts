/**
 * Backend plugin of the weight inventory: live discovery (Azure, Kubernetes, demo), posture on a
 * schedule with history and drift, and the catalog module for store/cluster entities.
 *
 * @packageDocumentation
 */
export { weightInventoryPlugin as default, catalogModuleWeightInventory } from './plugin';
export { storeToEntity } from './entityProvider';
