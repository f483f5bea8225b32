export * from './types';
export * from './quote';
export * from './compile';
export { checkTarget, unsafeSlurmValue } from './check';
export { chooseEnvironment, blockEnvironments, describeOffer, pulledImageName } from './environment';
export type { EnvironmentChoice } from './environment';
export { estimateResources, resolveResources, slurmTime } from './resources';
export { CACHE_MATERIAL_VERSION, canonicalJson, stepCacheKeys, stepCacheMaterial } from './cache';
export type { CacheHash, InputDigests } from './cache';
